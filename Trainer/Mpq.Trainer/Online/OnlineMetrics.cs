using System.Globalization;
using Mpq.Common;
using Mpq.Controller.Rig;
using Mpq.Planning.Control;

namespace Mpq.Trainer.Online;

/// <summary>
/// The online run's figures while it runs: a live line on stderr every few seconds and one metrics.csv row per
/// completed minute of rig time (cost per step, success share, updates, Q swaps, deadline misses, plan p50/p99).
/// Called from a timer thread, never from the loop's.
/// </summary>
internal sealed class OnlineMetrics(string path, MinuteMeter meter, RigRunner runner, OnlineLearner? online, TransitionRing ring)
{
    public const string Header = "minute,cost_per_step,success_share,steps,updates,q_swaps,deadline_misses,plan_ms_p50,plan_ms_p99,learning";
    private readonly List<string> _rows = [Header];
    private readonly Lock _gate = new();
    private int _written;
    private int _ticks;

    /// <summary>Writes the rows of minutes completed since the last call; every 5th call, the live line.</summary>
    public void Tick()
    {
        lock (_gate)
        {
            var done = (int)(meter.Total / meter.StepsPerMinute);
            while (_written < done)
            {
                AddRow(_written++);
            }
            if (++_ticks % 5 == 0)
            {
                var (steps, misses) = runner.Progress;
                var (cost, success, _) = meter.Minute(_written);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"online {(double)steps / meter.StepsPerMinute:F2} min armed: this minute cost/step {cost:F3}, in the success region {success:P0}; {online?.Transitions ?? 0} transitions, {online?.Updates ?? 0} updates, " +
                    $"Q swaps {online?.Swaps ?? 0}, deadline misses {misses}, plan p99 {runner.PlanTimes.Percentile(0.99, 100):F2} ms, learning: {online?.State ?? "off (MPPI)"}"));
            }
        }
    }

    /// <summary>Writes what is left, the last (partial) minute included.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            var total = meter.Total;
            var minutes = (int)((total + meter.StepsPerMinute - 1) / meter.StepsPerMinute);
            while (_written < minutes)
            {
                AddRow(_written++);
            }
            if (online is not null && ring.Dropped > 0)
            {
                Console.Error.WriteLine($"warning: {ring.Dropped} transition(s) did not reach the learner (it fell 30 s behind)");
            }
        }
    }

    private void AddRow(int minute)
    {
        var (cost, success, steps) = meter.Minute(minute);
        var (_, misses) = runner.Progress;
        _rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"{minute + 1},{cost:F4},{success:F3},{steps},{online?.Updates ?? 0},{online?.Swaps ?? 0},{misses},{runner.PlanTimes.Percentile(0.5, steps):F3},{runner.PlanTimes.Percentile(0.99, steps):F3},{Csv.Quote(online?.State ?? "off")}"));
        AtomicFile.Write(path, string.Join('\n', _rows) + "\n");
    }
}
