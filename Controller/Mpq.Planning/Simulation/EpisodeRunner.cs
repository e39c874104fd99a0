using Mpq.Common;
using Mpq.Planning.Control;
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
public sealed record EpisodeResult(double TotalCost, bool Success, int Steps, double[] ModelParameters)
{
    /// <summary>How smooth the episode's actions were, over all steps and over those in the task's success region.</summary>
    public Control.SmoothnessFigures? Smoothness { get; init; }

    /// <inheritdoc cref="Smoothness"/>
    public Control.SmoothnessFigures? SmoothnessInSuccessRegion { get; init; }
}

/// <summary>
/// Closed loop in simulation: the planner plans on its model (true or drawn from the task's biased
/// prior each episode) and acts on a plant at the true parameters — the paper's sim-to-sim setting. The loop is
/// the same <see cref="ControlLoop"/> a rig runs, free-running over a <see cref="SimulatedPlant"/>.
/// </summary>
public sealed class EpisodeRunner : IDisposable
{
    private readonly ITask _task;
    private readonly SimulatedPlant _plant;
    private readonly MuJoCoDynamics _modelDynamics;
    private readonly ControlLoop _loop;
    private readonly double[] _parameters;
    private readonly double[] _memberParameters;

    /// <summary>A runner whose planner is MPPI with <paramref name="settings"/> on the runner's model.</summary>
    public EpisodeRunner(ITask task, MppiSettings settings, WorkerPool pool, bool biasedModel, ulong seed, ITerminalCost? terminalCost = null, IReadOnlyList<ParameterPrior>? plantRandomization = null, int modelDraws = 1)
        : this(task, model => new MppiPlanner(model, task, task.ActionLow, task.ActionHigh, settings, pool, terminalCost), biasedModel, seed, plantRandomization, modelDraws)
    {
    }

    /// <summary>A runner with any planner, built by <paramref name="createPlanner"/> over the runner's own model (whose parameters each episode sets).</summary>
    /// <param name="task">The task.</param>
    /// <param name="createPlanner">Builds the planner over the runner's model.</param>
    /// <param name="biasedModel">Whether each episode draws the model from the task's biased prior (else the model is the true system).</param>
    /// <param name="seed">Selects every episode's initial state and model draw.</param>
    /// <param name="plantRandomization">
    /// Domain randomisation: when set, the plant is no longer the true system; its parameters are re-drawn from
    /// these distributions (one per task parameter, in the task's order) before every step.
    /// </param>
    /// <param name="modelDraws">
    /// Models drawn from the biased prior each episode (an ensemble: sample i of every MPPI iteration rolls draw
    /// i mod draws); 1, the default, is one model per episode. Ignored on the true model.
    /// </param>
    public EpisodeRunner(ITask task, Func<MuJoCoDynamics, IPlanner> createPlanner, bool biasedModel, ulong seed, IReadOnlyList<ParameterPrior>? plantRandomization = null, int modelDraws = 1)
    {
        _task = task;
        BiasedModel = biasedModel;
        Seed = seed;
        PlantRandomization = plantRandomization;
        _plant = new SimulatedPlant(task, plantRandomization);
        _modelDynamics = new MuJoCoDynamics(task, members: biasedModel ? modelDraws : 1);
        _memberParameters = new double[task.Parameters.Count];
        Planner = createPlanner(_modelDynamics);
        _loop = new ControlLoop(task, Planner, _plant);
        _parameters = new double[task.Parameters.Count];
    }

    public IPlanner Planner { get; }
    public bool BiasedModel { get; }

    /// <summary>Wall time of each planning step (<see cref="IPlanner.Step"/>) of the last episode, ms.</summary>
    public LatencyRecorder StepTimes => _loop.PlanTimes;

    /// <summary>The plant's parameter distributions under domain randomisation, or null for the true system.</summary>
    public IReadOnlyList<ParameterPrior>? PlantRandomization { get; }

    public ulong Seed { get; }

    /// <summary>
    /// When set, every episode's model has these parameters (in the task's order) instead of the true ones or a
    /// draw: e.g. the prior's means, which is what a rig's controller plans on (<c>RigRunner</c>).
    /// </summary>
    public double[]? FixedModelParameters { get; init; }

    /// <summary>Planner model used by episodes (for value targets on the same biased model).</summary>
    public MuJoCoDynamics Model => _modelDynamics;

    /// <summary>Runs episode <paramref name="episode"/> (its initial state and model draw depend only on seed and index).</summary>
    /// <param name="episode">Episode index.</param>
    /// <param name="sink">Optional receiver of every transition.</param>
    /// <param name="initialState">Optional start state instead of the task's random one.</param>
    public EpisodeResult Run(int episode, ITransitionSink? sink = null, ReadOnlySpan<double> initialState = default)
    {
        var rng = SplitMix64.ForStream(Seed, (ulong)episode, 0x5eed);
        _plant.Reset(ref rng, SplitMix64.ForStream(Seed, (ulong)episode, 0xD0A1), initialState);
        if (FixedModelParameters is { } fixedParameters)
        {
            fixedParameters.CopyTo(_parameters, 0);
        }
        else if (BiasedModel)
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
        for (var k = 1; k < _modelDynamics.MemberCount; k++)
        {
            // Further members from their own stream: the first draw (and a one-model run) is unchanged.
            var memberRng = SplitMix64.ForStream(Seed, (ulong)episode, 0xE75E + (ulong)k);
            TaskParameters.Sample(_task.Parameters, _memberParameters, ref memberRng);
            _modelDynamics.SetMemberParameters(k, _memberParameters);
        }
        Planner.ResetPlan();
        _loop.ClearStatistics();
        _loop.Sink = sink;
        var result = _loop.Run(LoopLimits.ForSteps(_task.EpisodeSteps));
        _loop.Sink = null;
        return new EpisodeResult(result.TotalCost, result.Success, (int)result.Steps, (double[])_parameters.Clone())
        {
            Smoothness = result.Smoothness,
            SmoothnessInSuccessRegion = result.SmoothnessInSuccessRegion,
        };
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
    }
}
