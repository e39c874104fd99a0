using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mpq.Planning.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer;

/// <summary><c>train</c>: one learner on one task; with --out a run directory that survives a kill (--resume).</summary>
internal static class TrainCommand
{
    /// <summary>The command-line choices that define a run (run.json), enough to rebuild it for --resume.</summary>
    internal sealed record RunArguments(string Task, string? Prior, string Algorithm, int? Horizon, int Episodes, ulong Seed, int Threads);

    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}", DefaultValueFactory = _ => "pendulum" };
        var algo = new Option<string>("--algo") { Description = "mpq, softq or mppi", DefaultValueFactory = _ => "mpq" };
        algo.AcceptOnlyFromAmong("mpq", "softq", "mppi");
        var horizon = new Option<int?>("--horizon", "-H") { Description = "planning horizon (default: 8 for mpq and mppi, 1 for softq)" };
        var episodes = new Option<int>("--episodes", "-E") { Description = "training episodes", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads", "-T") { Description = "threads (a resumed run uses the original count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "run directory: run.json, config.json, metrics.csv, checkpoint.bin (every episode), q.onnx" };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (e.g. mass=2:0.1,length=0.7:0.1)" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this directory from its last checkpoint (same result as an unbroken run)" };
        var command = new Command("train", "Train (or, for mppi, just run) on the true-parameter plant with a biased planning model.")
        {
            task, algo, horizon, episodes, seed, threads, output, prior, resume,
        };
        command.SetAction(r =>
        {
            try
            {
                string? dir;
                RunArguments run;
                if (r.GetValue(resume) is { } resumeDir)
                {
                    var runFile = Path.Combine(resumeDir, "run.json");
                    if (!File.Exists(runFile))
                    {
                        throw new ArgumentException($"--resume: '{runFile}' does not exist (was the run started with --out {resumeDir}?)");
                    }
                    run = JsonSerializer.Deserialize<RunArguments>(File.ReadAllText(runFile)) ?? throw new InvalidDataException($"'{runFile}' is empty");
                    dir = resumeDir;
                }
                else
                {
                    run = new RunArguments(r.GetValue(task)!, r.GetValue(prior), r.GetValue(algo)!, r.GetValue(horizon), r.GetValue(episodes), r.GetValue(seed), r.GetValue(threads));
                    dir = r.GetValue(output);
                }
                return Execute(run, dir, resuming: r.GetValue(resume) is not null);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or FormatException or JsonException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
                return 2;
            }
        });
        return command;
    }

    private static int Execute(RunArguments run, string? dir, bool resuming)
    {
        var t = TaskCatalog.Create(run.Task, run.Prior is { } p ? TaskCatalog.ParsePriors(p) : null);
        var a = run.Algorithm switch { "softq" => Algorithm.SoftQ, "mppi" => Algorithm.Mppi, "mpq" => Algorithm.Mpq, var other => throw new ArgumentException($"unknown algorithm '{other}'") };
        var settings = LearnerSettings.For(t) with { Algorithm = a, Horizon = run.Horizon ?? (a == Algorithm.SoftQ ? 1 : 8), Seed = run.Seed };
        var fingerprint = JsonSerializer.Serialize(run) + JsonSerializer.Serialize(settings);
        using var learner = new Learner(t, settings, run.Threads);
        var lines = new List<string> { "episode,cost,success,wall_seconds,updates,loss" };
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            var checkpoint = Path.Combine(dir, "checkpoint.bin");
            if (resuming && File.Exists(checkpoint))
            {
                learner.LoadCheckpoint(checkpoint, fingerprint);
                lines = File.ReadLines(Path.Combine(dir, "metrics.csv")).Take(1 + learner.NextEpisode).ToList();
                Console.Error.WriteLine($"resuming {dir} at episode {learner.NextEpisode}");
            }
            else
            {
                AtomicWrite(Path.Combine(dir, "run.json"), JsonSerializer.Serialize(run, new JsonSerializerOptions { WriteIndented = true }));
            }
            AtomicWrite(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
            {
                task = t.Name,
                algorithm = settings.Algorithm.ToString(),
                settings.Horizon, settings.Samples, settings.Lambda, settings.NoiseStd, settings.Gamma,
                settings.TargetSamples, settings.TargetIterations, settings.BatchSize, settings.LearningRate,
                settings.Hidden, settings.Seed, run.Threads,
                priors = t.Parameters.Select(x => new { x.Name, x.TrueValue, bias = x.Prior.MeanFactor, sigma = x.Prior.HalfWidthFactor }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        foreach (var line in lines.Skip(1))
        {
            Console.WriteLine(line);
        }
        for (var e = learner.NextEpisode; e < run.Episodes; e++)
        {
            var m = learner.RunEpisode(e);
            var line = string.Create(CultureInfo.InvariantCulture, $"{m.Episode},{m.Cost:F3},{(m.Success ? 1 : 0)},{m.WallSeconds:F3},{m.Updates},{m.MeanLoss:F3}");
            lines.Add(line);
            Console.WriteLine(line);
            if (dir is not null)
            {
                AtomicWrite(Path.Combine(dir, "metrics.csv"), string.Join('\n', lines) + "\n");
                learner.SaveCheckpoint(Path.Combine(dir, "checkpoint.bin"), fingerprint);
            }
        }
        if (dir is not null && learner.Q is { } q)
        {
            var runId = $"{t.Name}-{settings.Algorithm}-H{settings.Horizon}-seed{settings.Seed}".ToLowerInvariant();
            Onnx.OnnxExporter.Write(q, new Onnx.QMetadata(t.Name, t.ObservationLayout, t.ActionSize, settings.Lambda, settings.Gamma, settings.Horizon, runId), Path.Combine(dir, "q.onnx"));
            Console.Error.WriteLine($"wrote {Path.Combine(dir, "q.onnx")} ({runId})");
        }
        return 0;
    }

    private static void AtomicWrite(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
