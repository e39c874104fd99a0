using Mpq.Common;

namespace Mpq.Planning.Mppi;

/// <summary>
/// The seam the control loop, the learner and the Q targets program against: a receding-horizon planner with a
/// warm-started plan and an optional terminal cost. <see cref="MppiPlanner"/> is the one this project ships.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller (the loop, or one target worker) at a time. A planner may use worker threads inside
/// a call. Calls on the per-step path (<see cref="Step"/>, <see cref="Fallback"/>) allocate nothing.
/// </remarks>
public interface IPlanner : IDisposable
{
    /// <summary>State vector length.</summary>
    int StateSize { get; }

    /// <summary>Action vector length.</summary>
    int ActionSize { get; }

    /// <summary>The warm-started plan.</summary>
    Plan Plan { get; }

    /// <summary>The terminal cost in use, or null for the running cost.</summary>
    ITerminalCost? TerminalCost { get; }

    /// <summary>Sets (or removes, with null) the terminal cost. Call between planning steps only.</summary>
    void SetTerminalCost(ITerminalCost? terminal);

    /// <summary>One control step from <paramref name="state"/>: writes the action to send, shifts the plan.</summary>
    /// <returns>The planner's value estimate (for MPPI the free energy); not finite when nothing was learnt.</returns>
    double Step(ReadOnlySpan<double> state, Span<double> action);

    /// <summary>The action for a period there is no time to plan in: the warm-started plan's next action, then a shift.</summary>
    void Fallback(ReadOnlySpan<double> state, Span<double> action);

    /// <summary>Forgets the plan (a new episode, a disarm, a non-finite action).</summary>
    void ResetPlan();

    /// <summary>The planner's value of <paramref name="state"/> from a fresh plan after <paramref name="iterations"/> iterations (a Q target).</summary>
    /// <param name="state">The state to value.</param>
    /// <param name="iterations">Iterations before the value batch.</param>
    /// <param name="previousAction">The action taken into <paramref name="state"/> (what an action-rate cost compares the first step with); empty: the state's hold action.</param>
    double EstimateValue(ReadOnlySpan<double> state, int iterations, ReadOnlySpan<double> previousAction = default);

    /// <summary>Steps in which nothing finite was found and the hold action was sent.</summary>
    long NonFiniteSteps { get; }

    /// <summary>Planning calls so far (with the seed it selects the noise: checkpoints restore it).</summary>
    ulong CallCounter { get; set; }

    /// <summary>Time in rollouts per iteration, ms.</summary>
    LatencyRecorder RolloutTimes { get; }

    /// <summary>Time in the terminal cost per iteration, ms.</summary>
    LatencyRecorder TerminalTimes { get; }

    /// <summary>Time weighting and updating the plan per iteration, ms.</summary>
    LatencyRecorder UpdateTimes { get; }
}
