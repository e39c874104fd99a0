using Mpq.Common;
using Mpq.Firmware.Drivers;
using Mpq.MuJoCo;
using Mpq.Tasks;

namespace Mpq.Firmware.VirtualRig;

/// <summary>
/// A task's MuJoCo model at the <em>true</em> parameters, as the "real system" behind the firmware (the
/// paper's sim-to-sim setting). Joints are the model's qpos/qvel; actuators its controls. The model is
/// integrated at the device tick (finer than the controller's planning model, like a real plant).
/// </summary>
public sealed class VirtualRigDriver : IRigDriver
{
    private readonly MjModel _model;
    private readonly MjData _data;
    private readonly VirtualRigOptions _options;
    private readonly float[][] _delayLine;
    private readonly double _baseTimestep;
    private readonly int[] _actuatorDof; // the joint velocity a motor model reads, or -1 (not a joint actuator)
    private SplitMix64 _rng;
    private int _delayHead;
    private double _pendingTime;

    public VirtualRigDriver(ITask task, VirtualRigOptions? options = null)
    {
        _options = options ?? new VirtualRigOptions();
        Task = task;
        _model = MjModel.FromXmlString(task.ModelXml);
        if (_model.Nq != _model.Nv)
        {
            _model.Dispose();
            throw new ArgumentException($"task '{task.Name}': the virtual rig needs a model whose positions and velocities match (nq = nv), this one has nq {_model.Nq}, nv {_model.Nv}");
        }
        Joints = _model.Nq;
        Actuators = _model.Nu;
        ApplyTruth(task);
        _data = MjData.Create(_model);
        _baseTimestep = _model.Timestep;
        _actuatorDof = new int[Actuators];
        for (var a = 0; a < Actuators; a++)
        {
            var joint = _model.ActuatorJoint(a);
            _actuatorDof[a] = joint < 0 ? -1 : _model.JointDofAddress(joint);
        }
        var max = 0.0;
        for (var a = 0; a < Actuators; a++)
        {
            var (low, high) = _model.ActuatorControlRange(a);
            max = Math.Max(max, Math.Max(Math.Abs(low), Math.Abs(high)));
        }
        TorqueMax = double.IsFinite(max) && max > 0 ? max : 10;
        _delayLine = new float[_options.ActuationDelayTicks + 1][];
        for (var i = 0; i < _delayLine.Length; i++)
        {
            _delayLine[i] = new float[Actuators];
        }
        _rng = new SplitMix64(_options.Seed);
        Reset(_options.InitialState);
    }

    /// <summary>
    /// Writes the options' true parameters and the joints' extra damping and Coulomb friction into the plant's model
    /// (never into the planner's: the controller's model keeps only what the task's model has).
    /// </summary>
    private void ApplyTruth(ITask task)
    {
        foreach (var (name, value) in _options.TrueParameters)
        {
            var parameter = task.Parameters.FirstOrDefault(p => p.Name == name)
                ?? throw new ArgumentException($"task '{task.Name}' has no parameter '{name}'; it has: {string.Join(", ", task.Parameters.Select(p => p.Name))}");
            parameter.Apply(_model, value);
        }
        for (var j = 0; j < Joints; j++)
        {
            var dof = _model.JointDofAddress(j);
            if (_options.Damping is { } damping && j < damping.Length)
            {
                _model.SetDofDamping(dof, _model.GetDofDamping(dof) + damping[j]);
            }
            if (_options.Friction is { } friction && j < friction.Length)
            {
                _model.SetDofFrictionLoss(dof, _model.GetDofFrictionLoss(dof) + friction[j]);
            }
        }
    }

    public ITask Task { get; }

    /// <summary>How this plant differs from an ideal one (for the firmware's log).</summary>
    public string Imperfections => _options.Describe();
    public string Name => $"virtual {Task.Name}";
    public int Joints { get; }
    public int Actuators { get; }
    public double TorqueMax { get; }

    /// <summary>The rig file's own (a direct-drive motor changes torque in a fraction of a millisecond).</summary>
    public double? SlewRate => Task.SlewRate;

    /// <inheritdoc />
    public bool NeedsBringUp => _options.RequireBringUp;

    /// <summary>The plant's current physics state (for tests and plots).</summary>
    public MjData Data => _data;

    /// <summary>Restarts the plant: in the task's rest state (a pendulum hanging), or the given state.</summary>
    public void Reset(double[]? state)
    {
        _data.Reset();
        if (state is not null)
        {
            _data.SetState(state);
        }
        else
        {
            Task.RestState(_data);
        }
        foreach (var slot in _delayLine)
        {
            Array.Clear(slot);
        }
        _data.Ctrl.Clear();
    }

    public void Read(Span<float> position, Span<float> velocity)
    {
        var qpos = _data.Qpos;
        var qvel = _data.Qvel;
        var quantum = _options.CountsPerRevolution > 0 ? 2 * Math.PI / _options.CountsPerRevolution : 0;
        for (var j = 0; j < Joints; j++)
        {
            var p = qpos[j] + (_options.PositionNoise > 0 ? _options.PositionNoise * _rng.NextGaussian() : 0);
            if (quantum > 0)
            {
                p = Math.Round(p / quantum) * quantum;
            }
            position[j] = (float)p;
            velocity[j] = (float)(qvel[j] + (_options.VelocityNoise > 0 ? _options.VelocityNoise * _rng.NextGaussian() : 0));
        }
    }

    public void Apply(ReadOnlySpan<float> torque)
    {
        torque.CopyTo(_delayLine[_delayHead]);
        _delayHead = (_delayHead + 1) % _delayLine.Length;
    }

    public void Advance(double seconds)
    {
        // The oldest entry of the delay line is what reaches the plant now.
        var acting = _delayLine[_delayHead];
        var ctrl = _data.Ctrl;
        var qvel = _data.Qvel;
        for (var a = 0; a < Actuators; a++)
        {
            // What the drive makes of the command: nothing inside its deadband, and what the motor can give at this speed.
            double torque = Math.Abs(acting[a]) <= _options.Deadband ? 0 : acting[a];
            if (_options.Reversed is { } reversed && a < reversed.Length && reversed[a])
            {
                torque = -torque;
            }
            if (_options.Motor is { } motor && _actuatorDof[a] >= 0)
            {
                torque = motor.Deliver(torque, qvel[_actuatorDof[a]]);
            }
            ctrl[a] = torque;
        }
        var step = Math.Min(_baseTimestep, seconds);
        _model.Timestep = step;
        _pendingTime += seconds;
        while (_pendingTime >= step * 0.5)
        {
            _data.Step();
            _pendingTime -= step;
        }
    }

    public void Stop()
    {
        try
        {
            foreach (var slot in _delayLine)
            {
                Array.Clear(slot);
            }
            if (!_data.IsClosed)
            {
                _data.Ctrl.Clear();
            }
        }
        catch (ObjectDisposedException)
        {
            // already gone: nothing can move
        }
    }

    public void Dispose()
    {
        Stop();
        _data.Dispose();
        _model.Dispose();
    }
}
