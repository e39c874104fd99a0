using System.Runtime.InteropServices;
using System.Text;
using Mpq.MuJoCo.Interop;

namespace Mpq.MuJoCo;

/// <summary>An owned native <c>mjModel</c>: sizes, options and the physical parameters tasks vary.</summary>
/// <remarks>
/// Parameter setters validate their values (finite, non-negative where physics requires it) and
/// throw <see cref="ArgumentOutOfRangeException"/> otherwise: a NaN mass would silently turn every
/// rollout into NaN costs. Writing parameters while another thread steps a data of this model is a
/// data race; change parameters between planning steps.
/// </remarks>
public sealed unsafe class MjModel : SafeHandle
{
    private MjModel(nint handle) : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        var p = (byte*)handle;
        Nq = *(int*)(p + MjLayout.ModelNq);
        Nv = *(int*)(p + MjLayout.ModelNv);
        Nu = *(int*)(p + MjLayout.ModelNu);
        Na = *(int*)(p + MjLayout.ModelNa);
        NBody = *(int*)(p + MjLayout.ModelNbody);
        NJoint = *(int*)(p + MjLayout.ModelNjnt);
        NGeom = *(int*)(p + MjLayout.ModelNgeom);
        NSite = *(int*)(p + MjLayout.ModelNsite);
        NTendon = *(int*)(p + MjLayout.ModelNtendon);
        NSensorData = *(int*)(p + MjLayout.ModelNsensordata);
        NMocap = *(int*)(p + MjLayout.ModelNmocap);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == 0;

    /// <summary>Raw pointer for the interop layer; valid while this object is alive.</summary>
    internal nint Pointer => handle;

    public int Nq { get; }
    public int Nv { get; }
    public int Nu { get; }
    public int Na { get; }
    public int NBody { get; }
    public int NJoint { get; }
    public int NGeom { get; }
    public int NSite { get; }
    public int NTendon { get; }
    public int NSensorData { get; }
    public int NMocap { get; }

    /// <summary>Whether <paramref name="other"/> has this model's structure (sizes of every kind): a data made for one can be stepped with the other.</summary>
    public bool SameStructure(MjModel other) =>
        (Nq, Nv, Nu, Na, NBody, NJoint, NGeom, NSite, NTendon, NSensorData, NMocap)
        == (other.Nq, other.Nv, other.Nu, other.Na, other.NBody, other.NJoint, other.NGeom, other.NSite, other.NTendon, other.NSensorData, other.NMocap);

    /// <summary>Length of the state vector used by <see cref="MjData.GetState"/>: qpos, qvel, act, mocap pos and quat.</summary>
    public int StateSize => Nq + Nv + Na + 7 * NMocap;

    /// <summary>Loads an MJCF file.</summary>
    /// <exception cref="MuJoCoException">The file is missing or MuJoCo rejects it; the message is MuJoCo's.</exception>
    public static MjModel FromXmlFile(string path)
    {
        MuJoCoRuntime.EnsureInitialised();
        if (!File.Exists(path))
        {
            throw new MuJoCoException($"model file '{path}' does not exist");
        }
        var error = stackalloc byte[1000];
        error[0] = 0;
        var bytes = Encoding.UTF8.GetBytes(Path.GetFullPath(path) + "\0");
        nint m;
        fixed (byte* name = bytes)
        {
            m = MuJoCoNative.mj_loadXML(name, 0, error, 1000);
        }
        if (m == 0)
        {
            var text = Marshal.PtrToStringUTF8((nint)error)?.Trim();
            throw new MuJoCoException($"MuJoCo could not load '{path}': {(string.IsNullOrEmpty(text) ? "unknown error" : text)}");
        }
        return new MjModel(m);
    }

