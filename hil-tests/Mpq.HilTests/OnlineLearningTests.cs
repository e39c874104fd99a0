using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mpq.Controller.Onnx;
using Mpq.Planning.Logging;
using Mpq.Protocol.Messages;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary><c>trainer train --rig PORT --online</c>: MPQ learning while the rig stays armed, over a real pty.</summary>
[TestFixture]
[Category("Hil")]
public class OnlineLearningTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), $"mpq-online-{Guid.NewGuid():N}");

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>The online run of issue 27's figures: the planner on the biased prior, the rig at ±2 N·m, the floor on.</summary>
    private DotnetProcess StartOnline(string port, double minutes, params string[] extra) =>
        new("trainer.dll", ["train", "--rig", port, "--online", "--minutes", minutes.ToString(CultureInfo.InvariantCulture), "--out", _dir,
            "--prior", "mass=2:0.1,length=0.7:0.05", "--set", "TerminalFloor=0", "--threads", "2", .. extra]);

    private static void SetTorqueLimit(string port, double limit)
    {
        using var person = new ConsoleSession(port);
        person.Keys(string.Create(CultureInfo.InvariantCulture, $"set torque_limit {limit}\r"));
        person.WaitFor("ok torque_limit", TimeSpan.FromSeconds(5));
        Assert.That(person.Seen, Does.Contain(string.Create(CultureInfo.InvariantCulture, $"ok torque_limit = {limit}")), person.Seen);
    }

    [Test]
    public void TrainOnline_SixtySeconds_ArmedThroughout_QSwapped_CostFalls()
    {
        using var firmware = new FirmwareProcess(150);
        SetTorqueLimit(firmware.ControllerPort, 2);
        using var trainer = StartOnline(firmware.ControllerPort, 1);
        Assert.That(trainer.WaitForExit(TimeSpan.FromSeconds(150)), Is.True, "the online run did not finish\n" + trainer.Log);
        Assert.That(trainer.ExitCode, Is.Zero, trainer.Log + "\n" + firmware.Log);

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "summary.json"))).RootElement;
        TestContext.Out.WriteLine(summary.ToString());
        Assert.That(summary.GetProperty("disarms").GetInt32(), Is.Zero, "armed from start to end");
        Assert.That(summary.GetProperty("steps").GetInt64(), Is.InRange(1150, 1201), "60 s at 20 Hz");
        Assert.That(summary.GetProperty("q_swaps").GetInt64(), Is.GreaterThanOrEqualTo(6), "a new Q at least every 10 s");
        Assert.That(summary.GetProperty("updates").GetInt64(), Is.GreaterThan(100));
        Assert.That(summary.GetProperty("transitions_dropped").GetInt64(), Is.Zero);

        var rows = File.ReadAllLines(Path.Combine(_dir, "metrics.csv"));
        Assert.That(rows[0], Does.StartWith("minute,cost_per_step,success_share,steps,updates,q_swaps,deadline_misses,plan_ms_p50,plan_ms_p99"));
        Assert.That(rows, Has.Length.EqualTo(2), "one row per minute of rig time");

        var log = TransitionLogReader.Read(Path.Combine(_dir, "rig.mpqlog"));
        Assert.That(log.Records, Has.Count.EqualTo(summary.GetProperty("transitions_learned").GetInt64()), "every armed step logged and learned from");
        Assert.That(log.Events.Count(e => e.Text.StartsWith("disarmed", StringComparison.Ordinal)), Is.Zero, trainer.Log);
        Assert.That(log.Events.Count(e => e.Text.StartsWith("q=swap", StringComparison.Ordinal)), Is.EqualTo(summary.GetProperty("q_swaps").GetInt64()));
        var first = log.Records.Take(200).Average(r => r.Cost);
        var last = log.Records.TakeLast(200).Average(r => r.Cost);
        TestContext.Out.WriteLine($"cost per step: first 10 s {first:F3}, last 10 s {last:F3}");
        Assert.That(last, Is.LessThan(first / 3), "the cost falls: from hanging to held upright");

        using var q = OnnxTerminalCost.Load(Path.Combine(_dir, "q.onnx"), new PendulumSwingup());
        Assert.That(q.Metadata["mpq.run_id"], Is.EqualTo("pendulum-mpq-h8-online-seed1"));
    }

    [Test]
    public void TrainOnline_CablePulledMidLearning_TorqueStopsWithinTheWatchdog_TheRunResumesFromItsFiles()
    {
        using var relay = new FaultRelay(expectedSeconds: 90);
        using var firmware = new FirmwareProcess(150, relay.FirmwarePort);
        using (var trainer = StartOnline(relay.ControllerPort, 1, "--swap-every", "2"))
        {
            Assert.That(trainer.WaitForOutput("rig: armed", TimeSpan.FromSeconds(30)), Is.True, trainer.Log);
            Thread.Sleep(TimeSpan.FromSeconds(12)); // learning: several Q swaps
            var pulled = Stopwatch.GetTimestamp();
            relay.Pause(TimeSpan.FromMilliseconds(2500));
            Assert.That(trainer.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the run ended\n" + trainer.Log);
            Assert.That(trainer.ExitCode, Is.EqualTo(3), "a safety stop\n" + trainer.Log);
            Thread.Sleep(2500 + 1500); // the pull, then the rig's link timeout: it is back in console mode

            var after = relay.ToController.Snapshot().States.Where(s => s.Timestamp > pulled).ToArray();
            var stopped = Array.FindIndex(after, s => s.Arm != RigArmState.Armed);
            Assert.That(stopped, Is.GreaterThanOrEqualTo(0), "the rig disarmed");
            Assert.That(after[stopped].Faults & FaultBits.WatchdogTimeout, Is.EqualTo(FaultBits.WatchdogTimeout), "by its watchdog");
            var ms = (after[stopped].Timestamp - pulled) * 1000.0 / Stopwatch.Frequency;
            TestContext.Out.WriteLine($"disarmed by the watchdog {ms:F0} ms after the pull (the relay saw the State when the line came back)");
            Assert.That(after[stopped..].Select(s => s.Torque), Is.All.EqualTo(0f), "zero torque from then on");
            Assert.That(trainer.Log, Does.Contain("continue it with --resume"));
        }
        Assert.That(File.Exists(Path.Combine(_dir, "checkpoint.bin")), Is.True);
        using (var q = OnnxTerminalCost.Load(Path.Combine(_dir, "q.onnx"), new PendulumSwingup()))
        {
            Assert.That(q.Metadata["mpq.run_id"], Is.EqualTo("pendulum-mpq-h8-online-seed1"));
        }
        var learned = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "summary.json"))).RootElement.GetProperty("transitions_learned").GetInt64();
        Assert.That(learned, Is.GreaterThan(200));

        using var resumed = new DotnetProcess("trainer.dll", "train", "--rig", relay.ControllerPort, "--online", "--minutes", "0.25", "--resume", _dir,
            "--prior", "mass=2:0.1,length=0.7:0.05", "--set", "TerminalFloor=0", "--threads", "2");
        Assert.That(resumed.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, resumed.Log);
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Log + "\n" + firmware.Log);
        Assert.That(resumed.Log, Does.Contain($"resumed {Path.Combine(_dir, "checkpoint.bin")}: {learned} transitions"));
        Assert.That(File.Exists(Path.Combine(_dir, "rig-2.mpqlog")), Is.True, "the resumed run logs beside the first");
    }
}
