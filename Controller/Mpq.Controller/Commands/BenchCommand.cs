using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Controller.Commands;

/// <summary>
/// <c>bench</c>: times planner steps and, interleaved in the same run, the physics floor — the same
/// number of mj_step calls (all K iterations' rollouts) on the same worker threads with no planner logic.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var planner = new PlannerOptions();
        var steps = new Option<int>("--steps", "-M") { Description = "timed planner steps (after warm-up)", DefaultValueFactory = _ => 2000 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first (JIT tiering, caches)", DefaultValueFactory = _ => 300 };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var load = new Option<int>("--load") { Description = "busy threads competing for the cores while timing (a shared machine)", DefaultValueFactory = _ => 0 };
        var command = new Command("bench", "Time planner steps against the bare physics they must run.");
        planner.AddTo(command);
        command.Options.Add(steps);
        command.Options.Add(warmup);
        command.Options.Add(json);
        command.Options.Add(load);
        var callerSpin = new Option<double>("--caller-spin-us")
        {
            Description = "how long the pool's caller spins for its workers before blocking, µs; the same steps are also timed on a pool whose caller only spins (the old wait), interleaved, for a ratio from one run",
            DefaultValueFactory = _ => 50,
        };
        command.Options.Add(callerSpin);
        command.SetAction(r => ControllerCli.Run(() => Execute(r, planner, r.GetValue(steps), r.GetValue(warmup), r.GetValue(json), r.GetValue(load), r.GetValue(callerSpin))));
        return command;
    }

    private static int Execute(ParseResult r, PlannerOptions options, int steps, int warmup, bool json, int load, double callerSpinMicroseconds)
    {
        if (steps < 1 || warmup < 0 || load is < 0 or > 64)
        {
            throw new ArgumentException($"--steps must be at least 1, --warmup not negative and --load 0-64 (got {steps}, {warmup}, {load})");
        }
        if (!double.IsFinite(callerSpinMicroseconds) || callerSpinMicroseconds < 0 || callerSpinMicroseconds > 1e6)
        {
            throw new ArgumentException($"--caller-spin-us must be between 0 and 1000000 (got {callerSpinMicroseconds})");
        }
        var task = options.CreateTask(r);
        using var q = options.LoadQ(r, task);
        var settings = options.Settings(r, task, q);
        var threads = options.ThreadCount(r);
        using var pool = new WorkerPool(threads, callerSpinMicroseconds: callerSpinMicroseconds);
        // The old wait: the caller spins until the last worker is done, never blocking (1e9 µs ≈ forever).
        using var spinPool = new WorkerPool(threads, callerSpinMicroseconds: 1e9);
        using var plantModel = new MuJoCoDynamics(task);
        using var plant = plantModel.CreateMuJoCoContext();
        using var model = new MuJoCoDynamics(task);
        using var planner = new MppiPlanner(model, task, task.ActionLow, task.ActionHigh, settings, pool, q);
        using var spinModel = new MuJoCoDynamics(task);
        using var spinPlanner = new MppiPlanner(spinModel, task, task.ActionLow, task.ActionHigh, settings, spinPool, q);
        var spinAction = new double[task.ActionSize];
        using var floor = new PhysicsFloor(model, pool, settings.Samples, (settings.Horizon - 1) * model.PhysicsStepsPerControl);

        var state = new double[model.StateSize];
        var action = new double[task.ActionSize];
        var rng = new SplitMix64(settings.Seed);
        var stepTimes = new LatencyRecorder(Math.Max(steps, 1));
        var floorTimes = new LatencyRecorder(Math.Max(steps, 1));
        var spinTimes = new LatencyRecorder(Math.Max(steps, 1));
        var episodeStep = 0;

        void NextState()
        {
            if (episodeStep % task.EpisodeSteps == 0)
            {
                plant.Data.Reset();
                task.SampleInitialState(plant.Data, ref rng);
                planner.ResetPlan();
                spinPlanner.ResetPlan();
            }
            episodeStep++;
            plant.GetState(state);
        }

        var oldMode = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        using var competitors = new BusyLoad(load);
        try
        {
            for (var i = 0; i < warmup + steps; i++)
            {
                NextState();
                floor.SetStart(state);
                // The two pools take turns going first, so neither always runs right after the other's workers warmed the caches.
                var spinFirst = (i & 1) == 1;
                var s0 = Stopwatch.GetTimestamp();
                if (spinFirst)
                {
                    spinPlanner.Step(state, spinAction);
                }
                var t0 = Stopwatch.GetTimestamp();
                planner.Step(state, action);
                var t1 = Stopwatch.GetTimestamp();
                // The floor counts every iteration's rollouts: a step of K iterations runs K batches (it counted one, and
                // the pendulum's K = 3 read as a ratio of 2.8-3.7 where the overhead was small).
                for (var k = 0; k < settings.Iterations; k++)
                {
                    floor.Run();
                }
                var t2 = Stopwatch.GetTimestamp();
                if (!spinFirst)
                {
                    spinPlanner.Step(state, spinAction);
                }
                var t3 = Stopwatch.GetTimestamp();
                plant.Step(action);
                if (i == warmup - 1 || (warmup == 0 && i == 0))
                {
                    planner.RolloutTimes.Clear();
                    planner.TerminalTimes.Clear();
                    planner.UpdateTimes.Clear();
                }
                if (i >= warmup)
                {
                    stepTimes.Record(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    floorTimes.Record(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    spinTimes.Record((spinFirst ? Stopwatch.GetElapsedTime(s0, t0) : Stopwatch.GetElapsedTime(t2, t3)).TotalMilliseconds);
                }
            }
        }
        finally
        {
            GCSettings.LatencyMode = oldMode;
        }

        var result = new
        {
            task = task.Name,
            horizon = settings.Horizon,
            samples = settings.Samples,
            threads,
            load,
            steps,
            physics_steps_per_control = model.PhysicsStepsPerControl,
            mj_steps_per_plan_step = (long)settings.Samples * (settings.Horizon - 1) * model.PhysicsStepsPerControl * settings.Iterations,
            step_ms_p50 = stepTimes.Percentile(0.5),
            step_ms_p99 = stepTimes.Percentile(0.99),
            step_ms_max = stepTimes.Max,
            floor_ms_p50 = floorTimes.Percentile(0.5),
            floor_ms_p99 = floorTimes.Percentile(0.99),
            ratio_p50 = stepTimes.Percentile(0.5) / floorTimes.Percentile(0.5),
            caller_spin_us = callerSpinMicroseconds,
            spin_only_ms_p50 = spinTimes.Percentile(0.5),
            spin_only_ms_p99 = spinTimes.Percentile(0.99),
            wait_ratio_p50 = stepTimes.Percentile(0.5) / spinTimes.Percentile(0.5),
            wait_ratio_p99 = stepTimes.Percentile(0.99) / spinTimes.Percentile(0.99),
            rollouts_ms_p50 = planner.RolloutTimes.Percentile(0.5),
            terminal_ms_p50 = planner.TerminalTimes.Percentile(0.5),
            update_ms_p50 = planner.UpdateTimes.Percentile(0.5),
            q_share_p50 = planner.TerminalTimes.Percentile(0.5) / stepTimes.Percentile(0.5),
            q = q?.Path,
        };
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(result));
        }
        else
        {
            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"{task.Name}: H={settings.Horizon} N={settings.Samples} threads={threads} steps={steps}{(load > 0 ? $", {load} busy competing thread(s)" : "")}"));
            Console.WriteLine(string.Create(c, $"  physics steps per control step: {result.physics_steps_per_control}; mj_step calls per planning step: {result.mj_steps_per_plan_step}"));
            Console.WriteLine(string.Create(c, $"  planner step  p50 {result.step_ms_p50:F3} ms  p99 {result.step_ms_p99:F3} ms  max {result.step_ms_max:F3} ms"));
            Console.WriteLine(string.Create(c, $"  physics floor p50 {result.floor_ms_p50:F3} ms  p99 {result.floor_ms_p99:F3} ms"));
            Console.WriteLine(string.Create(c, $"  ratio p50 (step / floor): {result.ratio_p50:F3}"));
            Console.WriteLine(string.Create(c, $"  caller spins {callerSpinMicroseconds:G4} µs then blocks vs spins only: p50 {result.step_ms_p50:F3} vs {result.spin_only_ms_p50:F3} ms ({result.wait_ratio_p50:F3}), p99 {result.step_ms_p99:F3} vs {result.spin_only_ms_p99:F3} ms ({result.wait_ratio_p99:F3})"));
            Console.WriteLine(string.Create(c, $"  phases p50: rollouts {result.rollouts_ms_p50:F3} ms, terminal {result.terminal_ms_p50:F3} ms, update {result.update_ms_p50:F3} ms"));
            if (q is not null)
            {
                Console.WriteLine(string.Create(c, $"  Q evaluation (ONNX Runtime, {settings.Samples} rows per step): {result.q_share_p50:P1} of the step (p50)"));
            }
        }
        return 0;
    }

    /// <summary>Threads that keep cores busy, as another process on a shared machine would.</summary>
    private sealed class BusyLoad : IDisposable
    {
        private readonly Thread[] _threads;
        private volatile bool _stop;

        public BusyLoad(int threads)
        {
            _threads = new Thread[threads];
            for (var i = 0; i < threads; i++)
            {
                _threads[i] = new Thread(Spin) { IsBackground = true, Name = $"bench-load-{i}" };
                _threads[i].Start();
            }
        }

        private void Spin()
        {
            var x = 0.0;
            while (!_stop)
            {
                for (var k = 0; k < 10_000; k++)
                {
                    x = Math.Sqrt(x + k);
                }
            }
            GC.KeepAlive(x);
        }

        public void Dispose()
        {
            _stop = true;
            foreach (var t in _threads)
            {
                t.Join();
            }
        }
    }

    /// <summary>The bare physics a planning step must run: per sample a state copy and (H−1) × substeps mj_step calls.</summary>
    private sealed class PhysicsFloor : IParallelWork, IDisposable
    {
        private readonly MuJoCoContext[] _contexts;
        private readonly WorkerPool _pool;
        private readonly int _samples;
        private readonly int _physicsSteps;
        private readonly double[] _start;

        public PhysicsFloor(MuJoCoDynamics model, WorkerPool pool, int samples, int physicsSteps)
        {
            _pool = pool;
            _samples = samples;
            _physicsSteps = physicsSteps;
            _start = new double[model.StateSize];
            _contexts = new MuJoCoContext[pool.Threads];
            for (var i = 0; i < _contexts.Length; i++)
            {
                _contexts[i] = model.CreateMuJoCoContext();
            }
        }

        public void SetStart(ReadOnlySpan<double> state) => state.CopyTo(_start);

        public void Run() => _pool.Run(this);

        public void Execute(int worker, int workers)
        {
            var (start, end) = WorkerPool.Share(_samples, worker, workers);
            var data = _contexts[worker].Data;
            for (var i = start; i < end; i++)
            {
                data.SetState(_start);
                for (var k = 0; k < _physicsSteps; k++)
                {
                    data.Step();
                }
            }
        }

        public void Dispose()
        {
            foreach (var c in _contexts)
            {
                c.Dispose();
            }
        }
    }
}
