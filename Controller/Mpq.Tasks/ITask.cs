using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// A control problem: its MuJoCo model, one-step cost, success test, timing, action limits and the
/// parameters the true system knows exactly and the controller only through a biased distribution.
/// </summary>
/// <remarks>A task knows nothing of the optimiser. Costs are minimised.</remarks>
public interface ITask : IRunningCost
{
    /// <summary>CLI name, e.g. <c>pendulum</c>.</summary>
    string Name { get; }

    /// <summary>MJCF of the model at the true parameters.</summary>
    string ModelXml { get; }

    /// <summary>Control period in seconds (one action per period).</summary>
    double ControlPeriod { get; }

    /// <summary>Control steps in one episode.</summary>
    int EpisodeSteps { get; }

    /// <summary>Length of the observation vector.</summary>
    int ObservationSize { get; }

    /// <summary>Names of the observation entries, in order (written into Q files and logs).</summary>
    IReadOnlyList<string> ObservationLayout { get; }

    /// <summary>Units of the observation entries, in order ("" for a dimensionless one): CSV headers and plot axes.</summary>
    IReadOnlyList<string> ObservationUnits { get; }

    /// <summary>Names of the action entries (the actuators), in order.</summary>
    IReadOnlyList<string> ActionLayout { get; }

    /// <summary>Unit of the actions (e.g. N·m for torques, m for position set points, rad/s for joint velocities).</summary>
    string ActionUnit { get; }

    /// <summary>Number of actuators.</summary>
    int ActionSize { get; }

    /// <summary>Lower action limits (length <see cref="ActionSize"/>).</summary>
    ReadOnlySpan<double> ActionLow { get; }

    /// <summary>Upper action limits (length <see cref="ActionSize"/>).</summary>
    ReadOnlySpan<double> ActionHigh { get; }

    /// <summary>Physical parameters with their true values and biased priors.</summary>
    IReadOnlyList<TaskParameter> Parameters { get; }

    /// <summary>Consecutive final steps that must all succeed (0: success at any step suffices).</summary>
    int SuccessWindow { get; }

    /// <summary>Planner settings that work for this task (the CLI's defaults).</summary>
    MppiDefaults PlannerDefaults { get; }

    /// <summary>
    /// The learner's settings for this task, in the trainer's <c>--set</c> form (<c>NAME=VALUE,...</c>, arrays with '/';
    /// <c>TerminalFloor=0</c> floors the terminal Q at the task's own bound), over the learner's defaults, which take λ and the
    /// noise from <see cref="PlannerDefaults"/>. Empty: none. Data, not a type the trainer must know.
    /// </summary>
    string LearnerDefaults => "";

    /// <summary>
    /// A short hash of the files the task is described by (a rig folder's rig.json and model), or null for a task written in
    /// C#. A Q file records it: a Q learned for another version of the rig's files is refused.
    /// </summary>
    string? Fingerprint => null;

    /// <summary>
    /// The actuators' largest change of torque per second (N·m/s) the hardware should see: the firmware's default
    /// slew_rate for this rig (the lowest over the actuators that declare one). Null: the firmware's own default.
    /// </summary>
    double? SlewRate => null;

    /// <summary>Puts <paramref name="data"/> (just reset) into the state a real rig rests in before it is armed (a pendulum
    /// hangs); the model's reference pose by default.</summary>
    void RestState(MjData data)
    {
    }

    /// <summary>
    /// A lower bound on the one-step cost c(s, a): every step costs at least this (−∞, the default: no bound known).
    /// It bounds every cost-to-go, so a learned Q below <c>bound / (1 − γ)</c> is an error of the Q, not a value: the
    /// planner floors its terminal Q there (<c>MppiSettings.QFloor</c>, <c>MppiSettings.TerminalFloor</c>).
    /// </summary>
    double MinimumStepCost => double.NegativeInfinity;

    /// <summary>Writes the observation of the current state of <paramref name="data"/>.</summary>
    void Observe(MjData data, Span<double> observation);

    /// <summary>Whether the state behind <paramref name="observation"/> counts as success.</summary>
    bool IsSuccess(ReadOnlySpan<double> observation);

    /// <summary>
    /// The action that holds the state of <paramref name="data"/> still, a plan's neutral start: zero (the default)
    /// for torque and velocity actuators; a task with position servos returns their current positions.
    /// </summary>
    void HoldAction(MjData data, Span<double> action) => action.Clear();

    /// <summary>Puts <paramref name="data"/> into a random initial state of an episode.</summary>
    void SampleInitialState(MjData data, ref SplitMix64 rng);
}

/// <summary>Default MPPI settings a task suggests; the CLI overrides any of them.</summary>
/// <param name="Lambda">MPPI's temperature λ.</param>
/// <param name="NoiseStd">Exploration noise standard deviation.</param>
/// <param name="StepSize">Plan update step α.</param>
/// <param name="Gamma">Discount γ.</param>
/// <param name="ControlCost">Whether MPPI's control cost applies (off for position servos, whose plans are set points: the control cost would pull them towards the origin).</param>
/// <param name="ActionRateCost">Weight of the planner's action-rate cost w · Σ (a_t − a_{t−1})² (0: off); the task's own cost does not carry it.</param>
/// <param name="NoiseFilter">Time-correlated noise coefficients (c0, c1, c2), or null for white noise.</param>
/// <param name="Samples">N: sampled sequences per iteration of the acting planner.</param>
/// <param name="Iterations">K: MPPI iterations per control step of the acting planner.</param>
/// <remarks>
/// These are the acting controller's settings (<c>controller sim</c> and <c>run</c>). The trainer (LearnerSettings) takes
/// at most λ and the noise from here, and for the pendulum not even those: what Q learns must not move when a rig's
/// controller is tuned.
/// </remarks>
public sealed record MppiDefaults(double Lambda, double NoiseStd, double StepSize, double Gamma, bool ControlCost = true, double ActionRateCost = 0,
    double[]? NoiseFilter = null, int Samples = 256, int Iterations = 1);
