using Mpq.MuJoCo;
using Mpq.Tasks;

namespace Mpq.Planning.Dynamics;

/// <summary>A task's MuJoCo model as the planner's dynamics: each control step is a fixed number of physics steps.</summary>
/// <remarks>
/// Owns the <see cref="MjModel"/>. Parameters may be re-drawn with <see cref="SetParameters"/>
/// between planning steps (never while a rollout runs: contexts share the model).
/// With <c>members</c> &gt; 1 it is an ensemble: that many instances of the model, each with its own parameters
/// (<see cref="SetMemberParameters"/>), and sample i of an MPPI iteration rolls member i mod members
/// (<see cref="IRolloutContext.BeginSample"/>), as the authors' code gives each rollout worker its own model draw.
/// </remarks>
public sealed class MuJoCoDynamics : IDynamicsModel, IDisposable
{
    private readonly ITask _task;

    /// <param name="task">The task whose model this is.</param>
    /// <param name="parameters">Parameter values for every member (empty: the model's own).</param>
    /// <param name="members">Models in the ensemble (1: a single model).</param>
    public MuJoCoDynamics(ITask task, ReadOnlySpan<double> parameters = default, int members = 1)
    {
        _task = task;
        if (members is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(members), $"an ensemble has 1 to 256 members (got {members})");
        }
        Model = MjModel.FromXmlString(task.ModelXml);
        Members = new MjModel[members];
        Members[0] = Model;
        for (var k = 1; k < members; k++)
        {
            Members[k] = MjModel.FromXmlString(task.ModelXml);
        }
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

    /// <summary>The first member (the only one of a single model): plants and observers use it.</summary>
    public MjModel Model { get; }

    /// <summary>Every member of the ensemble, <see cref="Model"/> first.</summary>
    internal MjModel[] Members { get; }

    /// <summary>Models in the ensemble.</summary>
    public int MemberCount => Members.Length;
    public ITask Task => _task;
    public int PhysicsStepsPerControl { get; }
    public int StateSize => Model.StateSize;
    public int ObservationSize => _task.ObservationSize;
    public int ActionSize => _task.ActionSize;

    /// <summary>Writes parameter values (in the order of <see cref="ITask.Parameters"/>) into the model.</summary>
    public void SetParameters(ReadOnlySpan<double> values)
    {
        for (var k = 0; k < Members.Length; k++)
        {
            SetMemberParameters(k, values);
        }
    }

    /// <summary>Writes parameter values into one member of the ensemble.</summary>
    public void SetMemberParameters(int member, ReadOnlySpan<double> values)
    {
        if (values.Length != _task.Parameters.Count)
        {
            throw new ArgumentException($"task '{_task.Name}' has {_task.Parameters.Count} parameters, got {values.Length} values");
        }
        TaskParameters.Apply(_task.Parameters, Members[member], values);
    }

    public IRolloutContext CreateContext() => new Context(this);

    /// <summary>A context that is also handy as a plant: it exposes its <see cref="MjData"/>.</summary>
    public MuJoCoContext CreateMuJoCoContext() => new(this);

    IRolloutContext IDynamicsModel.CreateContext() => CreateContext();

    public void Dispose()
    {
        foreach (var member in Members)
        {
            member.Dispose();
        }
    }

    private sealed class Context(MuJoCoDynamics owner) : MuJoCoContext(owner);
}

/// <summary>A rollout context over one <see cref="MjData"/>.</summary>
public class MuJoCoContext : IRolloutContext
{
    private readonly ITask _task;
    private readonly int _substeps;
    private readonly MjModel[] _members;
    private MjModel _member;

    internal MuJoCoContext(MuJoCoDynamics owner)
    {
        _task = owner.Task;
        _substeps = owner.PhysicsStepsPerControl;
        Data = MjData.Create(owner.Model);
        _members = owner.Members;
        _member = owner.Model;
    }

    /// <summary>Sample i rolls member i mod members of an ensemble (a single model: nothing to choose).</summary>
    public void BeginSample(int sample) => _member = _members[sample % _members.Length];

    /// <summary>The native data this context steps.</summary>
    public MjData Data { get; }

    public void SetState(ReadOnlySpan<double> state) => Data.SetState(state);

    public void GetState(Span<double> state) => Data.GetState(state);

    public void Step(ReadOnlySpan<double> action)
    {
        action.CopyTo(Data.Ctrl);
        for (var i = 0; i < _substeps; i++)
        {
            Data.StepWith(_member);
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
