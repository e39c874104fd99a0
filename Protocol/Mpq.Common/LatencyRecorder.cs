namespace Mpq.Common;

/// <summary>A preallocated ring of durations with percentile read-out; recording allocates nothing.</summary>
/// <remarks>Not thread-safe: one writer. Percentiles sort a copy and are for reporting, not the hot path.</remarks>
public sealed class LatencyRecorder
{
    private readonly double[] _ring;
    private long _count;
    private double _max;
    private long _overruns;
    private double _total;

    public LatencyRecorder(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new double[capacity];
    }

    /// <summary>Recordings so far (may exceed the ring's capacity; percentiles cover the latest ones).</summary>
    public long Count => _count;

    /// <summary>Largest recording since the last <see cref="Clear"/>.</summary>
    public double Max => _max;

    /// <summary>Recordings above the budget passed to <see cref="Record(double, double)"/>.</summary>
    public long Overruns => _overruns;

    /// <summary>Sum of all recordings since the last <see cref="Clear"/>, ms (throughput figures).</summary>
    public double Total => _total;

    public void Record(double milliseconds)
    {
        _ring[_count % _ring.Length] = milliseconds;
        _count++;
        _total += milliseconds;
        if (milliseconds > _max)
        {
            _max = milliseconds;
        }
    }

    public void Record(double milliseconds, double budgetMilliseconds)
    {
        Record(milliseconds);
        if (milliseconds > budgetMilliseconds)
        {
            _overruns++;
        }
    }

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    public void RecordSince(long startTimestamp) =>
        Record(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    /// <summary>The q-quantile (0..1) of the retained recordings, or NaN when there are none.</summary>
    public double Percentile(double q) => Percentile(q, _ring.Length);

    /// <summary>The q-quantile (0..1) of the latest <paramref name="latest"/> recordings (at most the ring's), or NaN when there are none.</summary>
    public double Percentile(double q, long latest)
    {
        var count = _count;
        var n = (int)Math.Min(Math.Min(count, _ring.Length), Math.Max(latest, 0));
        if (n == 0)
        {
            return double.NaN;
        }
        var copy = new double[n];
        for (var k = 0; k < n; k++)
        {
            copy[k] = _ring[(count - 1 - k) % _ring.Length];
        }
        Array.Sort(copy);
        var index = (int)Math.Ceiling(q * n) - 1;
        return copy[Math.Clamp(index, 0, n - 1)];
    }

    public void Clear()
    {
        _count = 0;
        _total = 0;
        _max = 0;
        _overruns = 0;
    }
}
