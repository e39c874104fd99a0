using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Protocol.Serial;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary>
/// The whole bridge: the firmware as its own process driving the virtual pendulum (true parameters) on one
/// end of a socat pty pair, the controller's loop with the trained Q on the other.
/// </summary>
[TestFixture]
[Category("Hil")]
public class SwingUpOverSerialTests
{
    private readonly PendulumSwingup _task = new();

    [Test]
    public void LearnedQ_OverARealPty_SwingsUpAndHolds()
    {
        using var firmware = new FirmwareProcess(30);
        Run(firmware, (runner, console) =>
        {
            var summary = runner.Run(TimeSpan.FromSeconds(10), arm: true, CancellationToken.None);
            TestContext.Out.WriteLine(summary);
            Assert.That(summary.StopReason, Is.EqualTo("duration reached"), firmware.Log);
            Assert.That(summary.SecondsToSuccess, Is.Not.Null, "the pendulum was never held upright for the task's 2 s window");
            Assert.That(summary.Success, Is.True, "upright over the last 2 s of the run");
            Assert.That(summary.Steps, Is.GreaterThan(150));
            Assert.That(summary.RoundTripMsP50, Is.GreaterThan(0), "the rig's command echo times the link");
        });
    }

    // Issue 26: a rig is not the planner's model at other numbers. With dry friction, viscous damping, a drive deadband and
    // 2 ms of delay in the plant only (the controller's model has none of them), the checked-in Q still swings up and holds.
    [Test]
    public void LearnedQ_OnARigWithFrictionDeadbandAndDelay_SwingsUpAndHolds()
    {
        using var firmware = new FirmwareProcess(30, null, "--true", ImperfectRig);
        Run(firmware, (runner, console) =>
        {
            var summary = runner.Run(TimeSpan.FromSeconds(12), arm: true, CancellationToken.None);
            TestContext.Out.WriteLine(summary);
            Assert.That(firmware.Log, Does.Contain("virtual rig: damping 0.02 N·m·s/rad, Coulomb friction 0.05 N·m, deadband 0.05 N·m, delay 1 tick(s)"));
            Assert.That(summary.StopReason, Is.EqualTo("duration reached"), firmware.Log);
            Assert.That(summary.SecondsToSuccess, Is.Not.Null, "the pendulum was never held upright for the task's 2 s window");
        });
    }

    /// <summary>A rig's imperfections the controller's model lacks: friction (5 % of the 1 N·m limit), damping, a 5 % deadband, 2 ms delay.</summary>
    internal const string ImperfectRig = "friction_0=0.05,damping_0=0.02,deadband=0.05,delay_ms=2";

