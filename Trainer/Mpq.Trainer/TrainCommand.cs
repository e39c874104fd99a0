using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mpq.Common;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer;

/// <summary><c>train</c>: one learner on one task; with --out a run directory that survives a kill (--resume).</summary>
internal static class TrainCommand
{
    /// <summary>The command-line choices that define a run (run.json), enough to rebuild it for --resume.</summary>
    internal sealed record RunArguments(string Task, string? Prior, string Algorithm, int? Horizon, int Episodes, ulong Seed, int Threads, double? DomainRandomization = null, string? Set = null, double? TorqueLimit = null);

    /// <summary>The <c>--set NAME=VALUE,...</c> option that overrides learner settings (train and the experiments).</summary>
    public static Option<string?> SetOption() => new("--set")
    {
        Description = "override learner settings: NAME=VALUE,... (e.g. TargetLambda=0.1,UpdateEvery=1; Hidden=128/128)",
    };

    /// <summary>
    /// <c>--torque-limit</c>: learn for a rig that gives less than the task's model allows (the virtual pendulum rig's
    /// Firmware default is 1 N·m against the task's 2). The Q, its targets and the acting planner all keep within it.
    /// </summary>
    public static Option<double?> TorqueLimitOption() => new("--torque-limit")
    {
        Description = "learn within ±this on every actuator (a rig's torque_limit; default: the task's action limits). A Q is a cost-to-go under its range: use it on a rig with the same limit",
    };

