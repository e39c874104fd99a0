using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mpq.Common;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Experiments;

/// <summary>One curve of the figure: a learner configuration.</summary>
/// <param name="Label">Legend and CSV name.</param>
/// <param name="Algorithm">Learner.</param>
/// <param name="Horizon">H.</param>
/// <param name="Samples">N (null: the task's learner default).</param>
/// <param name="TrueModel">Plan on the true parameters (the headroom reference), not on the biased prior.</param>
/// <param name="Key">Stable name for <c>--only</c> and for the comparisons the summary makes (e.g. <c>mpq</c>, <c>mppi-long</c>).</param>
public sealed record Configuration(string Label, Algorithm Algorithm, int Horizon, int? Samples = null, bool TrueModel = false, string Key = "");

/// <summary>
/// The paper's Figure 1 for one task: MPQ with a short horizon against MPPI with the same and a long horizon and soft
/// Q-learning, several seeds, episode cost on the true system against training episodes. Beside the paper's curves:
/// MPPI-long on the true model (how much the bias costs: the headroom), MPPI-long at MPQ's rollout budget (N·H), and
/// MPQ and MPPI-long at the paper's sample count. Writes results.csv, figure.png and summary.md.
/// </summary>
/// <remarks>
/// Seed s gives every configuration the same start states (episode streams depend on seed and index only), so
/// comparisons are paired by seed. Intervals are 95 % percentile bootstraps over seeds (<see cref="Bootstrap"/>).
/// </remarks>
public static class Figure1
{
    /// <summary>The authors' MPPI sample counts were 24–40 (DESIGN.md, reference numbers).</summary>
    public const int PaperSamples = 40;

    /// <summary>Episodes at the end of training the verdicts are taken over.</summary>
    public const int FinalWindow = 10;

    /// <summary>
    /// The contenders, with <paramref name="samples"/> the task's N. The equal-budget MPPI-long gets
    /// N·H_short / H_long samples (the same N·H rollout actions per step; MPQ also pays for N Q evaluations, which the
    /// step-time column shows).
    /// </summary>
    public static IReadOnlyList<Configuration> Default(int shortHorizon, int longHorizon, int samples)
    {
        var equal = Math.Max(1, (int)Math.Round((double)samples * shortHorizon / longHorizon));
        return
        [
            new($"MPQ H={shortHorizon}", Algorithm.Mpq, shortHorizon, Key: "mpq"),
            new($"MPPI H={shortHorizon}", Algorithm.Mppi, shortHorizon, Key: "mppi-short"),
            new($"MPPI H={longHorizon}", Algorithm.Mppi, longHorizon, Key: "mppi-long"),
            new($"MPPI H={longHorizon} true model", Algorithm.Mppi, longHorizon, TrueModel: true, Key: "mppi-long-true"),
            new($"MPPI H={longHorizon} N={equal}", Algorithm.Mppi, longHorizon, equal, Key: "mppi-long-budget"),
            new($"MPQ H={shortHorizon} N={PaperSamples}", Algorithm.Mpq, shortHorizon, PaperSamples, Key: "mpq-paper-n"),
            new($"MPPI H={longHorizon} N={PaperSamples}", Algorithm.Mppi, longHorizon, PaperSamples, Key: "mppi-long-paper-n"),
            new("SoftQ (H=1)", Algorithm.SoftQ, 1, Key: "softq"),
        ];
    }

