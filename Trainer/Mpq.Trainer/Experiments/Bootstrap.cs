using Mpq.Common;

namespace Mpq.Trainer.Experiments;

/// <summary>A mean with its 95 % bootstrap interval.</summary>
public readonly record struct Interval(double Mean, double Low, double High)
{
    /// <summary>Whether the whole interval lies below zero.</summary>
    public bool BelowZero => High < 0;

    /// <summary>Whether the whole interval lies above zero.</summary>
    public bool AboveZero => Low > 0;

    public override string ToString() => FormattableString.Invariant($"{Mean:F1} [{Low:F1}, {High:F1}]");
}

/// <summary>
/// Percentile bootstrap over seeds (the unit that is independent): resample the seeds with replacement, take the
/// mean, read the 2.5 % and 97.5 % points. Deterministic (a fixed stream), so a summary re-drawn from the same
/// results.csv prints the same intervals.
/// </summary>
public static class Bootstrap
{
    /// <summary>Resamples drawn per interval.</summary>
    public const int Resamples = 10_000;

    /// <summary>The mean of <paramref name="values"/> (one per seed) and its 95 % interval.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static Interval Mean(IReadOnlyList<double> values, ulong stream = 1)
    {
        if (values.Count == 0)
        {
            throw new ArgumentException("a bootstrap needs at least one value", nameof(values));
        }
        var mean = values.Average();
        if (values.Count == 1)
        {
            return new Interval(mean, mean, mean); // one seed: no spread to estimate, and the table says n = 1
        }
        var rng = SplitMix64.ForStream(0xB007, stream, (ulong)values.Count);
        var means = new double[Resamples];
        for (var b = 0; b < Resamples; b++)
        {
            var sum = 0.0;
            for (var i = 0; i < values.Count; i++)
            {
                sum += values[(int)(rng.NextDouble() * values.Count) % values.Count];
            }
            means[b] = sum / values.Count;
        }
        Array.Sort(means);
        return new Interval(mean, means[(int)(0.025 * Resamples)], means[(int)(0.975 * Resamples) - 1]);
    }

    /// <summary>
    /// The mean difference a − b over paired seeds (the same seed gives both the same start states) and its interval.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length or are empty.</exception>
    public static Interval PairedDifference(IReadOnlyList<double> a, IReadOnlyList<double> b, ulong stream = 2)
    {
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"paired values need the same seeds (got {a.Count} and {b.Count})");
        }
        return Mean(a.Zip(b, (x, y) => x - y).ToArray(), stream);
    }
}
