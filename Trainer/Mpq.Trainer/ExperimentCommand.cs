using System.CommandLine;
using Mpq.Planning.Tasks;
using Mpq.Trainer.Experiments;

namespace Mpq.Trainer;

/// <summary><c>experiment fig1a</c>: the paper's Figure 1(a) on the pendulum.</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "seeds per configuration", DefaultValueFactory = _ => 3 };
        var episodes = new Option<int>("--episodes", "-E") { Description = "training episodes", DefaultValueFactory = _ => 30 };
        var output = new Option<string>("--out") { Description = "output directory", DefaultValueFactory = _ => "runs/fig1a" };
        var threads = new Option<int>("--threads", "-T") { Description = "threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (default: the task's)" };
        var fig1a = new Command("fig1a", "MPQ H=8 vs MPPI H=8, MPPI H=32 and soft-Q on PendulumSwingup with a biased model: results.csv, figure.png, summary.txt.")
        {
            seeds, episodes, output, threads, prior,
        };
        fig1a.SetAction(r =>
        {
            try
            {
                var priors = r.GetValue(prior) is { } p ? TaskCatalog.ParsePriors(p) : null;
                var dir = r.GetValue(output)!;
                Figure1.Run(() => TaskCatalog.Create("pendulum", priors), Figure1.Default(), r.GetValue(seeds), r.GetValue(episodes), r.GetValue(threads), dir, Console.WriteLine);
                Console.WriteLine(File.ReadAllText(Path.Combine(dir, "summary.txt")));
                Console.WriteLine($"wrote {Path.Combine(dir, "results.csv")}, {Path.Combine(dir, "figure.png")}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException)
            {
                Console.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
                return 2;
            }
        });
        var directory = new Argument<string>("dir") { Description = "an experiment's output directory (with results.csv)" };
        var plot = new Command("plot", "Redraw figure.png and summary.txt from an experiment's results.csv.") { directory };
        plot.SetAction(r =>
        {
            var dir = r.GetValue(directory)!;
            var csv = Path.Combine(dir, "results.csv");
            if (!File.Exists(csv))
            {
                Console.Error.WriteLine($"error: {csv} does not exist");
                return 2;
            }
            var rows = Figure1.ReadCsv(csv);
            var configurations = rows.Select(x => x.Label).Distinct().Select(l => new Configuration(l, default, 0)).ToList();
            var seeds = (int)rows.Max(x => x.Seed);
            Figure1.Plot(rows, configurations, Path.Combine(dir, "figure.png"), "pendulum");
            var summary = Figure1.Summary(rows, configurations, seeds, TimeSpan.FromSeconds(rows.Sum(x => x.WallSeconds)));
            File.WriteAllText(Path.Combine(dir, "summary.txt"), summary);
            Console.WriteLine(summary);
            return 0;
        });
        return new Command("experiment", "The paper's experiments.") { fig1a, plot };
    }
}
