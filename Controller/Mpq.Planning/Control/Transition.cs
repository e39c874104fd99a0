namespace Mpq.Planning.Control;

/// <summary>One control step (s_t, a_t, c, s_{t+1}, done) with both observations and physics states.</summary>
public readonly ref struct Transition(int step, ReadOnlySpan<double> observation, ReadOnlySpan<double> action, double cost,
    ReadOnlySpan<double> nextObservation, ReadOnlySpan<double> state, ReadOnlySpan<double> nextState, bool done,
    ReadOnlySpan<double> measured = default)
{
    /// <summary>What the plant reports it applied (a rig: after its clamp and slew limit); empty when not known.</summary>
    public ReadOnlySpan<double> Measured { get; } = measured;

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

    /// <summary>A live setting change (e.g. <c>horizon=12</c>) that takes effect at loop step <paramref name="step"/>.</summary>
    void Event(long step, string text) { }
}
