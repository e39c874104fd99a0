namespace Mpq.Planning.Dynamics;

/// <summary>A model the planner rolls forward: it hands out one independent context per worker thread.</summary>
public interface IDynamicsModel
{
    /// <summary>Length of a state vector.</summary>
    int StateSize { get; }

    /// <summary>Length of an observation vector.</summary>
    int ObservationSize { get; }

    /// <summary>Number of action entries.</summary>
    int ActionSize { get; }

    /// <summary>Creates a context for one thread's rollouts.</summary>
    IRolloutContext CreateContext();
}

/// <summary>One thread's simulation workspace.</summary>
public interface IRolloutContext : IDisposable
{
    /// <summary>Starts from <paramref name="state"/> (cheap: no full reset).</summary>
    void SetState(ReadOnlySpan<double> state);

    /// <summary>Applies <paramref name="action"/> for one control period.</summary>
    void Step(ReadOnlySpan<double> action);

    /// <summary>Observation of the current state.</summary>
    void Observe(Span<double> observation);

    /// <summary>Current state.</summary>
    void GetState(Span<double> state);

    /// <summary>
    /// The action that holds the current state (what a plan is reset to): zero for torque and velocity actuators,
    /// the current position for position servos.
    /// </summary>
    void HoldAction(Span<double> action) => action.Clear();

    /// <summary>
    /// Called before sample <paramref name="sample"/>'s rollout (before its <see cref="SetState"/>): an ensemble model
    /// picks the member that rolls it. A single model does nothing.
    /// </summary>
    void BeginSample(int sample) { }
}
