using Mpq.MuJoCo;
using Mpq.Tasks;

namespace Mpq.Planning.Dynamics;

/// <summary>A task's MuJoCo model as the planner's dynamics: each control step is a fixed number of physics steps.</summary>
/// <remarks>
/// Owns the <see cref="MjModel"/>. Parameters may be re-drawn with <see cref="SetParameters"/>
/// between planning steps (never while a rollout runs: contexts share the model).
/// </remarks>
public sealed class MuJoCoDynamics : IDynamicsModel, IDisposable
{
    private readonly ITask _task;

    public MuJoCoDynamics(ITask task, ReadOnlySpan<double> parameters = default)
    {
        _task = task;
        Model = MjModel.FromXmlString(task.ModelXml);
        var ratio = task.ControlPeriod / Model.Timestep;
        PhysicsStepsPerControl = (int)Math.Round(ratio);
        if (PhysicsStepsPerControl < 1 || Math.Abs(ratio - PhysicsStepsPerControl) > 1e-6)
        {
            throw new ArgumentException($"task '{task.Name}': control period {task.ControlPeriod} s is not a whole number of physics steps of {Model.Timestep} s");
        }
        if (Model.Nu != task.ActionSize)
        {
            throw new ArgumentException($"task '{task.Name}': model has {Model.Nu} actuators, the task declares {task.ActionSize}");
        }
        if (!parameters.IsEmpty)
        {
            SetParameters(parameters);
        }
    }

    public MjModel Model { get; }
    public ITask Task => _task;
    public int PhysicsStepsPerControl { get; }
    public int StateSize => Model.StateSize;
    public int ObservationSize => _task.ObservationSize;
    public int ActionSize => _task.ActionSize;

    /// <summary>Writes parameter values (in the order of <see cref="ITask.Parameters"/>) into the model.</summary>
    public void SetParameters(ReadOnlySpan<double> values)
    {
        if (values.Length != _task.Parameters.Count)
        {
            throw new ArgumentException($"task '{_task.Name}' has {_task.Parameters.Count} parameters, got {values.Length} values");
        }
        TaskParameters.Apply(_task.Parameters, Model, values);
    }

    public IRolloutContext CreateContext() => new Context(this);

    /// <summary>A context that is also handy as a plant: it exposes its <see cref="MjData"/>.</summary>
    public MuJoCoContext CreateMuJoCoContext() => new(this);

    IRolloutContext IDynamicsModel.CreateContext() => CreateContext();

    public void Dispose() => Model.Dispose();

    private sealed class Context(MuJoCoDynamics owner) : MuJoCoContext(owner);
}

/// <summary>A rollout context over one <see cref="MjData"/>.</summary>
public class MuJoCoContext : IRolloutContext
{
    private readonly ITask _task;
    private readonly int _substeps;

    internal MuJoCoContext(MuJoCoDynamics owner)
    {
        _task = owner.Task;
        _substeps = owner.PhysicsStepsPerControl;
        Data = MjData.Create(owner.Model);
    }

    /// <summary>The native data this context steps.</summary>
    public MjData Data { get; }

    public void SetState(ReadOnlySpan<double> state) => Data.SetState(state);

    public void GetState(Span<double> state) => Data.GetState(state);

    public void Step(ReadOnlySpan<double> action)
    {
        action.CopyTo(Data.Ctrl);
        for (var i = 0; i < _substeps; i++)
        {
            Data.Step();
        }
    }

    public void Observe(Span<double> observation) => _task.Observe(Data, observation);

    public void HoldAction(Span<double> action) => _task.HoldAction(Data, action);

    public void Dispose()
    {
        Data.Dispose();
        GC.SuppressFinalize(this);
    }
}
