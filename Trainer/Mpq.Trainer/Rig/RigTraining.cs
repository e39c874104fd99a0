using System.Diagnostics;
using System.Globalization;
using Mpq.Common;
using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Protocol.Serial;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Rig;

/// <summary>What <c>train --rig</c> was asked to do.</summary>
/// <param name="Port">Serial device of the rig's Firmware.</param>
/// <param name="Baud">Its baud rate.</param>
/// <param name="Episodes">Episodes to collect.</param>
/// <param name="EpisodeSeconds">Length of one armed episode on the rig.</param>
/// <param name="Updates">Gradient updates after each episode (null: one per transition collected, as the simulated learner does).</param>
/// <param name="Settle">Seconds to wait disarmed before each episode after the first (a real rig's pendulum coming to rest).</param>
/// <param name="OutputDirectory">Run directory: metrics.csv, q.onnx (the Q the next episode runs), rig.mpqlog.</param>
/// <param name="Transport">tty (direct, low latency) or System.IO.Ports.</param>
/// <param name="RealtimePriority">SCHED_FIFO priority of the control loop and its planner threads (0: normal scheduling).</param>
public sealed record RigTrainingArguments(string Port, int Baud, int Episodes, double EpisodeSeconds, int? Updates, double Settle, string OutputDirectory,
    TransportKind Transport = TransportKind.Tty, int RealtimePriority = 0);

/// <summary>
/// MPQ on a rig: every episode the Controller's own loop (<see cref="RigRunner"/>) acts on the rig through the
/// Firmware with the current Q, loaded from the run directory's <c>q.onnx</c> exactly as <c>controller run</c>
/// loads it; the rig's transitions go into the replay buffer (and a transition log); then, disarmed, Q is
/// updated with targets from the biased model and exported for the next episode.
/// </summary>
/// <remarks>
/// Updates happen between episodes, never during one: a rig's control period has no room for them, and the
/// Q the loop uses must not change under it. The rig is armed only for an episode and disarmed by the loop at
/// its end; a rig that leaves the armed state on its own (watchdog, limit, estop) ends the training, since
/// someone must look at it. Episodes start where the rig is (a real pendulum cannot be reset).
/// </remarks>
internal static class RigTraining
{
    public static int Run(ITask task, LearnerSettings settings, int threads, RigTrainingArguments args, double? torqueLimit, CancellationToken cancel)
    {
        Validate(args);
        var logPath = Path.Combine(args.OutputDirectory, "rig.mpqlog");
        if (File.Exists(logPath))
        {
            throw new ArgumentException($"'{args.OutputDirectory}' holds a rig run already ({logPath}); choose a new --out");
        }
        var qPath = Path.Combine(args.OutputDirectory, "q.onnx");
        var metricsPath = Path.Combine(args.OutputDirectory, "metrics.csv");
        var runId = $"{task.Name}-{settings.Algorithm}-H{settings.Horizon}-rig-seed{settings.Seed}".ToLowerInvariant();

        if (settings.Algorithm == Algorithm.Mppi)
        {
            throw new ArgumentException("plain MPPI learns nothing on a rig: use --algo mpq or softq");
        }
        using var transport = SerialTransports.Open(args.Port, args.Baud, args.Transport);
        using var client = new RigClient(transport, line => Console.Error.WriteLine(line), args.RealtimePriority);
        var ack = client.Handshake(TimeSpan.FromSeconds(5));
        task = WithinRigLimit(task, torqueLimit, ack);
        using var learner = new Learner(task, settings, threads);
        var q = learner.Q!;
        var planner = settings.Planner(settings.Samples, settings.Gamma, settings.Seed);
        using var pool = new WorkerPool(threads, realtimePriority: args.RealtimePriority);
        Directory.CreateDirectory(args.OutputDirectory);
        Console.Error.WriteLine($"rig '{ack.RigName}': {ack.Joints} joint(s), torque limit {ack.TorqueLimit[0]} (learning within ±{task.ActionHigh[0]}); training {settings.Algorithm} H={settings.Horizon} for {args.Episodes} episode(s) of {args.EpisodeSeconds} s");
        using var log = TransitionLogFiles.OpenNew(logPath, task, 2 * ack.Joints, "rig", planner, qPath,
            [("algorithm", settings.Algorithm.ToString()), .. TransitionLogFiles.RigEntries(ack.RigName, ack.TorqueLimit)])!;
        var episode = new EpisodeSink(task, learner, log, (int)Math.Ceiling(args.EpisodeSeconds / task.ControlPeriod) + 1);
        using var runner = new RigRunner(task, planner, pool, q: null, client, ack, episode) { RealtimePriority = args.RealtimePriority };
        using var reloader = new QReloader(task, null, planner.Samples, runner.OfferTerminalCost, client.Log);

        var lines = new List<string> { "episode,cost,success,wall_seconds,updates,loss,steps,deadline_misses,seconds_to_success" };
        Console.WriteLine(lines[0]);
        for (var e = 0; e < args.Episodes && !cancel.IsCancellationRequested; e++)
        {
            var clock = Stopwatch.StartNew();
            // The Q this episode acts with is the file a person would deploy: exported, loaded, validated.
            Export(q, task, settings, runId, qPath);
            var loaded = reloader.Reload(qPath);
            if (!loaded.StartsWith("ok", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the exported Q did not load: {loaded}");
            }
            if (e > 0 && args.Settle > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(args.Settle));
            }
            episode.Begin();
            var summary = runner.Run(TimeSpan.FromSeconds(args.EpisodeSeconds), arm: true, cancel);
            var updates = args.Updates ?? episode.Steps * settings.GradientSteps / settings.UpdateEvery;
            var loss = double.NaN;
            if (learner.Replay.Count >= settings.BatchSize && updates > 0)
            {
                loss = learner.Train(updates);
            }
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{e},{episode.Cost:F3},{(episode.Succeeded ? 1 : 0)},{clock.Elapsed.TotalSeconds:F3},{learner.Updates},{loss:F3},{episode.Steps},{summary.DeadlineMisses},{summary.SecondsToSuccess?.ToString("F2", CultureInfo.InvariantCulture) ?? ""}");
            lines.Add(line);
            Console.WriteLine(line);
            AtomicFile.Write(metricsPath, string.Join('\n', lines) + "\n");
            if (summary.Stop != RunStop.DurationReached)
            {
                Export(q, task, settings, runId, qPath);
                Console.Error.WriteLine($"training stopped in episode {e}: {summary.StopReason}");
                return summary.Stop.ExitCode();
            }
        }
        Export(q, task, settings, runId, qPath);
        Console.Error.WriteLine($"wrote {qPath} ({runId}) and {logPath} ({log.Records} transitions)");
        return 0;
    }