    /// <summary>The horizon when none is given: soft Q-learning has no model step, the others plan 8 steps.</summary>
    private static int DefaultHorizon(Algorithm a) => a == Algorithm.SoftQ ? 1 : 8;

    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", DefaultValueFactory = _ => "pendulum" };
        var algo = new Option<string>("--algo") { Description = "mpq, softq or mppi", DefaultValueFactory = _ => "mpq" };
        algo.AcceptOnlyFromAmong("mpq", "softq", "mppi");
        var horizon = new Option<int?>("--horizon", "-H") { Description = "planning horizon (default: 8 for mpq and mppi, 1 for softq)" };
        var episodes = new Option<int>("--episodes", "-E") { Description = "training episodes", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads", "-T") { Description = "threads (a resumed run uses the original count)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string?>("--out") { Description = "run directory: run.json, config.json, metrics.csv, checkpoint.bin (every episode), q.onnx" };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (e.g. mass=2:0.1,length=0.7:0.1)" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this directory from its last checkpoint (same result as an unbroken run)" };
        var fromLog = new Option<string[]>("--from-log") { Description = "learn Q from these transition logs (Controller sim --log, or a rig) instead of acting", AllowMultipleArgumentsPerToken = true };
        var updates = new Option<int?>("--updates") { Description = "with --from-log: gradient updates (default 2000); with --rig: updates after each episode (default: one per transition collected)" };
        var rig = new Option<string?>("--rig", "--port") { Description = "train on a rig: the serial PORT of its Firmware (virtual or real; --port as in controller run); needs --out" };
        var listPorts = new Option<bool>("--list-ports") { Description = "list the serial ports (for --rig/--port) and exit" };
        var transport = new Option<string>("--transport") { Description = "with --rig: tty (low latency, default) or serialport (System.IO.Ports)", DefaultValueFactory = _ => "tty" };
        transport.AcceptOnlyFromAmong(Mpq.Protocol.Serial.SerialTransports.KindNames);
        var baud = new Option<int>("--baud") { Description = "with --rig: baud rate", DefaultValueFactory = _ => 115200 };
        var episodeSeconds = new Option<double?>("--episode-seconds") { Description = "with --rig: seconds the rig is armed per episode (default: the task's episode length)" };
        var dr = new Option<double?>("--dr", "--dr-width") { Description = "domain randomisation: learn on a simulated plant whose parameters are re-drawn every step, uniform within ±W × the prior's mean (e.g. 0.5), never on the true system" };
        var torqueLimit = TorqueLimitOption();
        var learner = new LearnerOptions();
        var settle = new Option<double>("--settle") { Description = "with --rig: seconds to wait disarmed before each further episode", DefaultValueFactory = _ => 0 };
        var realtime = new Option<int>("--realtime-priority")
        {
            Description = "with --rig: SCHED_FIFO priority of the control loop and its planner threads, 1-79, below the Firmware's 80 (0: normal scheduling; learning always runs at normal priority, nice 10 online); granted to root or CAP_SYS_NICE",
            DefaultValueFactory = _ => 50,
        };
        var online = new Option<bool>("--online") { Description = "with --rig: learn while the rig runs, armed throughout (Q swapped in every --swap-every s) instead of episode by episode" };
        var minutes = new Option<double>("--minutes") { Description = "with --online: minutes of rig time", DefaultValueFactory = _ => 10 };
        var swapEvery = new Option<double>("--swap-every") { Description = "with --online: seconds between Q swaps", DefaultValueFactory = _ => 5 };
        var updateRatio = new Option<string>("--update-ratio") { Description = "with --online: updates per transition, or 'max' (as many as the spare cores give)", DefaultValueFactory = _ => "1" };
        var command = new Command("train", "Train (or, for mppi, just run) on the true-parameter plant with a biased planning model.")
        {
            task, algo, horizon, episodes, seed, threads, output, prior, resume, fromLog, updates, rig, baud, episodeSeconds, settle, dr, torqueLimit,
        };
        learner.AddTo(command);
        var force = new Option<bool>("--force") { Description = "with --out: start over in a directory that already holds a run (its checkpoint and metrics are overwritten)" };
        command.Options.Add(force);
        command.Options.Add(listPorts);
        command.Options.Add(transport);
        command.Options.Add(online);
        command.Options.Add(realtime);
        command.Options.Add(minutes);
        command.Options.Add(swapEvery);
        command.Options.Add(updateRatio);
        command.SetAction(r => TrainerCli.Run(() =>
        {
            if (r.GetValue(listPorts))
            {
                Mpq.Protocol.Serial.SerialTransports.PrintPorts(Console.Out, Console.Error);
                return 0;
            }
            if (r.GetValue(episodes) < 1)
            {
                throw new ArgumentException($"--episodes must be at least 1 (got {r.GetValue(episodes)})");
            }
            if (r.GetValue(threads) is < 1 or > 256)
            {
                throw new ArgumentException($"--threads must be between 1 and 256 (got {r.GetValue(threads)})");
            }
            if (r.GetValue(horizon) is { } h && h is < 1 or > 256)
            {
                throw new ArgumentException($"--horizon must be between 1 and 256 (got {h})");
            }
            if (r.GetValue(dr) is { } w && (!double.IsFinite(w) || w <= 0 || w >= 1))
            {
                throw new ArgumentException($"--dr must be a half-width in (0, 1) (got {w})");
            }
            if (r.GetValue(torqueLimit) is { } tl && (!double.IsFinite(tl) || tl <= 0))
            {
                throw new ArgumentException($"--torque-limit must be a positive number (got {tl.ToString(CultureInfo.InvariantCulture)})");
            }
            if (r.GetValue(torqueLimit) is not null && r.GetValue(fromLog) is { Length: > 0 })
            {
                throw new ArgumentException("--torque-limit does not go with --from-log: the logs' own range is what their transitions were collected under");
            }
            if (r.GetValue(baud) <= 0)
            {
                throw new ArgumentException($"--baud must be positive (got {r.GetValue(baud)})");
            }
            if (r.GetValue(resume) is null && r.GetValue(output) is { } outDir && !r.GetValue(force)
                && (File.Exists(Path.Combine(outDir, "run.json")) || File.Exists(Path.Combine(outDir, "checkpoint.bin"))))
            {
                throw new ArgumentException($"--out '{outDir}' already holds a run: continue it with --resume {outDir}, or start over with --force");
            }
            if (r.GetValue(fromLog) is { Length: > 0 } logs)
            {
                return FromLogs(logs, r.GetValue(algo)!, r.GetValue(horizon), r.GetValue(updates) ?? 2000, r.GetValue(seed), r.GetValue(threads), r.GetValue(output));
            }
            if (r.GetValue(realtime) is < 0 or > 79)
            {
                throw new ArgumentException($"--realtime-priority must be between 0 (off) and 79, below the Firmware's device loop (got {r.GetValue(realtime)})");
            }
            if (r.GetValue(online) && r.GetValue(rig) is null)
            {
                throw new ArgumentException("--online needs --rig PORT (simulated training already learns every step)");
            }
            if (r.GetValue(rig) is { } port)
            {
                var dirForRig = r.GetValue(output) ?? (r.GetValue(online) ? r.GetValue(resume) : null)
                    ?? throw new ArgumentException("--rig needs --out DIR (the Q the rig runs is DIR/q.onnx)");
                var t = TaskCatalog.Create(r.GetValue(task)!, r.GetValue(prior) is { } pr ? TaskCatalog.ParsePriors(pr) : null);
                var a = ParseAlgorithm(r.GetValue(algo)!);
                var settings = (LearnerSettings.For(t) with { Algorithm = a, Horizon = r.GetValue(horizon) ?? DefaultHorizon(a), Seed = r.GetValue(seed), Warmup = 0 })
                    .WithOverrides(learner.Assignments(r)).ForRig(t, learner.Assignments(r));
                using var cancel = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) =>
                {
                    e.Cancel = true;
                    cancel.Cancel();
                };
                if (r.GetValue(online))
                {
                    var ratio = Online.OnlinePacing.ParseRatio(r.GetValue(updateRatio)!);
                    var onlineArgs = new Online.OnlineRigArguments(port, r.GetValue(baud), r.GetValue(minutes), dirForRig,
                        new Online.OnlinePacing(r.GetValue(swapEvery), ratio, 1000 * t.ControlPeriod), r.GetValue(resume) is not null, r.GetValue(force),
                        Mpq.Protocol.Serial.SerialTransports.ParseKind(r.GetValue(transport)!), r.GetValue(realtime));
                    return Online.OnlineRigTraining.Run(t, settings, r.GetValue(threads), onlineArgs, r.GetValue(torqueLimit), cancel.Token);
                }
                var args = new Rig.RigTrainingArguments(port, r.GetValue(baud), r.GetValue(episodes), r.GetValue(episodeSeconds) ?? t.EpisodeSteps * t.ControlPeriod, r.GetValue(updates), r.GetValue(settle), dirForRig,
                    Mpq.Protocol.Serial.SerialTransports.ParseKind(r.GetValue(transport)!), r.GetValue(realtime));
                return Rig.RigTraining.Run(t, settings, r.GetValue(threads), args, r.GetValue(torqueLimit), cancel.Token);
            }
            string? dir;
            RunArguments run;
            if (r.GetValue(resume) is { } resumeDir)
            {
                var runFile = Path.Combine(resumeDir, "run.json");
                if (!File.Exists(runFile))
                {
                    throw new ArgumentException($"--resume: '{runFile}' does not exist (was the run started with --out {resumeDir}?)");
                }
                run = ReadRun(runFile);
                dir = resumeDir;
            }
            else
            {
                run = new RunArguments(r.GetValue(task)!, r.GetValue(prior), r.GetValue(algo)!, r.GetValue(horizon), r.GetValue(episodes), r.GetValue(seed), r.GetValue(threads), r.GetValue(dr), learner.Assignments(r), r.GetValue(torqueLimit));
                dir = r.GetValue(output);
            }
            return Execute(run, dir, resuming: r.GetValue(resume) is not null);
        }));
        return command;
    }

    /// <summary>A run directory's run.json, every field checked; errors name the file and the field.</summary>
    /// <exception cref="InvalidDataException">Not JSON, empty, a field missing, null or out of range.</exception>
    internal static RunArguments ReadRun(string path)
    {
        RunArguments? run;
        try
        {
            var text = File.ReadAllText(path);
            run = text.Trim().Length == 0 ? null : JsonSerializer.Deserialize<RunArguments>(text);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON (line {e.LineNumber + 1}{(e.Path is { Length: > 1 } at ? $", at {at}" : "")}): the run directory is damaged");
        }
        if (run is null)
        {
            throw new InvalidDataException($"'{path}' is empty: the run directory is damaged");
        }
        string? problem = null;
        if (string.IsNullOrEmpty(run.Task))
        {
            problem = $"field '{nameof(run.Task)}' is missing or null";
        }
        else if (string.IsNullOrEmpty(run.Algorithm))
        {
            problem = $"field '{nameof(run.Algorithm)}' is missing or null";
        }
        else if (run.Episodes is < 1 or > 1_000_000)
        {
            problem = $"field '{nameof(run.Episodes)}' = {run.Episodes} is outside 1 .. 1000000";
        }
        else if (run.Threads is < 1 or > 256)
        {
            problem = $"field '{nameof(run.Threads)}' = {run.Threads} is outside 1 .. 256";
        }
        else if (run.Horizon is < 1 or > 256)
        {
            problem = $"field '{nameof(run.Horizon)}' = {run.Horizon} is outside 1 .. 256";
        }
        return problem is null ? run : throw new InvalidDataException($"'{path}': {problem}: the run directory is damaged");
    }

    /// <summary>
    /// The header and the first <paramref name="episodes"/> rows of a run's metrics.csv, which must all be there, complete
    /// and in order (each is written atomically after its episode: a row missing or cut is damage, never resumed quietly).
    /// Rows beyond them (an episode whose checkpoint was not written) are left out.
    /// </summary>
    /// <exception cref="InvalidDataException">Missing, another header, or fewer complete rows than the checkpoint's episodes.</exception>
    internal static List<string> ReadMetrics(string path, string header, int episodes)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"'{path}' does not exist; the checkpoint says {episodes} episode(s) are done: the run directory is damaged");
        }
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        if (lines[0] != header)
        {
            throw new InvalidDataException($"'{path}': line 1 is not the metrics header '{header}': the run directory is damaged");
        }
        var rows = new List<string> { header };
        for (var i = 1; i < lines.Length - 1 && rows.Count <= episodes; i++) // the text ends with a line end: the last piece is empty
        {
            var fields = lines[i].Split(',');
            if (fields.Length != 6 || !int.TryParse(fields[0], CultureInfo.InvariantCulture, out var e) || e != i - 1
                || fields.Skip(1).Any(f => !double.TryParse(f, CultureInfo.InvariantCulture, out _)))
            {
                throw new InvalidDataException($"'{path}': line {i + 1} is not a metrics row for episode {i - 1}: the run directory is damaged");
            }
            rows.Add(lines[i]);
        }
        if (lines[^1].Length > 0 && rows.Count <= episodes)
        {
            throw new InvalidDataException($"'{path}': line {lines.Length} is not a metrics row (cut short): the run directory is damaged");
        }
        if (rows.Count - 1 < episodes)
        {
            throw new InvalidDataException($"'{path}' holds {rows.Count - 1} complete episode row(s); the checkpoint says {episodes} episode(s) are done: the run directory is damaged");
        }
        return rows;
    }

    private static int Execute(RunArguments run, string? dir, bool resuming)
    {
        var t = ActionLimitedTask.LimitOrSelf(TaskCatalog.Create(run.Task, run.Prior is { } p ? TaskCatalog.ParsePriors(p) : null), run.TorqueLimit);
        var a = ParseAlgorithm(run.Algorithm);
        var settings = (LearnerSettings.For(t) with { Algorithm = a, Horizon = run.Horizon ?? DefaultHorizon(a), Seed = run.Seed, DomainRandomization = run.DomainRandomization }).WithOverrides(run.Set);
        var fingerprint = JsonSerializer.Serialize(run) + JsonSerializer.Serialize(settings);
        using var learner = new Learner(t, settings, run.Threads);
        var lines = new List<string> { "episode,cost,success,wall_seconds,updates,loss" };
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            var checkpoint = Path.Combine(dir, "checkpoint.bin");
            if (resuming && File.Exists(checkpoint))
            {
                learner.LoadCheckpoint(checkpoint, fingerprint, run.Episodes);
                lines = ReadMetrics(Path.Combine(dir, "metrics.csv"), lines[0], learner.NextEpisode);
                Console.Error.WriteLine($"resuming {dir} at episode {learner.NextEpisode}");
            }
            else
            {
                AtomicFile.Write(Path.Combine(dir, "run.json"), JsonSerializer.Serialize(run, new JsonSerializerOptions { WriteIndented = true }));
            }
            AtomicFile.Write(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
            {
                task = t.Name,
                action_low = t.ActionLow.ToArray(),
                action_high = t.ActionHigh.ToArray(),
                algorithm = settings.Algorithm.ToString(),
                settings.Horizon,
                settings.Samples,
                settings.Lambda,
                settings.NoiseStd,
                settings.NoiseFilter,
                settings.ModelDraws,
                settings.ActionRateCost,
                settings.TerminalFloor,
                settings.Gamma,
                settings.TargetSamples,
                settings.TargetLambda,
                settings.UpdateEvery,
                overrides = run.Set,
                settings.TargetIterations,
                settings.BatchSize,
                settings.LearningRate,
                settings.Hidden,
                settings.Seed,
                run.Threads,
                domain_randomization = settings.DomainRandomization,
                priors = t.Parameters.Select(x => new { x.Name, x.TrueValue, bias = x.Prior.MeanFactor, sigma = x.Prior.HalfWidthFactor }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        // The CSV on stdout starts with its header (scripts and pandas read it as it is); progress goes to stderr: a live
        // progress bar on a terminal, plain lines otherwise. With both on one terminal the CSV comes after the bar.
        var live = !Console.IsErrorRedirected;
        var csvNow = !live || Console.IsOutputRedirected;
        if (csvNow)
        {
            foreach (var line in lines)
            {
                Console.WriteLine(line);
            }
        }
        var first = learner.NextEpisode;
        Console.Error.WriteLine($"training {settings.Algorithm} H={settings.Horizon} N={settings.Samples} on '{t.Name}': episodes {first + 1}-{run.Episodes} of {t.EpisodeSteps} steps{(dir is null ? "" : $", into {dir}")}");
        var progress = new TrainingProgress(first, run.Episodes);
        EpisodeMetrics Episode(int e)
        {
            var m = learner.RunEpisode(e);
            var line = string.Create(CultureInfo.InvariantCulture, $"{m.Episode},{m.Cost:F3},{(m.Success ? 1 : 0)},{m.WallSeconds:F3},{m.Updates},{m.MeanLoss:F3}");
            lines.Add(line);
            if (csvNow)
            {
                Console.WriteLine(line);
            }
            progress.Add(m);
            if (dir is not null)
            {
                AtomicFile.Write(Path.Combine(dir, "metrics.csv"), string.Join('\n', lines) + "\n");
                learner.SaveCheckpoint(Path.Combine(dir, "checkpoint.bin"), fingerprint);
            }
            return m;
        }
        if (live)
        {
            progress.RunLive(Episode);
            if (!csvNow)
            {
                foreach (var line in lines)
                {
                    Console.WriteLine(line);
                }
            }
        }
        else
        {
            for (var e = first; e < run.Episodes; e++)
            {
                Episode(e);
                Console.Error.WriteLine(progress.Line());
            }
        }
        if (dir is not null && learner.Q is { } q)
        {
            var runId = $"{t.Name}-{settings.Algorithm}-H{settings.Horizon}-seed{settings.Seed}".ToLowerInvariant();
            Onnx.OnnxExporter.Write(q, Onnx.QMetadata.For(t, settings, runId), Path.Combine(dir, "q.onnx"));
            Console.Error.WriteLine($"wrote {Path.Combine(dir, "q.onnx")} ({runId})");
        }
        return 0;
    }

    /// <summary>Learns Q from recorded transitions; the task and biased prior come from the logs' header.</summary>
    private static int FromLogs(string[] paths, string algorithm, int? horizon, int updates, ulong seed, int threads, string? dir)
    {
        if (updates < 1)
        {
            throw new ArgumentException($"--updates must be at least 1 (got {updates})");
        }
        var logs = new List<Planning.Logging.TransitionLogReader>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"transition log '{path}' does not exist");
            }
            var log = Planning.Logging.TransitionLogReader.Read(path);
            if (log.SkippedBytes > 0)
            {
                Console.Error.WriteLine($"{path}: {log.SkippedBytes} byte(s) after the last intact record ignored");
            }
            logs.Add(log);
        }
        var header = logs[0].Header;
        foreach (var log in logs.Skip(1))
        {
            if (log.Header.Task != header.Task || log.Header.StateSize != header.StateSize || log.Header.ObservationSize != header.ObservationSize || log.Header.ActionSize != header.ActionSize)
            {
                throw new ArgumentException("the logs are from different tasks or shapes; learn from one task at a time");
            }
        }
        var priors = header.Priors.ToDictionary(kv => kv.Key, kv => ParameterPrior.FromPaper(kv.Value[0], kv.Value[1]));
        var t = TaskCatalog.Create(header.Task, priors);
        var a = algorithm == "softq" ? Algorithm.SoftQ : Algorithm.Mpq;
        // The target horizon is the one the Q will be used with (MPQ's short horizon), not the horizon the data was collected with.
        var settings = LearnerSettings.For(t) with { Algorithm = a, Horizon = a == Algorithm.SoftQ ? 1 : horizon ?? DefaultHorizon(a), Seed = seed, Warmup = 0 };
        using var learner = new Learner(t, settings, threads);
        var transitions = logs.SelectMany(l => l.Records).ToList();
        Console.Error.WriteLine($"learning {settings.Algorithm} H={settings.Horizon} from {transitions.Count} transitions of task '{t.Name}' ({paths.Length} log(s)), {updates} updates");
        var loss = learner.LearnFromLog(transitions, updates);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"updates {learner.Updates}, mean loss of the last 100: {loss:F3}"));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            var runId = $"{t.Name}-{settings.Algorithm}-H{settings.Horizon}-fromlog-seed{seed}".ToLowerInvariant();
            Onnx.OnnxExporter.Write(learner.Q!, Onnx.QMetadata.For(t, settings, runId), Path.Combine(dir, "q.onnx"));
            Console.Error.WriteLine($"wrote {Path.Combine(dir, "q.onnx")} ({runId})");
        }
        return 0;
    }

    private static Algorithm ParseAlgorithm(string name) => name switch
    {
        "softq" => Algorithm.SoftQ,
        "mppi" => Algorithm.Mppi,
        "mpq" => Algorithm.Mpq,
        var other => throw new ArgumentException($"unknown algorithm '{other}'"),
    };
}
