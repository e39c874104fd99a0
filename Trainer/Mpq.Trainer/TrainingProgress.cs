using System.Globalization;
using Mpq.Trainer.Learning;
using Spectre.Console;

namespace Mpq.Trainer;

/// <summary>
/// What <c>trainer train</c> says while it learns: episode, its cost, successes so far, updates per second and the time
/// left — a Spectre progress bar on a terminal (<see cref="RunLive"/>), one plain line per episode otherwise (<see cref="Line"/>).
/// </summary>
internal sealed class TrainingProgress(int first, int episodes)
{
    private EpisodeMetrics? _last;
    private long _previousUpdates = -1;
    private double _elapsed;
    private int _done;
    private int _successes;
    private double _updatesPerSecond = double.NaN;

    /// <summary>Counts one finished episode.</summary>
    public void Add(EpisodeMetrics m)
    {
        if (_previousUpdates >= 0 && m.WallSeconds > 0)
        {
            _updatesPerSecond = (m.Updates - _previousUpdates) / m.WallSeconds;
        }
        else if (m.WallSeconds > 0)
        {
            _updatesPerSecond = m.Updates / m.WallSeconds;
        }
        _previousUpdates = m.Updates;
        _elapsed += m.WallSeconds;
        _done++;
        _successes += m.Success ? 1 : 0;
        _last = m;
    }

    private TimeSpan Left => TimeSpan.FromSeconds(_done == 0 ? 0 : _elapsed / _done * (episodes - first - _done));

    /// <summary>The plain line for the last episode.</summary>
    public string Line()
    {
        var m = _last!;
        var e = first + _done;
        return string.Create(CultureInfo.InvariantCulture,
            $"episode {e}/{episodes}: cost {m.Cost:F1}, {(m.Success ? "success" : "no success")} ({_successes}/{_done} so far), {m.WallSeconds:F1} s, {m.Updates} updates ({_updatesPerSecond:F0}/s); {(e < episodes ? $"about {Left:h\\:mm\\:ss} left" : "done")}");
    }

    /// <summary>Runs <paramref name="episode"/> for every remaining episode under a live progress bar on stderr.</summary>
    public void RunLive(Func<int, EpisodeMetrics> episode)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(Describe(), maxValue: episodes);
                bar.Value = first;
                for (var e = first; e < episodes; e++)
                {
                    episode(e);
                    bar.Value = e + 1;
                    bar.Description = Describe();
                }
            });
    }

    private string Describe()
    {
        if (_last is not { } m)
        {
            return Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"episode {first}/{episodes}"));
        }
        return Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"episode {first + _done}/{episodes}  cost {m.Cost:F1}  {(m.Success ? "success" : "no success")} ({_successes}/{_done})  {_updatesPerSecond:F0} updates/s"));
    }
}
