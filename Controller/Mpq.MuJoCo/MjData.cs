using System.Runtime.InteropServices;
using Mpq.MuJoCo.Interop;

namespace Mpq.MuJoCo;

/// <summary>An owned native <c>mjData</c> for one <see cref="MjModel"/>: the simulation state and workspace.</summary>
/// <remarks>
/// Array pointers are read once at creation (MuJoCo never moves them), so every accessor is a
/// span over native memory and the step path allocates nothing. One instance must only be used
/// by one thread at a time.
/// </remarks>
public sealed unsafe class MjData : SafeHandle
{
    private readonly nint _model;
    private readonly double* _time;
    private readonly double* _qpos;
    private readonly double* _qvel;
    private readonly double* _act;
    private readonly double* _ctrl;
    private readonly double* _qfrcApplied;
    private readonly double* _mocapPos;
    private readonly double* _mocapQuat;
    private readonly double* _sensordata;
    private readonly double* _xpos;
    private readonly double* _xmat;
    private readonly double* _siteXpos;
    private readonly double* _siteXmat;
    private readonly double* _geomXpos;
    private readonly double* _tenLength;
    private readonly double* _qaccWarmstart;

    private MjData(MjModel model, nint handle) : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        Model = model;
        _model = model.Pointer;
        var p = (byte*)handle;
        _time = (double*)(p + MjLayout.DataTime);
        _qpos = *(double**)(p + MjLayout.DataQpos);
        _qvel = *(double**)(p + MjLayout.DataQvel);
        _act = *(double**)(p + MjLayout.DataAct);
        _ctrl = *(double**)(p + MjLayout.DataCtrl);
        _qfrcApplied = *(double**)(p + MjLayout.DataQfrcApplied);
        _mocapPos = *(double**)(p + MjLayout.DataMocapPos);
        _mocapQuat = *(double**)(p + MjLayout.DataMocapQuat);
        _sensordata = *(double**)(p + MjLayout.DataSensordata);
        _xpos = *(double**)(p + MjLayout.DataXpos);
        _xmat = *(double**)(p + MjLayout.DataXmat);
        _siteXpos = *(double**)(p + MjLayout.DataSiteXpos);
        _siteXmat = *(double**)(p + MjLayout.DataSiteXmat);
        _geomXpos = *(double**)(p + MjLayout.DataGeomXpos);
        _tenLength = *(double**)(p + MjLayout.DataTenLength);
        _qaccWarmstart = *(double**)(p + MjLayout.DataQaccWarmstart);
    }

    /// <summary>Allocates a data for <paramref name="model"/>, reset to the model's defaults.</summary>
    public static MjData Create(MjModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(model.IsClosed, model);
        var d = MuJoCoNative.mj_makeData(model.Pointer);
        if (d == 0)
        {
            throw new MuJoCoException("MuJoCo could not allocate mjData (out of memory?)");
        }
        return new MjData(model, d);
    }

    /// <summary>The model this data belongs to (kept alive by this reference).</summary>
    public MjModel Model { get; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    public double Time { get => *_time; set => *_time = value; }
    public Span<double> Qpos => new(_qpos, Model.Nq);
    public Span<double> Qvel => new(_qvel, Model.Nv);
    public Span<double> Act => new(_act, Model.Na);
    public Span<double> Ctrl => new(_ctrl, Model.Nu);
    public Span<double> QfrcApplied => new(_qfrcApplied, Model.Nv);
    public Span<double> MocapPos => new(_mocapPos, 3 * Model.NMocap);
    public Span<double> MocapQuat => new(_mocapQuat, 4 * Model.NMocap);
    public ReadOnlySpan<double> SensorData => new(_sensordata, Model.NSensorData);
    public ReadOnlySpan<double> BodyXpos(int body) => new(_xpos + 3 * Checked(body, Model.NBody), 3);
    public ReadOnlySpan<double> BodyXmat(int body) => new(_xmat + 9 * Checked(body, Model.NBody), 9);
    public ReadOnlySpan<double> SiteXpos(int site) => new(_siteXpos + 3 * Checked(site, Model.NSite), 3);
    public ReadOnlySpan<double> SiteXmat(int site) => new(_siteXmat + 9 * Checked(site, Model.NSite), 9);
    public ReadOnlySpan<double> GeomXpos(int geom) => new(_geomXpos + 3 * Checked(geom, Model.NGeom), 3);
    public ReadOnlySpan<double> TendonLength => new(_tenLength, Model.NTendon);

    /// <summary>How often MuJoCo raised the given warning on this data (index of mjtWarning).</summary>
    public int WarningNumber(int warning)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warning);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(warning, MjLayout.WarningCount);
        return *(int*)((byte*)handle + MjLayout.DataWarning + warning * MjLayout.WarningStatSize + 4);
    }

    /// <summary>Times MuJoCo found NaN/Inf/huge accelerations and reset this data (the simulation went unstable).</summary>
    public int InstabilityCount => WarningNumber(MjLayout.WarnBadQacc);

    /// <summary>Advances the simulation one timestep.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        MuJoCoNative.mj_step(_model, handle);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Advances one timestep with <paramref name="model"/> instead of the model this data was made for: another
    /// instance of the same MJCF with other physical parameters (a model ensemble). Same structure
    /// (<see cref="MjModel.SameStructure"/>) is the caller's promise: an ensemble's members are all built from one MJCF.
    /// </summary>
    public void StepWith(MjModel model)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        MuJoCoNative.mj_step(model.Pointer, handle);
        GC.KeepAlive(this);
        GC.KeepAlive(model);
    }

    /// <summary>Computes all derived quantities for the current state without integrating.</summary>
    public void Forward()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        MuJoCoNative.mj_forward(_model, handle);
        GC.KeepAlive(this);
    }

    /// <summary>Computes positions and orientations (xpos, xmat, site and geom frames) only.</summary>
    public void Kinematics()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        MuJoCoNative.mj_kinematics(_model, handle);
        GC.KeepAlive(this);
    }

    /// <summary>Full reset to the model's defaults. Expensive (clears the whole arena): rollouts use <see cref="SetState"/>.</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        MuJoCoNative.mj_resetData(_model, handle);
        GC.KeepAlive(this);
    }

    /// <summary>Writes qpos, qvel, act, mocap pos and mocap quat into <paramref name="state"/> (length <see cref="MjModel.StateSize"/>).</summary>
    public void GetState(Span<double> state)
    {
        var m = Model;
        if (state.Length != m.StateSize)
        {
            throw new ArgumentException($"state has length {state.Length}, the model's state size is {m.StateSize}", nameof(state));
        }
        var o = 0;
        Qpos.CopyTo(state[o..]); o += m.Nq;
        Qvel.CopyTo(state[o..]); o += m.Nv;
        Act.CopyTo(state[o..]); o += m.Na;
        MocapPos.CopyTo(state[o..]); o += 3 * m.NMocap;
        MocapQuat.CopyTo(state[o..]);
    }

    /// <summary>Sets qpos, qvel, act and mocap from <paramref name="state"/>; clears the solver warm start.</summary>
    /// <exception cref="ArgumentException">Wrong length, or a NaN / infinite entry.</exception>
    public void SetState(ReadOnlySpan<double> state)
    {
        var m = Model;
        if (state.Length != m.StateSize)
        {
            throw new ArgumentException($"state has length {state.Length}, the model's state size is {m.StateSize}", nameof(state));
        }
        if (!AllFinite(state))
        {
            throw new ArgumentException("state contains NaN or infinity", nameof(state));
        }
        var o = 0;
        state.Slice(o, m.Nq).CopyTo(Qpos); o += m.Nq;
        state.Slice(o, m.Nv).CopyTo(Qvel); o += m.Nv;
        state.Slice(o, m.Na).CopyTo(Act); o += m.Na;
        state.Slice(o, 3 * m.NMocap).CopyTo(MocapPos); o += 3 * m.NMocap;
        state.Slice(o, 4 * m.NMocap).CopyTo(MocapQuat);
        new Span<double>(_qaccWarmstart, m.Nv).Clear();
    }

    /// <summary>Copies time and state (not the workspace) from another data of a model with the same structure.</summary>
    public void CopyStateFrom(MjData source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var m = Model;
        var s = source.Model;
        if (s.Nq != m.Nq || s.Nv != m.Nv || s.Na != m.Na || s.NMocap != m.NMocap)
        {
            throw new ArgumentException("source data belongs to a model of a different structure", nameof(source));
        }
        Time = source.Time;
        source.Qpos.CopyTo(Qpos);
        source.Qvel.CopyTo(Qvel);
        source.Act.CopyTo(Act);
        source.MocapPos.CopyTo(MocapPos);
        source.MocapQuat.CopyTo(MocapQuat);
        new Span<double>(source._qaccWarmstart, m.Nv).CopyTo(new Span<double>(_qaccWarmstart, m.Nv));
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        MuJoCoNative.mj_deleteData(handle);
        return true;
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }

    private static int Checked(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        return index;
    }
}
