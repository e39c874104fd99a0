using System.Globalization;
using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// A task whose actuators are limited to ±<see cref="Limit"/> (within the task's own limits): a rig whose motor or
/// Firmware <c>torque_limit</c> gives less than the task's model allows. Everything else is the inner task's.
/// </summary>
/// <remarks>
/// A Q learned for one action range is a cost-to-go under that range: learned at ±2 N·m it values a swing that
/// ±2 N·m can finish, and a planner limited to ±1 N·m chases it without reaching it (on the pendulum rig: a cycle of
/// near misses). Learn, plan and act with the same limit: the Trainer's and the Controller's <c>--torque-limit</c>
/// build this task, and the Q file records the range it was learned for (<c>mpq.action_high</c>).
/// </remarks>
public sealed class ActionLimitedTask : ITask
{
    private readonly ITask _inner;
    private readonly double[] _low;
    private readonly double[] _high;

    /// <exception cref="ArgumentException"><paramref name="limit"/> is not a positive finite number, or leaves an actuator no range.</exception>
    public ActionLimitedTask(ITask inner, double limit)
    {
        if (!(limit > 0) || !double.IsFinite(limit))
        {
            throw new ArgumentException($"the action limit must be a positive number (got {limit.ToString(CultureInfo.InvariantCulture)})");
        }
        _inner = inner;
        Limit = limit;
        _low = new double[inner.ActionSize];
        _high = new double[inner.ActionSize];
        for (var a = 0; a < _low.Length; a++)
        {
            _low[a] = Math.Max(inner.ActionLow[a], -limit);
            _high[a] = Math.Min(inner.ActionHigh[a], limit);
            if (_low[a] >= _high[a])
            {
                throw new ArgumentException(
                    $"±{limit.ToString(CultureInfo.InvariantCulture)} leaves actuator '{inner.ActionLayout[a]}' of task '{inner.Name}' no range (its range is [{inner.ActionLow[a].ToString(CultureInfo.InvariantCulture)}, {inner.ActionHigh[a].ToString(CultureInfo.InvariantCulture)}])");
            }
        }
    }

    /// <summary>The limit every actuator was narrowed to (±).</summary>
    public double Limit { get; }

    /// <summary>The task without the limit.</summary>
    public ITask Inner => _inner;

    /// <summary><paramref name="task"/> limited to ±<paramref name="limit"/>, or <paramref name="task"/> itself when no limit is given.</summary>
    public static ITask LimitOrSelf(ITask task, double? limit) => limit is { } l ? new ActionLimitedTask(task, l) : task;

    public string Name => _inner.Name;
    public string ModelXml => _inner.ModelXml;
    public double ControlPeriod => _inner.ControlPeriod;
    public int EpisodeSteps => _inner.EpisodeSteps;
    public int ObservationSize => _inner.ObservationSize;
    public IReadOnlyList<string> ObservationLayout => _inner.ObservationLayout;
    public IReadOnlyList<string> ObservationUnits => _inner.ObservationUnits;
    public IReadOnlyList<string> ActionLayout => _inner.ActionLayout;
    public string ActionUnit => _inner.ActionUnit;
    public int ActionSize => _inner.ActionSize;
    public ReadOnlySpan<double> ActionLow => _low;
    public ReadOnlySpan<double> ActionHigh => _high;
    public IReadOnlyList<TaskParameter> Parameters => _inner.Parameters;
    public int SuccessWindow => _inner.SuccessWindow;
    public MppiDefaults PlannerDefaults => _inner.PlannerDefaults;
    public string LearnerDefaults => _inner.LearnerDefaults;
    public string? Fingerprint => _inner.Fingerprint;
    public double MinimumStepCost => _inner.MinimumStepCost;

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action) => _inner.Cost(observation, action);
    public void Observe(MjData data, Span<double> observation) => _inner.Observe(data, observation);
    public bool IsSuccess(ReadOnlySpan<double> observation) => _inner.IsSuccess(observation);
    public void HoldAction(MjData data, Span<double> action) => _inner.HoldAction(data, action);
    public void SampleInitialState(MjData data, ref SplitMix64 rng) => _inner.SampleInitialState(data, ref rng);
    public void RestState(MjData data) => _inner.RestState(data);
}
