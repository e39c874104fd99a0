
namespace Mpq.Planning.Control;

/// <summary>
/// Hands transitions from the control loop's thread to one consumer on another thread (a learner, a network sender)
/// without the loop ever waiting: a preallocated single-producer, single-consumer ring. A full ring drops the new
/// transition and counts it; it never blocks and never allocates.
/// </summary>
/// <remarks>
/// Safety: the loop's thread only copies spans into a free slot and publishes its index with a release write; no
/// lock is shared with the consumer, so a consumer stalled on I/O or a busy learner cannot delay a Command.
/// </remarks>
public sealed class TransitionRing : ITransitionSink
{
    private readonly int _capacity;
    private readonly int _o;
    private readonly int _a;
    private readonly int _x;
    private readonly double[] _observation;
    private readonly double[] _action;
    private readonly double[] _nextObservation;
    private readonly double[] _state;
    private readonly double[] _nextState;
    private readonly double[] _cost;
    private readonly int[] _step;
    private readonly bool[] _done;
    private long _written; // next slot the producer fills (written by the producer only)
    private long _read;    // next slot the consumer reads (written by the consumer only)
    private long _dropped;

    /// <param name="capacity">Slots (a few seconds of steps: a consumer may pause that long without a loss).</param>
    /// <param name="observationSize">Entries of an observation.</param>
    /// <param name="actionSize">Entries of an action.</param>
    /// <param name="stateSize">Entries of a physics state.</param>
    public TransitionRing(int capacity, int observationSize, int actionSize, int stateSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _o = observationSize;
        _a = actionSize;
        _x = stateSize;
        _observation = new double[capacity * observationSize];
        _nextObservation = new double[capacity * observationSize];
        _action = new double[capacity * actionSize];
        _state = new double[capacity * stateSize];
        _nextState = new double[capacity * stateSize];
        _cost = new double[capacity];
        _step = new int[capacity];
        _done = new bool[capacity];
    }

    /// <summary>Transitions dropped because the consumer fell a whole ring behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Transitions offered so far (kept or dropped).</summary>
    public long Offered => Volatile.Read(ref _written) + Dropped;

    /// <summary>Producer side (the loop's thread): copies the transition into a free slot, or drops it when none is free.</summary>
    public void Add(in Transition t)
    {
        if (t.Observation.Length != _o || t.NextObservation.Length != _o || t.Action.Length != _a || t.State.Length != _x || t.NextState.Length != _x)
        {
            throw new ArgumentException($"transition of sizes o {t.Observation.Length} a {t.Action.Length} x {t.State.Length}, ring holds o {_o} a {_a} x {_x}");
        }
        var w = _written;
        if (w - Volatile.Read(ref _read) >= _capacity)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        var i = (int)(w % _capacity);
        t.Observation.CopyTo(_observation.AsSpan(i * _o, _o));
        t.NextObservation.CopyTo(_nextObservation.AsSpan(i * _o, _o));
        t.Action.CopyTo(_action.AsSpan(i * _a, _a));
        t.State.CopyTo(_state.AsSpan(i * _x, _x));
        t.NextState.CopyTo(_nextState.AsSpan(i * _x, _x));
        _cost[i] = t.Cost;
        _step[i] = t.Step;
        _done[i] = t.Done;
        Volatile.Write(ref _written, w + 1); // publishes the slot's contents
    }

    /// <summary>Consumer side (one thread): hands every waiting transition to <paramref name="sink"/> in order; returns how many.</summary>
    public int Drain(ITransitionSink sink)
    {
        var r = _read;
        var end = Volatile.Read(ref _written);
        var n = 0;
        for (; r < end; r++, n++)
        {
            var i = (int)(r % _capacity);
            sink.Add(new Transition(_step[i], _observation.AsSpan(i * _o, _o), _action.AsSpan(i * _a, _a), _cost[i],
                _nextObservation.AsSpan(i * _o, _o), _state.AsSpan(i * _x, _x), _nextState.AsSpan(i * _x, _x), _done[i]));
            Volatile.Write(ref _read, r + 1); // frees the slot only after the sink has copied it
        }
        return n;
    }
}
