using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Experiments;

/// <summary>
/// The paper's Table 2: MPQ learning from the true system against MPQ learning with domain randomisation (the
/// plant's parameters re-drawn every step, never the true system), the same number of episodes at each horizon,
/// then each tested on the true system. Writes table2.csv and table2.md.
/// </summary>
public static class Table2
{
    public sealed record Row(int Horizon, string Mode, ulong Seed, int Successes, int TestEpisodes, double TestMeanCost, int TrainingSuccesses, double TrainingSeconds);

    public static IReadOnlyList<Row> Run(Func<ITask> task, IReadOnlyList<int> horizons, int episodes, int testEpisodes, double width, int threads,
        string outputDirectory, Action<string> progress, int seeds = 1, Func<LearnerSettings, LearnerSettings>? adjust = null)
    {
        Directory.CreateDirectory(outputDirectory);
        var rows = new List<Row>();
        var clock = Stopwatch.StartNew();
        foreach (var h in horizons)
        {
            foreach (var randomised in new[] { false, true })
            {
                for (ulong seed = 1; seed <= (ulong)seeds; seed++)
                {
                    var t = task();
                    var settings = LearnerSettings.For(t) with { Algorithm = Algorithm.Mpq, Horizon = h, Seed = seed, DomainRandomization = randomised ? width : null };
                    settings = adjust?.Invoke(settings) ?? settings;
                    using var learner = new Learner(t, settings, threads);
                    var started = clock.Elapsed;
                    var caught = 0;
                    for (var e = 0; e < episodes; e++)
                    {
                        caught += learner.RunEpisode(e).Success ? 1 : 0;
                    }
                    var training = (clock.Elapsed - started).TotalSeconds;
                    // Test seeds far from training's, the same for every row.
                    var (successes, meanCost) = learner.Evaluate(testEpisodes, seed: 1_000_003);
                    var row = new Row(h, randomised ? "DR" : "true system", seed, successes, testEpisodes, meanCost, caught, training);
                    rows.Add(row);
                    progress(string.Create(CultureInfo.InvariantCulture,
                        $"H={h} {row.Mode} seed {seed}: {successes}/{testEpisodes} on the true system (mean cost {meanCost:F1}); {caught}/{episodes} during training ({training:F0} s; {clock.Elapsed.TotalMinutes:F1} min so far)"));
                    File.WriteAllText(Path.Combine(outputDirectory, "table2.csv"), Csv(rows));
                }
            }
        }
        File.WriteAllText(Path.Combine(outputDirectory, "table2.md"), Markdown(rows, task().Name, episodes, width, clock.Elapsed));
        return rows;
    }

    public static string Csv(IEnumerable<Row> rows)
    {
        var b = new StringBuilder("horizon,mode,seed,successes,test_episodes,test_mean_cost,training_successes,training_seconds\n");
        foreach (var r in rows)
        {
            b.Append(CultureInfo.InvariantCulture, $"{r.Horizon},{r.Mode},{r.Seed},{r.Successes},{r.TestEpisodes},{r.TestMeanCost:F2},{r.TrainingSuccesses},{r.TrainingSeconds:F1}\n");
        }
        return b.ToString();
    }

    /// <summary>The table as the paper prints it: one row per horizon, success counts on the true system.</summary>
    public static string Markdown(IReadOnlyList<Row> rows, string task, int episodes, double width, TimeSpan wall)
    {
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"Successes on the true system ({task}), MPQ trained {episodes} episodes per seed ({rows.Select(r => r.Seed).Distinct().Count()} seeds, summed); DR re-draws every parameter every step, uniform within ±{width:P0} of the prior's mean.");
        b.AppendLine();
        b.AppendLine("| H | MPQ (true system) | MPQ (DR) |");
        b.AppendLine("|---|---|---|");
        foreach (var h in rows.Select(r => r.Horizon).Distinct())
        {
            string Cell(string mode)
            {
                var cell = rows.Where(r => r.Horizon == h && r.Mode == mode).ToList();
                if (cell.Count == 0)
                {
                    return "-";
                }
                var total = $"{cell.Sum(r => r.Successes)}/{cell.Sum(r => r.TestEpisodes)}";
                return cell.Count == 1 ? total : $"{total} ({string.Join(", ", cell.Select(r => r.Successes))} per seed)";
            }
            b.AppendLine(CultureInfo.InvariantCulture, $"| {h} | {Cell("true system")} | {Cell("DR")} |");
        }
        b.AppendLine();
        b.AppendLine(CultureInfo.InvariantCulture, $"wall-clock time: {wall.TotalMinutes:F1} min");
        return b.ToString();
    }
}