    /// <summary>
    /// The task as learned on this rig: within the torque it gives (and within <paramref name="torqueLimit"/> if less).
    /// The targets plan within that limit as the acting planner does, and the Q file records it: a Q learned for more
    /// torque chases swings this rig cannot finish.
    /// </summary>
    internal static ITask WithinRigLimit(ITask task, double? torqueLimit, Mpq.Protocol.Messages.HelloAck ack)
    {
        var limit = Math.Min(torqueLimit ?? double.PositiveInfinity, ack.TorqueLimit.ToArray().Min());
        return double.IsFinite(limit) ? new ActionLimitedTask(task, limit) : task;
    }

    private static void Validate(RigTrainingArguments args)
    {
        if (args.Episodes < 1)
        {
            throw new ArgumentException($"--episodes must be at least 1 (got {args.Episodes})");
        }
        if (!double.IsFinite(args.EpisodeSeconds) || args.EpisodeSeconds is <= 0 or > 3600)
        {
            throw new ArgumentException($"--episode-seconds must be in (0, 3600] (got {args.EpisodeSeconds})");
        }
        if (!double.IsFinite(args.Settle) || args.Settle is < 0 or > 600)
        {
            throw new ArgumentException($"--settle must be in [0, 600] seconds (got {args.Settle})");
        }
        if (args.Updates is < 0)
        {
            throw new ArgumentException($"--updates must be 0 or more (got {args.Updates})");
        }
    }

    private static void Export(QFunction q, ITask task, LearnerSettings s, string runId, string path) =>
        Onnx.OnnxExporter.Write(q, Onnx.QMetadata.For(task, s, runId), path);

    /// <summary>The rig's transitions of one episode: into the replay buffer and the log, with the episode's cost and success.</summary>
    private sealed class EpisodeSink(ITask task, Learner learner, ITransitionSink log, int expectedSteps) : ITransitionSink
    {
        private readonly List<bool> _success = new(expectedSteps);

        public double Cost { get; private set; }
        public int Steps => _success.Count;
        public bool Succeeded => EpisodeRunner.Succeeded(_success.ToArray(), task.SuccessWindow);

        public void Begin()
        {
            Cost = 0;
            _success.Clear();
        }

        public void Event(long step, string text) => log.Event(step, text);

        public void Add(in Transition transition)
        {
            learner.Remember(transition);
            log.Add(transition);
            Cost += transition.Cost;
            _success.Add(task.IsSuccess(transition.NextObservation));
        }
    }
}
