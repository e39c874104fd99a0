using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mpq.Planning.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Experiments;

/// <summary>One curve of the figure: a learner configuration.</summary>
public sealed record Configuration(string Label, Algorithm Algorithm, int Horizon);

/// <summary>
/// The paper's Figure 1 for one task: MPQ with a short horizon against MPPI with the same and a long
/// horizon and soft Q-learning, several seeds, episode cost on the true system against training episodes.
/// Writes results.csv, figure.png and summary.txt.
/// </summary>
public static class Figure1
{
    public static IReadOnlyList<Configuration> Default(int shortHorizon = 8, int longHorizon = 32) =>
    [
        new($"MPQ H={shortHorizon}", Algorithm.Mpq, shortHorizon),
        new($"MPPI H={shortHorizon}", Algorithm.Mppi, shortHorizon),
        new($"MPPI H={longHorizon}", Algorithm.Mppi, longHorizon),
        new("SoftQ (H=1)", Algorithm.SoftQ, 1),
    ];

    public sealed record Row(string Label, ulong Seed, int Episode, double Cost, bool Success, double WallSeconds);

    public static IReadOnlyList<Row> Run(Func<ITask> task, IReadOnlyList<Configuration> configurations, int seeds, int episodes, int threads,
        string outputDirectory, Action<string> progress, Func<LearnerSettings, LearnerSettings>? adjust = null)
    {
        Directory.CreateDirectory(outputDirectory);
        var rows = new List<Row>();
        var clock = Stopwatch.StartNew();
        foreach (var config in configurations)
        {
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var t = task();
                var settings = LearnerSettings.For(t) with { Algorithm = config.Algorithm, Horizon = config.Horizon, Seed = seed };
                settings = adjust?.Invoke(settings) ?? settings;
                using var learner = new Learner(t, settings, threads);
                for (var e = 0; e < episodes; e++)
                {
                    var m = learner.RunEpisode(e);
                    rows.Add(new Row(config.Label, seed, e, m.Cost, m.Success, m.WallSeconds));
                }
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"{config.Label} seed {seed}: mean cost {rows.Where(r => r.Label == config.Label && r.Seed == seed).Average(r => r.Cost):F1} ({clock.Elapsed.TotalSeconds:F0} s so far)"));
                WriteCsv(rows, Path.Combine(outputDirectory, "results.csv"));
            }
        }
        Plot(rows, configurations, Path.Combine(outputDirectory, "figure.png"), task().Name);
        File.WriteAllText(Path.Combine(outputDirectory, "summary.txt"), Summary(rows, configurations, seeds, clock.Elapsed));
        return rows;
    }

    public static void WriteCsv(IEnumerable<Row> rows, string path)
    {
        var b = new StringBuilder("config,seed,episode,cost,success,wall_seconds\n");
        foreach (var r in rows)
        {
            b.Append(CultureInfo.InvariantCulture, $"{r.Label},{r.Seed},{r.Episode},{r.Cost:F3},{(r.Success ? 1 : 0)},{r.WallSeconds:F3}\n");
        }
        File.WriteAllText(path, b.ToString());
    }

    /// <summary>Mean over seeds of the per-episode cost, smoothed by a trailing window (episode starts are random).</summary>
    public static double[] Curve(IReadOnlyList<Row> rows, string label, int window = 5)
    {
        var byEpisode = rows.Where(r => r.Label == label).GroupBy(r => r.Episode).OrderBy(g => g.Key).Select(g => g.Average(r => r.Cost)).ToArray();
        var curve = new double[byEpisode.Length];
        for (var e = 0; e < curve.Length; e++)
        {
            var from = Math.Max(0, e - window + 1);
            curve[e] = byEpisode[from..(e + 1)].Average();
        }
        return curve;
    }

    /// <summary>Draws the curves (log-scale cost axis: the baselines differ by orders of magnitude).</summary>
    public static void Plot(IReadOnlyList<Row> rows, IReadOnlyList<Configuration> configurations, string path, string task)
    {
        var plot = new ScottPlot.Plot();
        foreach (var config in configurations)
        {
            var mean = Curve(rows, config.Label);
            var spread = rows.Where(r => r.Label == config.Label).GroupBy(r => r.Episode).OrderBy(g => g.Key)
                .Select(g => Std(g.Select(r => r.Cost).ToArray())).ToArray();
            var xs = Enumerable.Range(0, mean.Length).Select(i => (double)i).ToArray();
            var line = plot.Add.Scatter(xs, mean.Select(Log).ToArray());
            line.LegendText = config.Label;
            line.LineWidth = 2;
            var upper = mean.Zip(spread, (m, s) => Log(m + s / 2)).ToArray();
            var lower = mean.Zip(spread, (m, s) => Log(Math.Max(1, m - s / 2))).ToArray();
            var band = plot.Add.FillY(xs, lower, upper);
            band.FillColor = line.Color.WithAlpha(0.15);
            band.LineWidth = 0;
        }
        plot.Title($"{task}: episode cost on the true system (mean over seeds, 5-episode window; band ±½ std)");
        plot.XLabel("training episode");
        plot.YLabel("episode cost (log scale)");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.ShowLegend();
        plot.SavePng(path, 1000, 600);
    }

    private static double Log(double cost) => Math.Log10(Math.Max(1, cost));

    /// <summary>Reads a results.csv written by <see cref="WriteCsv"/>.</summary>
    public static List<Row> ReadCsv(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            var f = l.Split(',');
            var c = CultureInfo.InvariantCulture;
            return new Row(f[0], ulong.Parse(f[1], c), int.Parse(f[2], c), double.Parse(f[3], c), f[4] == "1", double.Parse(f[5], c));
        }).ToList();

    public static string Summary(IReadOnlyList<Row> rows, IReadOnlyList<Configuration> configurations, int seeds, TimeSpan wall)
    {
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"wall-clock time: {wall.TotalMinutes:F1} min");
        foreach (var c in configurations)
        {
            var r = rows.Where(x => x.Label == c.Label).ToList();
            var last = r.Where(x => x.Episode >= r.Max(y => y.Episode) - 9).ToList();
            b.AppendLine(CultureInfo.InvariantCulture, $"{c.Label,-14} mean cost {r.Average(x => x.Cost),8:F1}, last 10 episodes {last.Average(x => x.Cost),8:F1}, success {r.Count(x => x.Success)}/{r.Count}");
        }
        var learner = configurations[0];
        foreach (var other in configurations.Skip(1))
        {
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var mine = Curve(rows.Where(x => x.Seed == seed).ToList(), learner.Label);
                var theirs = Curve(rows.Where(x => x.Seed == seed).ToList(), other.Label);
                var crossing = -1;
                for (var e = 0; e < Math.Min(mine.Length, theirs.Length); e++)
                {
                    if (mine[e] < theirs[e])
                    {
                        crossing = e;
                        break;
                    }
                }
                b.AppendLine(crossing >= 0
                    ? $"seed {seed}: {learner.Label} below {other.Label} (5-episode mean) from episode {crossing}"
                    : $"seed {seed}: {learner.Label} never below {other.Label} (5-episode mean)");
            }
        }
        return b.ToString();
    }

    private static double Std(double[] values)
    {
        if (values.Length < 2)
        {
            return 0;
        }
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }
}
