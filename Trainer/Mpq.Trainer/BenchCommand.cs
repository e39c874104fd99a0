using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer;

/// <summary>
/// <c>bench</c>: the trainer's speed. Runs a learner for a few episodes and prints transitions/s, updates/s, one
/// update's time split into target rollouts, Q evaluations inside the targets and SGD, and the target rollouts'
/// ratio to the bare mj_step floor for the same physics steps, measured in the same run.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", DefaultValueFactory = _ => "pendulum" };
        var algo = new Option<string>("--algo") { Description = "mpq or softq", DefaultValueFactory = _ => "mpq" };
        var horizon = new Option<int?>("--horizon", "-H") { Description = "planning horizon (default 8; 1 for softq)" };
        var episodes = new Option<int>("--episodes", "-E") { Description = "timed episodes (after one untimed warm-up episode)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads", "-T") { Description = "threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var learner = new LearnerOptions();
        var command = new Command("bench", "Time learning: transitions/s, updates/s, an update's split (target rollouts, Q, SGD) and the rollouts against the bare mj_step floor.")
        {
            task, algo, horizon, episodes, threads, json,
        };
        learner.AddTo(command);
        command.SetAction(r => TrainerCli.Run(() =>
        {
            var algorithm = r.GetValue(algo) switch
            {
                "mpq" => Algorithm.Mpq,
                "softq" => Algorithm.SoftQ,
                var other => throw new ArgumentException($"--algo must be mpq or softq (got '{other}'): plain MPPI learns nothing to time"),
            };
            var e = r.GetValue(episodes);
            var t = r.GetValue(threads);
            if (e < 1 || t is < 1 or > 256)
            {
                throw new ArgumentException($"--episodes must be at least 1 and --threads 1-256 (got {e}, {t})");
            }
            var h = r.GetValue(horizon) ?? (algorithm == Algorithm.SoftQ ? 1 : 8);
            return Execute(TaskCatalog.Create(r.GetValue(task)!), algorithm, h, e, t, r.GetValue(json), learner.Assignments(r));
        }));
        return command;
    }

    private static int Execute(ITask task, Algorithm algorithm, int horizon, int episodes, int threads, bool json, string? overrides)
    {
        var settings = (LearnerSettings.For(task) with { Algorithm = algorithm, Horizon = horizon }).WithOverrides(overrides);
        using var learner = new Learner(task, settings, threads);
        learner.RunEpisode(0); // warm-up: JIT tiering, the replay warm-up (no updates before it)
        var updates0 = learner.Updates;
        var (target0, train0, targets0) = (learner.Timings.TargetTicks, learner.Timings.TrainTicks, learner.Timings.Targets);
        var rollout0 = learner.Targets!.RolloutMilliseconds;
        var terminal0 = learner.Targets.TerminalMilliseconds;
        var clock = Stopwatch.StartNew();
        var planMs = new List<double>();
        for (var i = 1; i <= episodes; i++)
        {
            planMs.Add(learner.RunEpisode(i).PlanMilliseconds);
        }
        var wall = clock.Elapsed.TotalSeconds;
        var updates = learner.Updates - updates0;
        var targets = learner.Timings.Targets - targets0;
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var targetWall = Ms(learner.Timings.TargetTicks - target0);
        var trainWall = Ms(learner.Timings.TrainTicks - train0);
        var rolloutWorker = learner.Targets.RolloutMilliseconds - rollout0;
        var terminalWorker = learner.Targets.TerminalMilliseconds - terminal0;
        var physicsSteps = targets * learner.Targets.PhysicsStepsPerTarget;
        var stepUs = MjStepMicroseconds(task);
        var floorWorkerMs = physicsSteps * stepUs / 1000;
        var transitions = (long)episodes * task.EpisodeSteps;
        var result = new
        {
            task = task.Name,
            algorithm = algorithm.ToString().ToLowerInvariant(),
            horizon,
            samples = settings.Samples,
            target_samples = settings.TargetSamples,
            target_iterations = settings.TargetIterations,
            batch = settings.BatchSize,
            update_every = settings.UpdateEvery,
            threads,
            episodes,
            wall_seconds = wall,
            transitions_per_second = transitions / wall,
            updates_per_second = updates / wall,
            update_ms = (targetWall + trainWall) / Math.Max(1, updates),
            targets_ms_per_update = targetWall / Math.Max(1, updates),
            sgd_ms_per_update = trainWall / Math.Max(1, updates),
            acting_ms_per_step = (wall * 1000 - targetWall - trainWall) / transitions,
            plan_ms_p50 = planMs.Average(),
            target_rollouts_worker_ms_per_update = rolloutWorker / Math.Max(1, updates),
            target_q_worker_ms_per_update = terminalWorker / Math.Max(1, updates),
            target_physics_steps_per_update = physicsSteps / Math.Max(1, updates),
            mj_step_us = stepUs,
            rollouts_to_mj_step_floor = rolloutWorker / floorWorkerMs,
            projected_minutes_350_episodes = wall / episodes * 350 / 60,
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"{task.Name} {result.algorithm} H={horizon} N={settings.Samples}: targets N={settings.TargetSamples} K={settings.TargetIterations}, batch {settings.BatchSize}, update every {settings.UpdateEvery}, {threads} threads, {episodes} timed episode(s)"));
        Console.WriteLine(string.Create(c, $"  {result.transitions_per_second:F1} transitions/s, {result.updates_per_second:F1} updates/s; {wall / episodes:F1} s per episode (350 episodes: {result.projected_minutes_350_episodes:F0} min)"));
        Console.WriteLine(string.Create(c, $"  one update {result.update_ms:F2} ms wall: targets {result.targets_ms_per_update:F2} ms, SGD {result.sgd_ms_per_update:F3} ms; acting {result.acting_ms_per_step:F2} ms per step (plan p50 {result.plan_ms_p50:F2} ms)"));
        Console.WriteLine(string.Create(c, $"  inside the targets, per update (worker time summed over {threads} threads): rollouts {result.target_rollouts_worker_ms_per_update:F2} ms, Q {result.target_q_worker_ms_per_update:F2} ms"));
        Console.WriteLine(string.Create(c, $"  target rollouts: {result.target_physics_steps_per_update:F0} mj_steps per update; bare mj_step {stepUs:F3} µs; rollouts / floor = {result.rollouts_to_mj_step_floor:F2}"));
        return 0;
    }

    /// <summary>Bare mj_step on the task's model from the task's own start states, one thread, µs per step.</summary>
    private static double MjStepMicroseconds(ITask task)
    {
        using var dynamics = new MuJoCoDynamics(task);
        using var context = dynamics.CreateMuJoCoContext();
        var data = context.Data;
        var rng = new SplitMix64(7);
        const int Episodes = 40;
        var steps = 0L;
        var clock = new Stopwatch();
        for (var e = 0; e < Episodes; e++)
        {
            data.Reset();
            task.SampleInitialState(data, ref rng);
            clock.Start();
            for (var k = 0; k < 2000; k++)
            {
                data.Step();
            }
            clock.Stop();
            steps += 2000;
        }
        return clock.Elapsed.TotalMilliseconds * 1000 / steps;
    }
}
