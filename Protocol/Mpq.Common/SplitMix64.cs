namespace Mpq.Common;

/// <summary>A small, fast, seedable generator (SplitMix64) with uniform and Gaussian draws.</summary>
/// <remarks>
/// A value type so each rollout can own a stream on the stack: the planner derives a stream per
/// (seed, planning call, sample) with <see cref="ForStream"/>, so the noise a sample sees does not
/// depend on how many threads share the work.
/// </remarks>
public struct SplitMix64
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public SplitMix64(ulong seed)
    {
        _state = seed;
        _spare = 0;
        _hasSpare = false;
    }

    /// <summary>The complete generator state (for checkpoints): counter, and the kept Gaussian if any.</summary>
    public readonly (ulong Counter, double Spare, bool HasSpare) SaveState() => (_state, _spare, _hasSpare);

    /// <summary>A generator continuing exactly where <see cref="SaveState"/> left off.</summary>
    public static SplitMix64 Restore((ulong Counter, double Spare, bool HasSpare) state) =>
        new(state.Counter) { _spare = state.Spare, _hasSpare = state.HasSpare };

    /// <summary>An independent stream for a (seed, a, b) triple.</summary>
    public static SplitMix64 ForStream(ulong seed, ulong a, ulong b) =>
        new(Mix(seed ^ Mix(a * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL) ^ Mix(b * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL)));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Standard normal (Marsaglia's polar method; the second value of each pair is kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            s = u * u + v * v;
        }
        while (s >= 1 || s == 0);
        var f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
