using Mpq.Planning.Control;
using Mpq.Tasks;

namespace Mpq.Trainer.Online;

/// <summary>
/// Cost and success per minute of rig time, counted on the loop's thread from its transitions (a preallocated bucket
/// per minute: nothing allocated per step); read from other threads for the per-minute metrics.
/// </summary>
public sealed class MinuteMeter : ITransitionSink
{
    private readonly ITask _task;
    private readonly int _stepsPerMinute;
    private readonly double[] _cost;
    private readonly int[] _steps;
    private readonly int[] _successSteps;
    private long _total;

    /// <param name="task">Its cost is already in the transitions; its success test is applied to each next observation.</param>
    /// <param name="minutes">Minutes the run may last (a longer run counts its excess into the last minute).</param>
    public MinuteMeter(ITask task, double minutes)
    {
        _task = task;
        _stepsPerMinute = (int)Math.Round(60 / task.ControlPeriod);
        var buckets = (int)Math.Ceiling(minutes) + 1;
        _cost = new double[buckets];
        _steps = new int[buckets];
        _successSteps = new int[buckets];
    }

    /// <summary>Control steps in one minute.</summary>
    public int StepsPerMinute => _stepsPerMinute;

    /// <summary>Transitions counted so far.</summary>
    public long Total => Interlocked.Read(ref _total);

    public void Add(in Transition t)
    {
        var b = (int)Math.Min(_total / _stepsPerMinute, _cost.Length - 1);
        _cost[b] += t.Cost;
        _successSteps[b] += _task.IsSuccess(t.NextObservation) ? 1 : 0;
        _steps[b]++;
        Interlocked.Increment(ref _total);
    }

    /// <summary>Minute <paramref name="minute"/>'s cost per step, share of steps in the success region and steps (approximate while it is being counted).</summary>
    public (double CostPerStep, double SuccessShare, int Steps) Minute(int minute)
    {
        var n = Volatile.Read(ref _steps[minute]);
        return n == 0 ? (double.NaN, double.NaN, 0) : (_cost[minute] / n, (double)_successSteps[minute] / n, n);
    }

    /// <summary>The whole run's cost, summed.</summary>
    public double TotalCost
    {
        get
        {
            var sum = 0.0;
            foreach (var c in _cost)
            {
                sum += c;
            }
            return sum;
        }
    }
}