    /// <summary>Loads MJCF text (written to a private temporary file, since 2.2.2 loads XML only from files).</summary>
    /// <remarks>Relative file references (meshes, includes) resolve against the temporary folder; the project's models use none.</remarks>
    public static MjModel FromXmlString(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var dir = Directory.CreateTempSubdirectory("mpq-mjcf-");
        try
        {
            var file = Path.Combine(dir.FullName, "model.xml");
            File.WriteAllText(file, xml);
            try
            {
                return FromXmlFile(file);
            }
            catch (MuJoCoException e)
            {
                throw new MuJoCoException(e.Message.Replace($"'{file}'", "MJCF text", StringComparison.Ordinal));
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Integration time step in seconds.</summary>
    public double Timestep
    {
        get => *Field<double>(MjLayout.ModelTimestep);
        set
        {
            if (!double.IsFinite(value) || value <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "timestep must be a positive finite number of seconds");
            }
            *Field<double>(MjLayout.ModelTimestep) = value;
        }
    }

    /// <summary>Gravity vector (3).</summary>
    public Span<double> Gravity => new(Field<double>(MjLayout.ModelGravity), 3);

    /// <summary>Id of a named object, or -1 when there is none.</summary>
    public int FindId(MjObjectType type, string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* p = bytes)
        {
            var id = MuJoCoNative.mj_name2id(handle, (int)type, p);
            GC.KeepAlive(this);
            return id;
        }
    }

    /// <summary>The name of object <paramref name="id"/>, or null when it has none (or the id is out of range).</summary>
    public string? Name(MjObjectType type, int id)
    {
        var p = MuJoCoNative.mj_id2name(handle, (int)type, id);
        GC.KeepAlive(this);
        return p is null ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)p);
    }

    /// <summary>Id of a named object.</summary>
    /// <exception cref="MuJoCoException">No object of that type has that name.</exception>
    public int Id(MjObjectType type, string name)
    {
        var id = FindId(type, name);
        return id >= 0 ? id : throw new MuJoCoException($"the model has no {type.ToString().ToLowerInvariant()} named '{name}'");
    }

    public double GetBodyMass(int body) => Array<double>(MjLayout.ModelBodyMass, NBody, 1, body)[0];

    public void SetBodyMass(int body, double mass) =>
        Array<double>(MjLayout.ModelBodyMass, NBody, 1, body)[0] = RequireNonNegative(mass, "body mass");

    /// <summary>Diagonal inertia in the body's principal frame (3).</summary>
    public ReadOnlySpan<double> GetBodyInertia(int body) => Array<double>(MjLayout.ModelBodyInertia, NBody, 3, body);

    public void SetBodyInertia(int body, double ixx, double iyy, double izz)
    {
        var span = Array<double>(MjLayout.ModelBodyInertia, NBody, 3, body);
        span[0] = RequireNonNegative(ixx, "inertia");
        span[1] = RequireNonNegative(iyy, "inertia");
        span[2] = RequireNonNegative(izz, "inertia");
    }

    /// <summary>Centre of mass in the body frame (3).</summary>
    public Span<double> BodyIpos(int body) => Array<double>(MjLayout.ModelBodyIpos, NBody, 3, body);

    /// <summary>Mocap index of a body, or -1.</summary>
    public int BodyMocapId(int body) => Array<int>(MjLayout.ModelBodyMocapid, NBody, 1, body)[0];

    public int JointQposAddress(int joint) => Array<int>(MjLayout.ModelJntQposadr, NJoint, 1, joint)[0];

    public int JointDofAddress(int joint) => Array<int>(MjLayout.ModelJntDofadr, NJoint, 1, joint)[0];

    /// <summary>Joint range (2).</summary>
    public ReadOnlySpan<double> JointRange(int joint) => Array<double>(MjLayout.ModelJntRange, NJoint, 2, joint);

    public double GetDofDamping(int dof) => Array<double>(MjLayout.ModelDofDamping, Nv, 1, dof)[0];

    public void SetDofDamping(int dof, double damping) =>
        Array<double>(MjLayout.ModelDofDamping, Nv, 1, dof)[0] = RequireNonNegative(damping, "damping");

    public double GetDofFrictionLoss(int dof) => Array<double>(MjLayout.ModelDofFrictionloss, Nv, 1, dof)[0];

    public void SetDofFrictionLoss(int dof, double frictionLoss) =>
        Array<double>(MjLayout.ModelDofFrictionloss, Nv, 1, dof)[0] = RequireNonNegative(frictionLoss, "friction loss");

    /// <summary>Geom size parameters (3); their meaning depends on the geom type.</summary>
    public ReadOnlySpan<double> GetGeomSize(int geom) => Array<double>(MjLayout.ModelGeomSize, NGeom, 3, geom);

    public void SetGeomSize(int geom, double s0, double s1, double s2)
    {
        var span = Array<double>(MjLayout.ModelGeomSize, NGeom, 3, geom);
        span[0] = RequireNonNegative(s0, "geom size");
        span[1] = RequireNonNegative(s1, "geom size");
        span[2] = RequireNonNegative(s2, "geom size");
    }

    /// <summary>Geom position in its body frame (3).</summary>
    public Span<double> GeomPos(int geom) => Array<double>(MjLayout.ModelGeomPos, NGeom, 3, geom);

    /// <summary>Geom friction: sliding, torsional, rolling (3).</summary>
    public ReadOnlySpan<double> GetGeomFriction(int geom) => Array<double>(MjLayout.ModelGeomFriction, NGeom, 3, geom);

    public void SetGeomFriction(int geom, double sliding, double torsional, double rolling)
    {
        var span = Array<double>(MjLayout.ModelGeomFriction, NGeom, 3, geom);
        span[0] = RequireNonNegative(sliding, "friction");
        span[1] = RequireNonNegative(torsional, "friction");
        span[2] = RequireNonNegative(rolling, "friction");
    }

    public double GetTendonStiffness(int tendon) => Array<double>(MjLayout.ModelTendonStiffness, NTendon, 1, tendon)[0];

    public void SetTendonStiffness(int tendon, double stiffness) =>
        Array<double>(MjLayout.ModelTendonStiffness, NTendon, 1, tendon)[0] = RequireNonNegative(stiffness, "tendon stiffness");

    /// <summary>The joint an actuator drives (transmission type joint), or -1 for any other transmission (tendon, site, ...).</summary>
    public int ActuatorJoint(int actuator)
    {
        var type = Array<int>(MjLayout.ModelActuatorTrntype, Nu, 1, actuator)[0];
        return type == 0 ? Array<int>(MjLayout.ModelActuatorTrnid, Nu, 2, actuator)[0] : -1; // mjTRN_JOINT = 0
    }

    /// <summary>An actuator's gear (the first of its six gear entries: the scale from control to joint force or torque).</summary>
    public double ActuatorGear(int actuator) => Array<double>(MjLayout.ModelActuatorGear, Nu, 6, actuator)[0];

    /// <summary>Sets an actuator's gear (its first entry; the scale from control to joint force or torque).</summary>
    public void SetActuatorGear(int actuator, double gear) =>
        Array<double>(MjLayout.ModelActuatorGear, Nu, 6, actuator)[0] = double.IsFinite(gear) ? gear : throw new ArgumentOutOfRangeException(nameof(gear), gear, "a gear must be finite");

    /// <summary>A joint's type: 0 free, 1 ball, 2 slide, 3 hinge (mjtJoint).</summary>
    public int JointType(int joint) => Array<int>(MjLayout.ModelJntType, NJoint, 1, joint)[0];

    /// <summary>Control range of an actuator, or (-inf, inf) when it is not limited.</summary>
    public (double Low, double High) ActuatorControlRange(int actuator)
    {
        var limited = Array<byte>(MjLayout.ModelActuatorCtrllimited, Nu, 1, actuator)[0] != 0;
        var range = Array<double>(MjLayout.ModelActuatorCtrlrange, Nu, 2, actuator);
        return limited ? (range[0], range[1]) : (double.NegativeInfinity, double.PositiveInfinity);
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        MuJoCoNative.mj_deleteModel(handle);
        return true;
    }

    private T* Field<T>(int offset) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        return (T*)((byte*)handle + offset);
    }

    private Span<T> Array<T>(int offset, int count, int width, int index) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        var basePtr = *(T**)Field<byte>(offset);
        return new Span<T>(basePtr + (long)index * width, width);
    }

    private static double RequireNonNegative(double value, string what) =>
        double.IsFinite(value) && value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"{what} must be a finite, non-negative number");
}