    /// <summary>Keeps the configurations whose keys are listed (comma-separated), in the default order.</summary>
    /// <exception cref="ArgumentException">An unknown key.</exception>
    public static IReadOnlyList<Configuration> Select(IReadOnlyList<Configuration> all, string? keys)
    {
        if (string.IsNullOrWhiteSpace(keys))
        {
            return all;
        }
        var wanted = keys.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var k in wanted)
        {
            if (all.All(c => c.Key != k))
            {
                throw new ArgumentException($"--only: no configuration '{k}' (known: {string.Join(", ", all.Select(c => c.Key))})");
            }
        }
        return all.Where(c => wanted.Contains(c.Key)).ToList();
    }

    public sealed record Row(string Label, ulong Seed, int Episode, double Cost, bool Success, double WallSeconds, double PlanMilliseconds = double.NaN, string Key = "");

    public static IReadOnlyList<Row> Run(Func<ITask> task, IReadOnlyList<Configuration> configurations, int seeds, int episodes, int threads,
        string outputDirectory, Action<string> progress, Func<LearnerSettings, LearnerSettings>? adjust = null)
    {
        Directory.CreateDirectory(outputDirectory);
        var rows = new List<Row>();
        var clock = Stopwatch.StartNew();
        var name = task().Name;
        foreach (var config in configurations)
        {
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                var t = task();
                var settings = Settings(t, config, seed, adjust);
                using var learner = new Learner(t, settings, threads);
                for (var e = 0; e < episodes; e++)
                {
                    var m = learner.RunEpisode(e);
                    rows.Add(new Row(config.Label, seed, e, m.Cost, m.Success, m.WallSeconds, m.PlanMilliseconds, config.Key));
                }
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"{config.Label} seed {seed}: mean cost {rows.Where(r => r.Label == config.Label && r.Seed == seed).Average(r => r.Cost):F1} ({clock.Elapsed.TotalSeconds:F0} s so far)"));
                WriteCsv(rows, Path.Combine(outputDirectory, "results.csv"));
            }
        }
        File.WriteAllText(Path.Combine(outputDirectory, "task.txt"), name + "\n");
        Plot(rows, configurations, Path.Combine(outputDirectory, "figure.png"), name);
        File.WriteAllText(Path.Combine(outputDirectory, "summary.md"), Summary(rows, configurations, clock.Elapsed, name));
        return rows;
    }

    /// <summary>The learner settings of one curve: the task's defaults, then the command line's, then the curve's own.</summary>
    public static LearnerSettings Settings(ITask task, Configuration config, ulong seed, Func<LearnerSettings, LearnerSettings>? adjust = null)
    {
        var settings = LearnerSettings.For(task) with { Algorithm = config.Algorithm, Horizon = config.Horizon, Seed = seed };
        settings = adjust?.Invoke(settings) ?? settings;
        return settings with
        {
            Samples = config.Samples ?? settings.Samples,
            TrueModel = config.TrueModel,
        };
    }

    public static void WriteCsv(IEnumerable<Row> rows, string path)
    {
        var b = new StringBuilder("config,seed,episode,cost,success,wall_seconds,plan_ms,key\n");
        foreach (var r in rows)
        {
            b.Append(CultureInfo.InvariantCulture, $"{Csv.Quote(r.Label)},{r.Seed},{r.Episode},{r.Cost:F3},{(r.Success ? 1 : 0)},{r.WallSeconds:F3},{r.PlanMilliseconds:F4},{Csv.Quote(r.Key)}\n");
        }
        File.WriteAllText(path, b.ToString());
    }

    /// <summary>Reads a results.csv written by <see cref="WriteCsv"/> (or by the older six-column version).</summary>
    public static List<Row> ReadCsv(string path)
    {
        var rows = new List<Row>();
        var number = 1;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                var f = Csv.Split(line);
                if (f.Count < 6)
                {
                    throw new FormatException($"{f.Count} fields, expected at least 6 (config,seed,episode,cost,success,wall_seconds[,plan_ms,key])");
                }
                var c = CultureInfo.InvariantCulture;
                var plan = f.Count > 6 ? double.Parse(f[6], c) : double.NaN;
                var key = f.Count > 7 ? f[7] : "";
                rows.Add(new Row(f[0], ulong.Parse(f[1], c), int.Parse(f[2], c), double.Parse(f[3], c), f[4] == "1", double.Parse(f[5], c), plan, key));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{path} line {number}: {e.Message}", e);
            }
            catch (OverflowException e)
            {
                throw new FormatException($"{path} line {number}: {e.Message}", e);
            }
        }
        return rows;
    }

    /// <summary>The configurations a results file holds, in file order (keys and labels only).</summary>
    public static List<Configuration> ConfigurationsIn(IReadOnlyList<Row> rows) =>
        rows.GroupBy(r => r.Label).Select(g => new Configuration(g.Key, default, 0, Key: g.First().Key)).ToList();

    /// <summary>Per seed, the trailing <paramref name="window"/>-episode mean of the episode cost.</summary>
    public static double[] SeedCurve(IReadOnlyList<Row> rows, string label, ulong seed, int window = 5)
    {
        var costs = rows.Where(r => r.Label == label && r.Seed == seed).OrderBy(r => r.Episode).Select(r => r.Cost).ToArray();
        var curve = new double[costs.Length];
        for (var e = 0; e < curve.Length; e++)
        {
            var from = Math.Max(0, e - window + 1);
            curve[e] = costs[from..(e + 1)].Average();
        }
        return curve;
    }

    /// <summary>Mean over seeds of the per-episode cost, smoothed by a trailing window (episode starts are random).</summary>
    public static double[] Curve(IReadOnlyList<Row> rows, string label, int window = 5)
    {
        var seeds = rows.Where(r => r.Label == label).Select(r => r.Seed).Distinct().ToList();
        var curves = seeds.Select(s => SeedCurve(rows, label, s, window)).ToList();
        var length = curves.Min(c => c.Length);
        return Enumerable.Range(0, length).Select(e => curves.Average(c => c[e])).ToArray();
    }

    /// <summary>Per seed (in seed order), the mean cost of the last <see cref="FinalWindow"/> episodes.</summary>
    public static double[] FinalCosts(IReadOnlyList<Row> rows, string label) => PerSeed(rows, label, r => r.Cost);

    /// <summary>Per seed, the success rate (0–1) of the last <see cref="FinalWindow"/> episodes.</summary>
    public static double[] FinalSuccess(IReadOnlyList<Row> rows, string label) => PerSeed(rows, label, r => r.Success ? 1 : 0);

    private static double[] PerSeed(IReadOnlyList<Row> rows, string label, Func<Row, double> value)
    {
        var mine = rows.Where(r => r.Label == label).ToList();
        var last = mine.Max(r => r.Episode);
        return mine.GroupBy(r => r.Seed).OrderBy(g => g.Key)
            .Select(g => g.Where(r => r.Episode > last - FinalWindow).Average(value)).ToArray();
    }

    /// <summary>
    /// The first episode from which the seed-mean curve stays within ±10 % of its final level (the mean of the last
    /// <see cref="FinalWindow"/> episodes), or null if it only gets there in the final window (still falling).
    /// </summary>
    public static int? FlattensAt(IReadOnlyList<Row> rows, string label)
    {
        var curve = Curve(rows, label);
        if (curve.Length <= FinalWindow)
        {
            return null;
        }
        var level = curve[^FinalWindow..].Average();
        var at = curve.Length;
        for (var e = curve.Length - 1; e >= 0 && Math.Abs(curve[e] - level) <= 0.1 * Math.Abs(level); e--)
        {
            at = e;
        }
        return at <= curve.Length - FinalWindow ? at : null;
    }

    /// <summary>
    /// Draws the curves: mean over seeds with the 95 % bootstrap band of the seed mean, on a log axis (the contenders
    /// differ by orders of magnitude; a bootstrap band never goes below the smallest seed's cost, so it is never clamped).
    /// </summary>
    public static void Plot(IReadOnlyList<Row> rows, IReadOnlyList<Configuration> configurations, string path, string task)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var config in configurations)
        {
            var color = palette.GetColor(index++);
            var seeds = rows.Where(r => r.Label == config.Label).Select(r => r.Seed).Distinct().OrderBy(s => s).ToList();
            if (seeds.Count == 0)
            {
                continue;
            }
            var curves = seeds.Select(s => SeedCurve(rows, config.Label, s)).ToList();
            var length = curves.Min(c => c.Length);
            var xs = Enumerable.Range(0, length).Select(i => (double)i).ToArray();
            var bands = Enumerable.Range(0, length).Select(e => Bootstrap.Mean(curves.Select(c => c[e]).ToArray(), (ulong)e)).ToArray();
            var line = plot.Add.Scatter(xs, bands.Select(b => Log(b.Mean)).ToArray());
            line.Color = color;
            line.LegendText = config.Label;
            line.LineWidth = config.TrueModel ? 1 : 2;
            line.MarkerSize = 0;
            if (config.TrueModel || config.Key == "mppi-long-true")
            {
                line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
            var band = plot.Add.FillY(xs, bands.Select(b => Log(b.Low)).ToArray(), bands.Select(b => Log(b.High)).ToArray());
            band.FillColor = color.WithAlpha(0.15);
            band.LineWidth = 0;
        }
        var n = rows.Select(r => r.Seed).Distinct().Count();
        plot.Title($"{task}: episode cost on the true system (mean of {n} seeds, 5-episode window; band: 95 % bootstrap CI)");
        plot.XLabel("training episode");
        plot.YLabel("episode cost (log scale)");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("N0", CultureInfo.InvariantCulture),
        };
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1100, 650);
    }

    private static double Log(double cost) => Math.Log10(Math.Max(1, cost));

    /// <summary>The tables and verdicts of summary.md.</summary>
    public static string Summary(IReadOnlyList<Row> rows, IReadOnlyList<Configuration> configurations, TimeSpan wall, string task)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        var present = configurations.Where(x => rows.Any(r => r.Label == x.Label)).ToList();
        var seeds = rows.Select(r => r.Seed).Distinct().Count();
        var episodes = rows.Max(r => r.Episode) + 1;
        b.AppendLine(c, $"# Figure 1, {task}: {seeds} seeds × {episodes} episodes (wall clock {wall.TotalMinutes:F1} min)");
        b.AppendLine();
        b.AppendLine(c, $"Cost and success over each seed's last {FinalWindow} training episodes on the true system; mean over seeds with the 95 % bootstrap interval. Plan ms: median acting planner step (learning between steps excluded).");
        b.AppendLine();
        b.AppendLine("| configuration | final cost [95 % CI] | final success | all episodes' success | plan ms | flattens at |");
        b.AppendLine("|---|---|---|---|---|---|");
        foreach (var x in present)
        {
            var mine = rows.Where(r => r.Label == x.Label).ToList();
            var cost = Bootstrap.Mean(FinalCosts(rows, x.Label));
            var success = Bootstrap.Mean(FinalSuccess(rows, x.Label).Select(v => 100 * v).ToArray());
            var plan = mine.Select(r => r.PlanMilliseconds).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
            var flat = LearnsNothing(x) ? "(no learning)" : FlattensAt(rows, x.Label) is { } f ? $"episode {f}" : "still falling";
            b.AppendLine(c, $"| {x.Label} | {cost} | {success.Mean:F0} % [{success.Low:F0}, {success.High:F0}] | {mine.Count(r => r.Success)}/{mine.Count} | {plan:F2} | {flat} |");
        }
        b.AppendLine();
        var lines = Comparisons(rows, present);
        if (lines.Count > 0)
        {
            b.AppendLine("Paired by seed, difference of final cost (negative: the first is better):");
            b.AppendLine();
            foreach (var line in lines)
            {
                b.AppendLine(c, $"- {line}");
            }
            b.AppendLine();
        }
        var learner = present.FirstOrDefault(x => x.Key == "mpq") ?? present.FirstOrDefault();
        if (learner is not null)
        {
            foreach (var other in present.Where(x => x != learner))
            {
                var crossings = rows.Select(r => r.Seed).Distinct().OrderBy(s => s).Select(s =>
                {
                    var mine = SeedCurve(rows, learner.Label, s);
                    var theirs = SeedCurve(rows, other.Label, s);
                    for (var e = 0; e < Math.Min(mine.Length, theirs.Length); e++)
                    {
                        if (mine[e] < theirs[e])
                        {
                            return e.ToString(c);
                        }
                    }
                    return "never";
                });
                b.AppendLine(c, $"{learner.Label} first below {other.Label} (5-episode mean), per seed: {string.Join(", ", crossings)}");
            }
        }
        return b.ToString();
    }

    // A curve read back from results.csv knows its key and label, not its algorithm: plain MPPI is told by either.
    private static bool LearnsNothing(Configuration x) =>
        x.Key.StartsWith("mppi", StringComparison.Ordinal) || (x.Key.Length == 0 && x.Label.StartsWith("MPPI", StringComparison.Ordinal));

    /// <summary>The headline comparisons, each a paired difference with its interval and a verdict.</summary>
    public static List<string> Comparisons(IReadOnlyList<Row> rows, IReadOnlyList<Configuration> present)
    {
        Configuration? Find(string key) => present.FirstOrDefault(x => x.Key == key);
        var lines = new List<string>();
        void Compare(string a, string b, string question, bool headroom = false)
        {
            if (Find(a) is not { } x || Find(b) is not { } y)
            {
                return;
            }
            var ca = FinalCosts(rows, x.Label);
            var cb = FinalCosts(rows, y.Label);
            if (ca.Length != cb.Length)
            {
                lines.Add($"{question}: {x.Label} and {y.Label} ran different seeds; not compared");
                return;
            }
            var d = Bootstrap.PairedDifference(ca, cb);
            var verdict = headroom
                ? d.AboveZero ? "**yes**, the bias costs the long horizon this much" : "**no headroom shown** (the interval reaches 0 or below)"
                : d.BelowZero ? "**yes**" : d.AboveZero ? "**no** (worse)" : "**not shown** (the interval contains 0)";
            lines.Add($"{question} {x.Label} − {y.Label} = {d}: {verdict}");
        }
        Compare("mppi-long", "mppi-long-true", "Headroom (does the bias hurt the long horizon?)", headroom: true);
        Compare("mpq", "mppi-long", "MPQ short beats MPPI long?");
        Compare("mpq", "mppi-long-budget", "MPQ short beats MPPI long at the same N·H?");
        Compare("mpq-paper-n", "mppi-long-paper-n", $"At the paper's N = {PaperSamples}, MPQ short beats MPPI long?");
        Compare("mpq", "mppi-short", "Q helps the short horizon?");
        Compare("mpq", "softq", "MPQ beats soft-Q?");
        return lines;
    }
}
