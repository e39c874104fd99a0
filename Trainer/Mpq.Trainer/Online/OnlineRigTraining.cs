using System.Globalization;
using System.Text.Json;
using Mpq.Common;
using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Planning.Parallel;
using Mpq.Protocol.Serial;
using Mpq.Tasks;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Rig;

namespace Mpq.Trainer.Online;

/// <summary>What <c>train --rig PORT --online</c> was asked to do.</summary>
/// <param name="Port">Serial device of the rig's Firmware.</param>
/// <param name="Baud">Its baud rate.</param>
/// <param name="Minutes">Rig time to learn for, armed throughout.</param>
/// <param name="OutputDirectory">Run directory: q.onnx, metrics.csv, summary.json, checkpoint.bin, the transition log.</param>
/// <param name="Pacing">Swap interval and update ratio (the period is the task's).</param>
/// <param name="Resume">Continue the run in <see cref="OutputDirectory"/> from its checkpoint.</param>
/// <param name="Force">Start over in a directory that holds an online run (its checkpoint is replaced).</param>
/// <param name="Transport">tty (direct, low latency) or System.IO.Ports.</param>
/// <param name="RealtimePriority">SCHED_FIFO priority of the control loop and its planner threads (0: normal scheduling).</param>
public sealed record OnlineRigArguments(string Port, int Baud, double Minutes, string OutputDirectory, OnlinePacing Pacing, bool Resume, bool Force = false,
    TransportKind Transport = TransportKind.Tty, int RealtimePriority = 0);

