namespace Mpq.Planning.Control;

/// <summary>
/// How smooth the actions a loop sent were — what a gearbox feels: how often the action changed sign from one step
/// to the next, the mean step-to-step change, and the share of steps at an action limit. Counted over all live steps
/// and over those in the task's success region (for the pendulum: upright, where bang-bang balancing chatters).
/// </summary>
/// <remarks>Updated on the loop's thread with a few comparisons per step; allocates nothing.</remarks>
public sealed class ActionSmoothness
{
    private readonly double[] _low;
    private readonly double[] _high;
    private readonly double[] _previous;
    private bool _havePrevious;
    private readonly Counts _all = new();
    private readonly Counts _success = new();

    public ActionSmoothness(ReadOnlySpan<double> low, ReadOnlySpan<double> high)
    {
        _low = low.ToArray();
        _high = high.ToArray();
        _previous = new double[low.Length];
    }

    /// <summary>Over every live step.</summary>
    public SmoothnessFigures All => _all.Figures();

    /// <summary>Over the live steps that started in the task's success region.</summary>
    public SmoothnessFigures InSuccessRegion => _success.Figures();

    /// <summary>Forgets everything (a new episode or run).</summary>
    public void Clear()
    {
        _havePrevious = false;
        _all.Clear();
        _success.Clear();
    }

    /// <summary>The action after a step that was not live: the next change is not counted across the gap.</summary>
    public void Break() => _havePrevious = false;

    /// <summary>Counts one live step's applied action; <paramref name="inSuccessRegion"/> for the state it was planned from.</summary>
    public void Add(ReadOnlySpan<double> action, bool inSuccessRegion)
    {
        var flips = 0;
        var change = 0.0;
        var atLimit = 0;
        for (var a = 0; a < action.Length; a++)
        {
            var range = Math.Max(1e-12, 1e-3 * (_high[a] - _low[a]));
            if (action[a] >= _high[a] - range || action[a] <= _low[a] + range)
            {
                atLimit++;
            }
            if (_havePrevious)
            {
                change += Math.Abs(action[a] - _previous[a]);
                if (action[a] * _previous[a] < 0)
                {
                    flips++;
                }
            }
            _previous[a] = action[a];
        }
        var compared = _havePrevious;
        _havePrevious = true;
        _all.Add(compared, flips, change, atLimit, action.Length);
        if (inSuccessRegion)
        {
            _success.Add(compared, flips, change, atLimit, action.Length);
        }
    }

    private sealed class Counts
    {
        private long _steps;
        private long _pairs;
        private long _flips;
        private double _change;
        private long _atLimit;
        private long _entries;
        private long _pairEntries;

        public void Add(bool compared, int flips, double change, int atLimit, int size)
        {
            _steps++;
            _entries += size;
            _atLimit += atLimit;
            if (compared)
            {
                _pairs++;
                _pairEntries += size;
                _flips += flips;
                _change += change;
            }
        }

        public void Clear() => (_steps, _pairs, _flips, _change, _atLimit, _entries, _pairEntries) = (0, 0, 0, 0, 0, 0, 0);

        public SmoothnessFigures Figures() => new(
            _steps,
            _pairEntries == 0 ? double.NaN : (double)_flips / _pairEntries,
            _pairEntries == 0 ? double.NaN : _change / _pairEntries,
            _entries == 0 ? double.NaN : (double)_atLimit / _entries);
    }
}

/// <summary>Smoothness over a set of steps (per action entry; NaN when there were none).</summary>
/// <param name="Steps">Steps counted.</param>
/// <param name="SignFlipRate">Share of step-to-step pairs whose action changed sign.</param>
/// <param name="MeanAbsChange">Mean |a_t − a_{t−1}|, in the action's units (N·m for the pendulum).</param>
/// <param name="AtLimitShare">Share of steps whose action sat at a limit (within 0.1 % of the range).</param>
public sealed record SmoothnessFigures(long Steps, double SignFlipRate, double MeanAbsChange, double AtLimitShare);
