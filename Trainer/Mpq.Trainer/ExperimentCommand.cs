using System.CommandLine;
using Mpq.Tasks;
using Mpq.Trainer.Experiments;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer;

/// <summary><c>experiment fig1a | fig1 --task | table2 | plot</c>: the paper's experiments.</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "seeds per configuration", DefaultValueFactory = _ => 3 };
        var episodes = new Option<int>("--episodes", "-E") { Description = "training episodes", DefaultValueFactory = _ => 30 };
        var threads = new Option<int>("--threads", "-T") { Description = "threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (default: the task's)" };
        var learner = new LearnerOptions();
        var only = new Option<string?>("--only")
        {
            Description = "run only these curves (comma-separated): mpq, mppi-short, mppi-long, mppi-long-true, mppi-long-budget, mpq-paper-n, mppi-long-paper-n, softq",
        };
        var fig1aOut = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "runs/fig1a" };
        var fig1a = new Command("fig1a", "MPQ H=8 vs MPPI H=8, MPPI H=32 and soft-Q on PendulumSwingup with a biased model: results.csv, figure.png, summary.txt.")
        {
            seeds, episodes, fig1aOut, threads, prior, only,
        };
        learner.AddTo(fig1a);
        fig1a.SetAction(r => TrainerCli.Run(() => Figure(r, "pendulum", 8, 32, r.GetValue(fig1aOut)!, seeds, episodes, threads, prior, learner, only)));

        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", Required = true };
        var shortH = new Option<int>("--short") { Description = "MPQ's and the short MPPI's horizon", DefaultValueFactory = _ => 8 };
        var longH = new Option<int>("--long") { Description = "the long MPPI's horizon", DefaultValueFactory = _ => 32 };
        var fig1Out = new Option<string?>("--out") { Description = "output directory (default: runs/fig1-TASK)" };
        var fig1 = new Command("fig1", "The paper's Figure 1 for any task: MPQ (short H) vs MPPI (short and long H) and soft-Q, biased model: results.csv, figure.png, summary.txt.")
        {
            task, shortH, longH, seeds, episodes, fig1Out, threads, prior, only,
        };
        learner.AddTo(fig1);
        fig1.SetAction(r => TrainerCli.Run(() =>
        {
            var name = r.GetValue(task)!;
            return Figure(r, name, r.GetValue(shortH), r.GetValue(longH), r.GetValue(fig1Out) ?? $"runs/fig1-{name}", seeds, episodes, threads, prior, learner, only);
        }));

        var tableTask = new Option<string>("--task") { Description = "task", DefaultValueFactory = _ => "ballincup" };
        var horizons = new Option<string>("--horizons") { Description = "horizons, comma-separated", DefaultValueFactory = _ => "1,4,8" };
        var tests = new Option<int>("--test-episodes") { Description = "test episodes on the true system per learner", DefaultValueFactory = _ => 100 };
        var width = new Option<double>("--dr-width", "--dr") { Description = "DR: half-width of each parameter's range, as a fraction of the prior's mean", DefaultValueFactory = _ => 0.5 };
        var tableSeeds = new Option<int>("--seeds") { Description = "seeds per learner (each cell sums them)", DefaultValueFactory = _ => 1 };
        var tableOut = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "runs/table2" };
        var tableEpisodes = new Option<int>("--episodes", "-E") { Description = "training episodes per learner", DefaultValueFactory = _ => 30 };
        var table2 = new Command("table2", "The paper's Table 2: MPQ from the true system vs MPQ with domain randomisation, per horizon, tested on the true system: table2.md, table2.csv.")
        {
            tableTask, horizons, tableEpisodes, tests, width, tableOut, threads, prior, tableSeeds,
        };
        learner.AddTo(table2);
        table2.SetAction(r => TrainerCli.Run(() =>
        {
            var hs = r.GetValue(horizons)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(h => int.TryParse(h, out var v) && v is >= 1 and <= 256 ? v : throw new ArgumentException($"--horizons: '{h}' is not a horizon in 1-256")).ToArray();
            if (r.GetValue(width) is var wd && (!double.IsFinite(wd) || wd <= 0 || wd >= 1))
            {
                throw new ArgumentException($"--dr-width must be a half-width in (0, 1) (got {wd})");
            }
            if (r.GetValue(tableEpisodes) < 1 || r.GetValue(tests) < 1 || r.GetValue(tableSeeds) < 1 || r.GetValue(threads) is < 1 or > 256)
            {
                throw new ArgumentException("--episodes, --test-episodes and --seeds must be at least 1, --threads 1-256");
            }
            var priors = r.GetValue(prior) is { } p ? TaskCatalog.ParsePriors(p) : null;
            var name = r.GetValue(tableTask)!;
            var dir = r.GetValue(tableOut)!;
            var overrides = learner.Assignments(r);
            LearnerSettings.For(TaskCatalog.Create(name, priors)).WithOverrides(overrides); // bad names and values fail here, before any work
            Table2.Run(() => TaskCatalog.Create(name, priors), hs, r.GetValue(tableEpisodes), r.GetValue(tests), r.GetValue(width), r.GetValue(threads), dir, Console.WriteLine,
                r.GetValue(tableSeeds), s => s.WithOverrides(overrides));
            Console.WriteLine(File.ReadAllText(Path.Combine(dir, "table2.md")));
            return 0;
        }));

        var directory = new Argument<string>("dir") { Description = "an experiment's output directory (with results.csv)" };
        var plot = new Command("plot", "Redraw figure.png and summary.md from an experiment's results.csv.") { directory };
        plot.SetAction(r =>
        {
            var dir = r.GetValue(directory)!;
            var csv = Path.Combine(dir, "results.csv");
            if (!File.Exists(csv))
            {
                Console.Error.WriteLine($"error: {csv} does not exist");
                return 2;
            }
            List<Figure1.Row> rows;
            try
            {
                rows = Figure1.ReadCsv(csv);
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            if (rows.Count == 0)
            {
                Console.Error.WriteLine($"error: {csv} holds no results");
                return 2;
            }
            var configurations = Figure1.ConfigurationsIn(rows);
            var taskFile = Path.Combine(dir, "task.txt");
            var taskName = File.Exists(taskFile) ? File.ReadAllText(taskFile).Trim() : Path.GetFileName(Path.GetFullPath(dir));
            var figure = Path.Combine(dir, "figure.png");
            var summaryFile = Path.Combine(dir, "summary.md");
            Figure1.Plot(rows, configurations, figure, taskName);
            var summary = Figure1.Summary(rows, configurations, TimeSpan.FromSeconds(rows.Sum(x => x.WallSeconds)), taskName);
            File.WriteAllText(summaryFile, summary);
            Console.WriteLine(summary);
            Console.WriteLine($"wrote {figure}, {summaryFile}");
            return 0;
        });
        return new Command("experiment", "The paper's experiments.") { fig1a, fig1, table2, plot };
    }

    private static int Figure(ParseResult r, string taskName, int shortHorizon, int longHorizon, string dir, Option<int> seeds, Option<int> episodes, Option<int> threads, Option<string?> prior, LearnerOptions learner,
        Option<string?> only)
    {
        if (r.GetValue(seeds) < 1 || r.GetValue(episodes) < 1 || r.GetValue(threads) is < 1 or > 256 || shortHorizon is < 1 or > 256 || longHorizon is < 1 or > 256)
        {
            throw new ArgumentException($"--seeds and --episodes must be at least 1, --threads 1-256, --short and --long 1-256 (got {r.GetValue(seeds)}, {r.GetValue(episodes)}, {r.GetValue(threads)}, {shortHorizon}, {longHorizon})");
        }
        var priors = r.GetValue(prior) is { } p ? TaskCatalog.ParsePriors(p) : null;
        var overrides = learner.Assignments(r);
        // Unknown names, parameters, settings and curves fail here, before any work.
        var samples = LearnerSettings.For(TaskCatalog.Create(taskName, priors)).WithOverrides(overrides).Samples;
        var configurations = Figure1.Select(Figure1.Default(shortHorizon, longHorizon, samples), r.GetValue(only));
        Figure1.Run(() => TaskCatalog.Create(taskName, priors), configurations, r.GetValue(seeds), r.GetValue(episodes), r.GetValue(threads), dir, Console.WriteLine,
            s => s.WithOverrides(overrides));
        Console.WriteLine(File.ReadAllText(Path.Combine(dir, "summary.md")));
        Console.WriteLine($"wrote {Path.Combine(dir, "results.csv")}, {Path.Combine(dir, "figure.png")}, {Path.Combine(dir, "summary.md")}");
        return 0;
    }
}
