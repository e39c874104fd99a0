using Mpq.Common;
using Mpq.Planning.Control;

namespace Mpq.Trainer.Learning;

/// <summary>A ring of transitions (s, a, c, s', done) with physics states and observations, sampled uniformly.</summary>
public sealed class ReplayBuffer : ITransitionSink
{
    private readonly double[] _state;
    private readonly double[] _nextState;
    private readonly float[] _observation;
    private readonly float[] _nextObservation;
    private readonly float[] _action;
    private readonly float[] _cost;
    private readonly bool[] _done;
    private long _added;

    public ReplayBuffer(int capacity, int stateSize, int observationSize, int actionSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        StateSize = stateSize;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        _state = new double[capacity * stateSize];
        _nextState = new double[capacity * stateSize];
        _observation = new float[capacity * observationSize];
        _nextObservation = new float[capacity * observationSize];
        _action = new float[capacity * actionSize];
        _cost = new float[capacity];
        _done = new bool[capacity];
    }

    public int Capacity { get; }
    public int StateSize { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }

    /// <summary>Transitions held (at most <see cref="Capacity"/>).</summary>
    public int Count => (int)Math.Min(_added, Capacity);

    /// <summary>Transitions ever added.</summary>
    public long Added => _added;

    public void Add(in Transition t)
    {
        var i = (int)(_added % Capacity);
        t.State.CopyTo(_state.AsSpan(i * StateSize, StateSize));
        t.NextState.CopyTo(_nextState.AsSpan(i * StateSize, StateSize));
        for (var j = 0; j < ObservationSize; j++)
        {
            _observation[i * ObservationSize + j] = (float)t.Observation[j];
            _nextObservation[i * ObservationSize + j] = (float)t.NextObservation[j];
        }
        for (var j = 0; j < ActionSize; j++)
        {
            _action[i * ActionSize + j] = (float)t.Action[j];
        }
        _cost[i] = (float)t.Cost;
        _done[i] = t.Done;
        _added++;
    }

    /// <summary>Draws <paramref name="indices"/> uniformly from the stored transitions.</summary>
    public void Sample(Span<int> indices, ref SplitMix64 rng)
    {
        var n = Count;
        if (n == 0)
        {
            throw new InvalidOperationException("replay buffer is empty");
        }
        for (var k = 0; k < indices.Length; k++)
        {
            indices[k] = (int)(rng.NextUInt64() % (ulong)n);
        }
    }

    /// <summary>Writes the held transitions (checkpoints).</summary>
    public void Save(BinaryWriter w)
    {
        var n = Count;
        w.Write(Capacity);
        w.Write(_added);
        w.Write(_state.AsSpan(0, n * StateSize));
        w.Write(_nextState.AsSpan(0, n * StateSize));
        w.Write(_observation.AsSpan(0, n * ObservationSize));
        w.Write(_nextObservation.AsSpan(0, n * ObservationSize));
        w.Write(_action.AsSpan(0, n * ActionSize));
        w.Write(_cost.AsSpan(0, n));
        w.Write(_done.AsSpan(0, n));
    }

    /// <summary>Restores what <see cref="Save"/> wrote into a buffer of the same shape.</summary>
    /// <exception cref="InvalidDataException">The stored buffer has another capacity or shape, or a negative count.</exception>
    public void Load(BinaryReader r, string path)
    {
        var capacity = r.ReadInt32();
        if (capacity != Capacity)
        {
            throw new InvalidDataException($"checkpoint '{path}': replay capacity {capacity}, this run {Capacity}");
        }
        _added = r.ReadInt64();
        if (_added < 0)
        {
            throw new InvalidDataException($"checkpoint '{path}': replay count {_added} is negative");
        }
        var n = Count;
        r.ReadInto(_state.AsSpan(0, n * StateSize));
        r.ReadInto(_nextState.AsSpan(0, n * StateSize));
        r.ReadInto(_observation.AsSpan(0, n * ObservationSize));
        r.ReadInto(_nextObservation.AsSpan(0, n * ObservationSize));
        r.ReadInto(_action.AsSpan(0, n * ActionSize));
        r.ReadInto(_cost.AsSpan(0, n));
        r.ReadInto(_done.AsSpan(0, n));
    }

    public ReadOnlySpan<double> State(int i) => _state.AsSpan(i * StateSize, StateSize);
    public ReadOnlySpan<double> NextState(int i) => _nextState.AsSpan(i * StateSize, StateSize);
    public ReadOnlySpan<float> Observation(int i) => _observation.AsSpan(i * ObservationSize, ObservationSize);
    public ReadOnlySpan<float> NextObservation(int i) => _nextObservation.AsSpan(i * ObservationSize, ObservationSize);
    public ReadOnlySpan<float> Action(int i) => _action.AsSpan(i * ActionSize, ActionSize);
    public float Cost(int i) => _cost[i];
    public bool Done(int i) => _done[i];
}
