using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Planning.Simulation;

/// <summary>Result of one closed-loop episode on the true system.</summary>
/// <param name="TotalCost">Sum of the task's one-step costs over the episode.</param>
/// <param name="Success">Whether the task's success rule held.</param>
/// <param name="Steps">Control steps taken.</param>
/// <param name="ModelParameters">Parameters of the model the planner used this episode.</param>
public sealed record EpisodeResult(double TotalCost, bool Success, int Steps, double[] ModelParameters);

/// <summary>One control step (s_t, a_t, c, s_{t+1}, done) with both observations and physics states.</summary>
public readonly ref struct Transition(int step, ReadOnlySpan<double> observation, ReadOnlySpan<double> action, double cost,
    ReadOnlySpan<double> nextObservation, ReadOnlySpan<double> state, ReadOnlySpan<double> nextState, bool done)
{
    public int Step { get; } = step;
    public ReadOnlySpan<double> Observation { get; } = observation;
    public ReadOnlySpan<double> Action { get; } = action;
    public double Cost { get; } = cost;
    public ReadOnlySpan<double> NextObservation { get; } = nextObservation;
    public ReadOnlySpan<double> State { get; } = state;
    public ReadOnlySpan<double> NextState { get; } = nextState;
    public bool Done { get; } = done;
}

/// <summary>Receives every transition of an episode (a replay buffer, a log, a plot).</summary>
public interface ITransitionSink
{
    void Add(in Transition transition);
}

/// <summary>
/// Closed loop in simulation: the planner plans on its model (true or drawn from the task's biased
/// prior each episode) and acts on a plant at the true parameters — the paper's sim-to-sim setting.
/// </summary>
public sealed class EpisodeRunner : IDisposable
{
    private readonly ITask _task;
    private readonly MuJoCoDynamics _plantDynamics;
    private readonly MuJoCoContext _plant;
    private readonly MuJoCoDynamics _modelDynamics;
    private readonly double[] _state;
    private readonly double[] _nextState;
    private readonly double[] _observation;
    private readonly double[] _nextObservation;
    private readonly double[] _action;
    private readonly double[] _parameters;
    private readonly double[] _plantParameters;
    private readonly bool[] _success;

    /// <summary>A runner whose planner is MPPI with <paramref name="settings"/> on the runner's model.</summary>
    public EpisodeRunner(ITask task, MppiSettings settings, WorkerPool pool, bool biasedModel, ulong seed, ITerminalCost? terminalCost = null)
        : this(task, model => new MppiPlanner(model, task, task.ActionLow, task.ActionHigh, settings, pool, terminalCost), biasedModel, seed)
    {
    }

    /// <summary>A runner with any planner, built by <paramref name="createPlanner"/> over the runner's own model (whose parameters each episode sets).</summary>
    public EpisodeRunner(ITask task, Func<MuJoCoDynamics, IPlanner> createPlanner, bool biasedModel, ulong seed)
    {
        _task = task;
        BiasedModel = biasedModel;
        Seed = seed;
        _plantDynamics = new MuJoCoDynamics(task);
        _plant = _plantDynamics.CreateMuJoCoContext();
        _modelDynamics = new MuJoCoDynamics(task);
        Planner = createPlanner(_modelDynamics);
        _state = new double[_plantDynamics.StateSize];
        _nextState = new double[_plantDynamics.StateSize];
        _observation = new double[task.ObservationSize];
        _nextObservation = new double[task.ObservationSize];
        _action = new double[task.ActionSize];
        _parameters = new double[task.Parameters.Count];
        _plantParameters = new double[task.Parameters.Count];
        _success = new bool[task.EpisodeSteps];
    }

    public IPlanner Planner { get; }
    public bool BiasedModel { get; }

    /// <summary>Wall time of each planning step (<see cref="IPlanner.Step"/>) of the last episode, ms.</summary>
    public LatencyRecorder StepTimes { get; } = new();

    /// <summary>
    /// Domain randomisation: when set, the plant is no longer the true system; its parameters are re-drawn from
    /// these distributions (one per task parameter, in the task's order) before every step.
    /// </summary>
    public IReadOnlyList<ParameterPrior>? PlantRandomization
    {
        get => _plantRandomization;
        init
        {
            if (value is not null && value.Count != _task.Parameters.Count)
            {
                throw new ArgumentException($"domain randomisation needs {_task.Parameters.Count} distributions for task '{_task.Name}', got {value.Count}");
            }
            _plantRandomization = value;
        }
    }

    private readonly IReadOnlyList<ParameterPrior>? _plantRandomization;
    public ulong Seed { get; }

    /// <summary>Planner model used by episodes (for value targets on the same biased model).</summary>
    public MuJoCoDynamics Model => _modelDynamics;

    /// <summary>Runs episode <paramref name="episode"/> (its initial state and model draw depend only on seed and index).</summary>
    /// <param name="episode">Episode index.</param>
    /// <param name="sink">Optional receiver of every transition.</param>
    /// <param name="initialState">Optional start state instead of the task's random one.</param>
    public EpisodeResult Run(int episode, ITransitionSink? sink = null, ReadOnlySpan<double> initialState = default)
    {
        var rng = SplitMix64.ForStream(Seed, (ulong)episode, 0x5eed);
        var data = _plant.Data;
        data.Reset();
        _task.SampleInitialState(data, ref rng);
        if (!initialState.IsEmpty)
        {
            data.SetState(initialState);
        }
        if (BiasedModel)
        {
            TaskParameters.Sample(_task.Parameters, _parameters, ref rng);
        }
        else
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                _parameters[i] = _task.Parameters[i].TrueValue;
            }
        }
        _modelDynamics.SetParameters(_parameters);
        Planner.ResetPlan();
        StepTimes.Clear();

        var total = 0.0;
        var steps = _task.EpisodeSteps;
        var plantRng = SplitMix64.ForStream(Seed, (ulong)episode, 0xD0A1);
        _plant.GetState(_state);
        _plant.Observe(_observation);
        for (var t = 0; t < steps; t++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            Planner.Step(_state, _action);
            StepTimes.RecordSince(started);
            var cost = _task.Cost(_observation, _action);
            total += cost;
            if (_plantRandomization is { } randomization)
            {
                for (var i = 0; i < _plantParameters.Length; i++)
                {
                    _plantParameters[i] = randomization[i].Sample(_task.Parameters[i].TrueValue, ref plantRng);
                }
                _plantDynamics.SetParameters(_plantParameters);
            }
            _plant.Step(_action);
            _plant.GetState(_nextState);
            _plant.Observe(_nextObservation);
            _success[t] = _task.IsSuccess(_nextObservation);
            sink?.Add(new Transition(t, _observation, _action, cost, _nextObservation, _state, _nextState, t == steps - 1));
            _nextState.CopyTo(_state, 0);
            _nextObservation.CopyTo(_observation, 0);
        }
        return new EpisodeResult(total, Succeeded(_success, _task.SuccessWindow), steps, (double[])_parameters.Clone());
    }

    /// <summary>Applies a task's success rule to per-step success flags.</summary>
    public static bool Succeeded(ReadOnlySpan<bool> perStep, int window)
    {
        if (window <= 0)
        {
            return perStep.Contains(true);
        }
        if (perStep.Length < window)
        {
            return false;
        }
        return !perStep[^window..].Contains(false);
    }

    public void Dispose()
    {
        Planner.Dispose();
        _plant.Dispose();
        _modelDynamics.Dispose();
        _plantDynamics.Dispose();
    }
}
