using System.CommandLine;
using System.Globalization;
using Mpq.Planning.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer;

/// <summary><c>train</c>: one learner on one task, writing per-episode metrics.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}", DefaultValueFactory = _ => "pendulum" };
        var algo = new Option<string>("--algo") { Description = "mpq, softq or mppi", DefaultValueFactory = _ => "mpq" };
        algo.AcceptOnlyFromAmong("mpq", "softq", "mppi");
        var horizon = new Option<int?>("--horizon", "-H") { Description = "planning horizon (default: 8 for mpq and mppi, 1 for softq)" };
        var episodes = new Option<int>("--episodes", "-E") { Description = "training episodes", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads", "-T") { Description = "threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "run directory (metrics.csv)" };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (e.g. mass=2:0.1,length=0.7:0.1)" };
        var command = new Command("train", "Train (or, for mppi, just run) on the true-parameter plant with a biased planning model.")
        {
            task, algo, horizon, episodes, seed, threads, output, prior,
        };
        command.SetAction(r =>
        {
            try
            {
                var t = TaskCatalog.Create(r.GetValue(task)!, r.GetValue(prior) is { } p ? TaskCatalog.ParsePriors(p) : null);
                var a = r.GetValue(algo) switch { "softq" => Algorithm.SoftQ, "mppi" => Algorithm.Mppi, _ => Algorithm.Mpq };
                var settings = LearnerSettings.For(t) with
                {
                    Algorithm = a,
                    Horizon = r.GetValue(horizon) ?? (a == Algorithm.SoftQ ? 1 : 8),
                    Seed = r.GetValue(seed),
                };
                using var learner = new Learner(t, settings, r.GetValue(threads));
                var lines = new List<string> { "episode,cost,success,wall_seconds,updates,loss" };
                for (var e = 0; e < r.GetValue(episodes); e++)
                {
                    var m = learner.RunEpisode(e);
                    var line = string.Create(CultureInfo.InvariantCulture, $"{m.Episode},{m.Cost:F3},{(m.Success ? 1 : 0)},{m.WallSeconds:F3},{m.Updates},{m.MeanLoss:F3}");
                    lines.Add(line);
                    Console.WriteLine(line);
                }
                if (r.GetValue(output) is { } dir)
                {
                    Directory.CreateDirectory(dir);
                    File.WriteAllLines(Path.Combine(dir, "metrics.csv"), lines);
                    File.WriteAllText(Path.Combine(dir, "config.json"), System.Text.Json.JsonSerializer.Serialize(new
                    {
                        task = t.Name,
                        algorithm = settings.Algorithm.ToString(),
                        settings.Horizon, settings.Samples, settings.Lambda, settings.NoiseStd, settings.Gamma,
                        settings.TargetSamples, settings.TargetIterations, settings.BatchSize, settings.LearningRate,
                        settings.Hidden, settings.Seed,
                        priors = t.Parameters.Select(p => new { p.Name, p.TrueValue, bias = p.Prior.MeanFactor, sigma = p.Prior.HalfWidthFactor }),
                    }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                    if (learner.Q is { } q)
                    {
                        var runId = $"{t.Name}-{settings.Algorithm}-H{settings.Horizon}-seed{settings.Seed}-{DateTime.UtcNow:yyyyMMddTHHmmssZ}".ToLowerInvariant();
                        Onnx.OnnxExporter.Write(q, new Onnx.QMetadata(t.Name, t.ObservationLayout, t.ActionSize, settings.Lambda, settings.Gamma, settings.Horizon, runId), Path.Combine(dir, "q.onnx"));
                        Console.Error.WriteLine($"wrote {Path.Combine(dir, "q.onnx")} ({runId})");
                    }
                }
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException)
            {
                Console.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
                return 2;
            }
        });
        return command;
    }
}