/// <summary>
/// MPQ online on a rig: the rig is armed once and stays armed; the Controller's own loop (<see cref="RigRunner"/>) acts
/// with the current Q at its usual priority, and an <see cref="OnlineLearner"/> learns from every transition as it
/// comes, on the spare cores at a lower priority, swapping a new Q in every few seconds. Writes one metrics row per
/// minute of rig time and a summary at the end.
/// </summary>
/// <remarks>
/// Safety is the loop's, unchanged: estop, watchdog, a lost link or Ctrl-C end the run with the rig disarmed; learning
/// then stops, and the last Q and the checkpoint (replay buffer, Q, optimiser) are on disk for <c>--resume</c>.
/// </remarks>
internal static class OnlineRigTraining
{
    public static int Run(ITask task, LearnerSettings settings, int threads, OnlineRigArguments args, double? torqueLimit, CancellationToken cancel)
    {
        if (!double.IsFinite(args.Minutes) || args.Minutes is <= 0 or > 24 * 60)
        {
            throw new ArgumentException($"--minutes must be in (0, 1440] (got {args.Minutes.ToString(CultureInfo.InvariantCulture)})");
        }
        args.Pacing.Validate();
        var checkpointPath = Path.Combine(args.OutputDirectory, "checkpoint.bin");
        if (args.Resume ? !File.Exists(checkpointPath) : File.Exists(checkpointPath) && !args.Force)
        {
            throw new ArgumentException(args.Resume
                ? $"--resume: '{checkpointPath}' does not exist (was an online run started with --out {args.OutputDirectory}?)"
                : $"'{args.OutputDirectory}' holds an online run already ({checkpointPath}): continue it with --resume, or choose a new --out");
        }
        var qPath = Path.Combine(args.OutputDirectory, "q.onnx");
        var runId = $"{task.Name}-{settings.Algorithm}-H{settings.Horizon}-online-seed{settings.Seed}".ToLowerInvariant();
        // Online, the first update waits for one batch, not the simulated learner's warm-up: the rig's first transitions are as good as any.
        settings = settings with { Warmup = settings.BatchSize };

        using var transport = SerialTransports.Open(args.Port, args.Baud, args.Transport);
        using var client = new RigClient(transport, line => Console.Error.WriteLine(line), args.RealtimePriority);
        var ack = client.Handshake(TimeSpan.FromSeconds(5));
        task = RigTraining.WithinRigLimit(task, torqueLimit, ack);
        var fingerprint = task.Name + JsonSerializer.Serialize(settings);
        // Plain MPPI runs the same loop with nothing learned: the baseline an online run is measured against, on the same rig.
        var learns = settings.Algorithm != Algorithm.Mppi;
        using var learner = new Learner(task, settings, threads, targetNice: OnlineLearner.Nice);
        if (args.Resume)
        {
            learner.LoadCheckpoint(checkpointPath, fingerprint, int.MaxValue);
            Console.Error.WriteLine($"resumed {checkpointPath}: {learner.Replay.Count} transitions, {learner.Updates} updates");
        }
        var planner = settings.Planner(settings.Samples, learns ? settings.Gamma : 1.0, settings.Seed); // plain MPPI undiscounted, as the simulated learner runs it
        using var pool = new WorkerPool(threads, realtimePriority: args.RealtimePriority);
        Directory.CreateDirectory(args.OutputDirectory);
        var logPath = NextLogPath(args.OutputDirectory);
        using var log = TransitionLogFiles.OpenNew(logPath, task, 2 * ack.Joints, "rig", planner, qPath,
            [("algorithm", settings.Algorithm.ToString()), ("online", "true"), .. TransitionLogFiles.RigEntries(ack.RigName, ack.TorqueLimit)])!;
        var ring = new TransitionRing((int)Math.Ceiling(30 / task.ControlPeriod), task.ObservationSize, task.ActionSize, 2 * ack.Joints);
        var meter = new MinuteMeter(task, args.Minutes);
        using var runner = new RigRunner(task, planner, pool, q: null, client, ack, new TransitionFanout(log, learns ? ring : null, meter)) { RealtimePriority = args.RealtimePriority };
        using var reloader = new QReloader(task, null, planner.Samples, runner.OfferTerminalCost, client.Log);
        string Publish()
        {
            Onnx.OnnxExporter.Write(learner.Q!, Onnx.QMetadata.For(task, settings, runId), qPath);
            return reloader.Reload(qPath);
        }
        if (learns && Publish() is var first && !first.StartsWith("ok", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the exported Q did not load: {first}");
        }
        var pacing = args.Pacing with { PeriodMs = 1000 * task.ControlPeriod };
        using var online = learns
            ? new OnlineLearner(learner, ring, Publish,
                () => new LoopHealth(runner.Progress.Steps, runner.Progress.DeadlineMisses, runner.PlanTimes.Percentile(0.99, 20)),
                pacing, client.Log, () => learner.SaveCheckpoint(checkpointPath, fingerprint))
            : null;
        var metrics = new OnlineMetrics(Path.Combine(args.OutputDirectory, "metrics.csv"), meter, runner, online, ring);
        Console.Error.WriteLine(learns
            ? $"rig '{ack.RigName}': learning {settings.Algorithm} H={settings.Horizon} online for {args.Minutes:G4} min, armed throughout " +
              $"(±{task.ActionHigh[0]:G4}; Q swapped every {pacing.SwapEverySeconds:G3} s; {pacing.UpdatesPerTransition:G3} update(s) per transition; learner at nice {OnlineLearner.Nice})"
            : $"rig '{ack.RigName}': MPPI H={settings.Horizon} without a Q for {args.Minutes:G4} min, armed throughout (the baseline; nothing is learned)");
        online?.Start();
        RunSummary summary;
        using (var ticker = new Timer(_ => metrics.Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)))
        {
            summary = runner.Run(TimeSpan.FromMinutes(args.Minutes), arm: true, cancel);
        }
        online?.Stop();
        metrics.Finish();
        var exit = summary.Stop.ExitCode();
        WriteSummary(Path.Combine(args.OutputDirectory, "summary.json"), summary, meter, online, ring, runner.Planner.Settings.Horizon);
        Console.Error.WriteLine(summary.ToString());
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"slowest step: {summary.SlowestStep}; GC: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} collections (gen 0/1/2), {GC.GetTotalPauseDuration().TotalMilliseconds:F1} ms paused in all"));
        Console.Error.WriteLine((learns ? $"wrote {qPath} ({runId}), {checkpointPath} ({learner.Replay.Count} transitions, {learner.Updates} updates) and " : "wrote ") +
            $"{logPath} ({log.Records} transitions{(log.Dropped > 0 ? $", {log.Dropped} lost: the disk fell behind" : "")})" + (exit == 0 ? "" : $"; the run stopped early ({summary.StopReason})" + (learns ? ": continue it with --resume once the rig is safe" : "")));
        return online?.Failure is null ? exit : Mpq.Common.Cli.ExitCodes.Failure;
    }

    private static string NextLogPath(string dir)
    {
        var path = Path.Combine(dir, "rig.mpqlog");
        for (var k = 2; File.Exists(path); k++)
        {
            path = Path.Combine(dir, $"rig-{k}.mpqlog");
        }
        return path;
    }

    private static void WriteSummary(string path, RunSummary run, MinuteMeter meter, OnlineLearner? online, TransitionRing ring, int horizon)
    {
        var armedSeconds = run.Steps * (60.0 / meter.StepsPerMinute);
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["rig_seconds_armed"] = armedSeconds,
            ["disarms"] = run.Stop is RunStop.DurationReached or RunStop.StoppedByUser ? 0 : 1,
            ["stop"] = run.StopReason,
            ["deadline_misses"] = run.DeadlineMisses,
            ["steps"] = run.Steps,
            ["transitions_learned"] = online?.Transitions ?? 0,
            ["transitions_dropped"] = online is null ? 0 : ring.Dropped,
            ["updates"] = online?.Updates ?? 0,
            ["updates_per_second"] = armedSeconds > 0 ? (online?.Updates ?? 0) / armedSeconds : 0,
            ["q_swaps"] = run.QSwaps,
            ["learning_back_offs"] = online?.BackOffs ?? 0,
            ["learning_failure"] = online?.Failure,
            ["cost_total"] = meter.TotalCost,
            ["cost_per_step"] = meter.Total > 0 ? meter.TotalCost / meter.Total : double.NaN,
            ["plan_ms_p50"] = run.PlanMsP50,
            ["plan_ms_p99"] = run.PlanMsP99,
            ["plan_ms_max"] = run.PlanMsMax,
            ["horizon"] = horizon,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        AtomicFile.Write(path, json + "\n");
    }
}