    [Test]
    public void TuningAndHotReload_MidRun_AppliedBetweenStepsWithoutADeadlineMiss()
    {
        using var firmware = new FirmwareProcess(30);
        var bad = Path.Combine(Path.GetTempPath(), $"mpq-bad-{Guid.NewGuid():N}.onnx");
        File.WriteAllText(bad, "not an onnx file");
        try
        {
            Run(firmware, (runner, console) =>
            {
                var replies = new List<string>();
                var person = new Thread(() =>
                {
                    Thread.Sleep(2000);
                    replies.Add(console.Execute("set horizon 12"));
                    replies.Add(console.Execute("set samples 128"));
                    Thread.Sleep(1500);
                    replies.Add(console.Execute($"reload {bad}"));
                    Thread.Sleep(1500);
                    replies.Add(console.Execute($"reload {FirmwareProcess.TrainedQ()}"));
                }) { IsBackground = true };
                person.Start();
                // 15 s, not 10: with H 12 N 128 from 2 s on, the rig held 2 s upright after 5.0–7.7 s in 20 runs, but 2 of 11
                // 10 s runs never did (CI, stop 21): the swing-up's tail, not the swap, which the other asserts pin down.
                var summary = runner.Run(TimeSpan.FromSeconds(15), arm: true, CancellationToken.None);
                person.Join();
                TestContext.Out.WriteLine(summary);
                TestContext.Out.WriteLine(string.Join("\n", replies));
                Assert.That(replies[0], Does.StartWith("ok horizon = 12"));
                Assert.That(replies[1], Does.StartWith("ok samples = 128"));
                Assert.That(replies[2], Does.StartWith("error:").And.Contain("not a loadable ONNX model").And.Contain("Q in use is kept"));
                Assert.That(replies[3], Does.StartWith("ok loaded"));
                Assert.That(summary.StopReason, Is.EqualTo("duration reached"), "the rig stayed armed through a refused file and a swap\n" + firmware.Log);
                Assert.That((runner.Planner.Settings.Horizon, runner.Planner.Settings.Samples), Is.EqualTo((12, 128)));
                Assert.That(summary.QSwaps, Is.EqualTo(1), "only the good file is swapped in");
                Assert.That(summary.DeadlineMisses, Is.Zero, "neither re-allocating N and H nor the swap may cost a period");
                // Held 2 s upright at some point (measured 5.6-6.2 s, after the swap at 5 s), not necessarily at the very end:
                // with the rig's 1 N·m Q at H 12 the balancing wobble left the 0.2 rad band in the last 2 s in 2 of 5 CI runs.
                Assert.That(summary.SecondsToSuccess, Is.Not.Null, "swung up and held with the swapped-in Q");
            });
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Test]
    public void PlanningOverrunsItsPeriod_AnsweredWithTheWarmStartedPlan_RigStaysArmed()
    {
        using var firmware = new FirmwareProcess(30);
        Run(firmware, (runner, _) =>
        {
            var slow = new SlowTerminalCost(_task.ObservationSize, _task.ActionSize);
            runner.OfferTerminalCost(slow); // 70 ms per step against a 50 ms period: every step overruns
            var summary = runner.Run(TimeSpan.FromSeconds(3), arm: true, CancellationToken.None);
            TestContext.Out.WriteLine(summary);
            Assert.That(slow.Calls, Is.GreaterThan(0), "the slow Q was swapped in");
            Assert.That(summary.StopReason, Is.EqualTo("duration reached"), "fresh Commands kept the rig's watchdog fed\n" + firmware.Log);
            Assert.That(summary.DeadlineMisses, Is.GreaterThan(10));
            Assert.That(summary.Fallbacks, Is.EqualTo(summary.DeadlineMisses), "every overrun is answered with the warm-started plan's next action");
        }, iterations: 1); // one Q call per step: 70 ms overruns the period but not the rig's 125 ms watchdog (3 calls would)
    }

    /// <summary>
    /// A planner that fills both cores at SCHED_FIFO (what 'controller run' grants its loop and workers) for its whole
    /// warm-up starved the link's threads: the Firmware heard nothing for its link_timeout_ms (1 s) and forgot the
    /// handshake, so the Arm was refused ("no controller"). Seen in 2 of 7 demo runs with -N 1024 -K 3 (8 ms steps).
    /// </summary>
    [Test]
    public void HeavyPlannerAtRealtimePriorityOnEveryCore_WarmUpKeepsTheLinkAlive_RigArms()
    {
        using var firmware = new FirmwareProcess(30);
        // ~15 ms per step on 2 cores: back to back, the 1 s warm-up would leave no core to anything below SCHED_FIFO.
        Run(firmware, (runner, _) =>
        {
            for (var run = 0; run < 2; run++)
            {
                var summary = runner.Run(TimeSpan.FromSeconds(1.5), arm: true, CancellationToken.None);
                TestContext.Out.WriteLine(summary);
                Assert.That(summary.StopReason, Is.EqualTo("duration reached"), $"run {run + 1}: armed and ran its course\n{firmware.Log}");
                Assert.That(summary.Steps, Is.GreaterThan(20));
            }
        }, samples: 2048, iterations: 3, threads: 2, realtimePriority: 50);
    }

    [Test]
    public void PlannerHung_HeartbeatsStillFlowing_RigWatchdogTripsAnyway()
    {
        using var relay = new FaultRelay();
        using var firmware = new FirmwareProcess(30, relay.FirmwarePort);
        Run(firmware, (runner, _) =>
        {
            var hanging = new HangingTerminalCost(_task.ObservationSize, _task.ActionSize, hangAfter: 40);
            runner.OfferTerminalCost(hanging);
            RunSummary? summary = null;
            var loop = new Thread(() => summary = runner.Run(TimeSpan.FromSeconds(15), arm: true, CancellationToken.None)) { IsBackground = true };
            loop.Start();
            Assert.That(hanging.Hung.Wait(TimeSpan.FromSeconds(10)), Is.True, "the planner reached its hang");
            Thread.Sleep(1500);
            var states = relay.ToController.Snapshot().States;
            var (_, commands, events) = relay.ToRig.Snapshot();
            var last = commands[^1];
            var beats = events.Count(e => e.Type == Protocol.Messages.MessageType.Heartbeat && e.Timestamp > last.Timestamp);
            var (latency, wall) = FaultInjectionTests.WatchdogLatency(states, last);
            TestContext.Out.WriteLine($"planner hung: {beats} Heartbeats after the last Command; rig disarmed {latency:F2} ms (rig time) after accepting it, {wall:F2} ms at the relay");
            Assert.That(beats, Is.GreaterThanOrEqualTo(5), "the process and its heartbeat thread live on");
            Assert.That(latency, Is.LessThanOrEqualTo(125 + 2 * 2), "watchdog + 2 ticks: Heartbeats never feed the watchdog");
            hanging.Release();
            Assert.That(loop.Join(TimeSpan.FromSeconds(10)), Is.True, "the loop ends once the planner returns");
            Assert.That(summary!.StopReason, Does.Contain("left the armed state"), "and reports the disarm");
        }, relay.ControllerPort);
    }

    /// <summary>A terminal cost that stops forever after some calls (a deadlock in the planner), until released.</summary>
    private sealed class HangingTerminalCost(int observationSize, int actionSize, int hangAfter) : ITerminalCost
    {
        private readonly ManualResetEventSlim _release = new();
        private float[] _values = [];
        private int _calls;

        public int ObservationSize => observationSize;
        public int ActionSize => actionSize;
        public ManualResetEventSlim Hung { get; } = new();

        public void Bind(float[] observations, float[] actions, float[] values, int capacity) => _values = values;

        public void Evaluate(int count)
        {
            Array.Clear(_values, 0, count);
            if (++_calls == hangAfter)
            {
                Hung.Set();
                _release.Wait();
            }
        }

        public void Release() => _release.Set();
    }

    /// <summary>A terminal cost that takes 70 ms: a planner too slow for its period, but alive.</summary>
    private sealed class SlowTerminalCost(int observationSize, int actionSize) : ITerminalCost
    {
        private float[] _values = [];

        public int ObservationSize => observationSize;
        public int ActionSize => actionSize;
        public int Calls { get; private set; }

        public void Bind(float[] observations, float[] actions, float[] values, int capacity) => _values = values;

        public void Evaluate(int count)
        {
            Calls++;
            Array.Clear(_values, 0, count);
            Thread.Sleep(70);
        }
    }

    private void Run(FirmwareProcess firmware, Action<RigRunner, TuningConsole> body, string? port = null,
        int? samples = null, int? iterations = null, int threads = 1, int realtimePriority = 0)
    {
        try
        {
            using var q = OnnxTerminalCost.Load(FirmwareProcess.TrainedQ(), _task);
            using var transport = TtyTransport.Open(port ?? firmware.ControllerPort);
            using var client = new RigClient(transport, line => TestContext.Out.WriteLine(line));
            var ack = client.Handshake(TimeSpan.FromSeconds(10));
            using var pool = new WorkerPool(threads, realtimePriority: realtimePriority);
            // What 'controller run --q' plans with, not MPPI's bare defaults (hil-tests/README.md, "Lab notes").
            var settings = ControllerSettings.Of(_task, q, horizon: 8, seed: 3, samples: samples);
            settings = settings with { Iterations = iterations ?? settings.Iterations };
            using var runner = new RigRunner(_task, settings, pool, q, client, ack, log: null) { RealtimePriority = realtimePriority };
            using var reloader = new QReloader(_task, q.Path, settings.Samples, runner.OfferTerminalCost, client.Log);
            var console = new TuningConsole(runner, client, reloader, Stream.Null, TextWriter.Null, echo: false);
            body(runner, console);
        }
        catch (Exception e) when (e is not AssertionException)
        {
            throw new InvalidOperationException($"{e.Message}\nfirmware log:\n{firmware.Log}", e);
        }
    }
}
