using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Mpq.HilTests;

/// <summary>
/// The trainer off-board: <c>trainer serve</c> in a process of its own, <c>controller run --learn-from</c> on the rig,
/// the learning link over loopback gRPC, the rig link over a pty.
/// </summary>
[TestFixture]
[Category("Hil")]
public class OffBoardLearningTests
{
    private const string Prior = "mass=2:0.1,length=0.7:0.05";
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), $"mpq-serve-{Guid.NewGuid():N}");

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private DotnetProcess Serve(int port)
    {
        var trainer = new DotnetProcess("trainer.dll", "serve", "--listen", $"127.0.0.1:{port}", "--out", _dir,
            "--prior", Prior, "--set", "TerminalFloor=0", "--threads", "2", "--swap-every", "2");
        Assert.That(trainer.WaitForOutput("listening on", TimeSpan.FromSeconds(30)), Is.True, "trainer serve did not start\n" + trainer.Log);
        return trainer;
    }

    [Test]
    public void LearnFrom_TrainerStoppedMidRun_RigKeepsActingWithTheLastQ_RestartedTrainerResumes()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var firmware = new FirmwareProcess(150);
        using (var person = new ConsoleSession(firmware.ControllerPort))
        {
            person.Keys("set torque_limit 2\r");
            person.WaitFor("ok torque_limit = 2", TimeSpan.FromSeconds(5));
        }
        var trainer = Serve(port);
        var log = Path.Combine(_dir, "rig.mpqlog");
        Directory.CreateDirectory(_dir);
        using var controller = new DotnetProcess("controller.dll", "run", "--port", firmware.ControllerPort, "--arm", "-H", "8", "--duration", "75",
            "--learn-from", $"127.0.0.1:{port}", "--prior", Prior, "--report", "0", "--no-watch", "--json", "--console", "none", "--log", log);
        try
        {
            Assert.That(controller.WaitForOutput("learning link: connected", TimeSpan.FromSeconds(30)), Is.True, controller.Log + "\n" + trainer.Log);
            Assert.That(controller.WaitForOutput("learning link: acting with the trainer's planner: H 8 N ", TimeSpan.FromSeconds(5)), Is.True, "the rig acts as the trainer's own planner would");
            Thread.Sleep(TimeSpan.FromSeconds(30));
            trainer.Interrupt(); // Ctrl-C: the session ends, the checkpoint is written
            Assert.That(trainer.WaitForExit(TimeSpan.FromSeconds(20)), Is.True, trainer.Log);
            Assert.That(trainer.Log, Does.Contain("session ended"), trainer.Log);
            Assert.That(controller.WaitForOutput("learning link: no trainer at", TimeSpan.FromSeconds(10)), Is.True, controller.Log);
            Thread.Sleep(TimeSpan.FromSeconds(8)); // the rig acts on, with the last Q
            Assert.That(controller.HasExited, Is.False, "the controller goes on without its trainer\n" + controller.Log);
        }
        finally
        {
            trainer.Dispose();
        }
        using var restarted = Serve(port);
        Assert.That(restarted.WaitForOutput("resumed ", TimeSpan.FromSeconds(30)), Is.True, "the restarted trainer resumes the run\n" + restarted.Log);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, controller.Log);
        Assert.That(controller.ExitCode, Is.Zero, controller.Log + "\n" + firmware.Log);

        var summary = JsonDocument.Parse(controller.Stdout.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
        TestContext.Out.WriteLine(summary.ToString());
        Assert.That(summary.GetProperty("Stop").GetString(), Is.EqualTo("DurationReached"), "armed from start to end");
        Assert.That(summary.GetProperty("DeadlineMisses").GetInt64(), Is.Zero);

        // The outage is the longest stretch between two Q swaps (every 2 s otherwise), read off the run's own log. Whether
        // learning swung the pendulum up and the rig held it through the outage is printed, not asserted: it did in 6 of 7
        // runs (offboard.sh, 5 seeds, swung up 6.1-7.3 s, upright 100 % while away: Trainer/results/online-pendulum), but in
        // one CI run it never swung up in 75 s (upright 17 of 203 steps of the outage), so asserting it would flake.
        var read = Mpq.Planning.Logging.TransitionLogReader.Read(log);
        var swapTimes = read.Events.Where(e => e.Text.StartsWith("q=swap", StringComparison.Ordinal)).Select(e => e.Time).ToArray();
        var (awayFrom, awayTo) = swapTimes.Zip(swapTimes.Skip(1)).MaxBy(p => p.Second - p.First);
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"no Q from {awayFrom:F1} to {awayTo:F1} s of the log ({swapTimes.Length} swaps)"));
        Assert.That(awayTo - awayFrom, Is.GreaterThan(10), "the trainer was away for more than 10 s");
        var away = read.Records.Where(t => t.Time > awayFrom + 1 && t.Time < awayTo - 1).ToArray();
        var upright = away.Count(t => t.Observation[0] > Math.Cos(0.2));
        TestContext.Out.WriteLine($"upright (within 0.2 rad) while the trainer was away: {upright} of {away.Length} steps");
        TestContext.Out.WriteLine($"swung up: {summary.GetProperty("Success").GetBoolean()} (after {summary.GetProperty("SecondsToSuccess")} s)");
        var line = controller.Log.Split('\n').Single(l => l.Contains("learning link: ") && l.Contains("transitions sent"));
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.Contain("2 connection(s)"));
        var sent = long.Parse(line[(line.IndexOf("learning link: ", StringComparison.Ordinal) + 15)..].Split(' ')[0], CultureInfo.InvariantCulture);
        var steps = summary.GetProperty("Steps").GetInt64();
        Assert.That(sent, Is.InRange(steps / 2, steps), "the transitions of the connected parts of the run reach a trainer");
        var swaps = summary.GetProperty("QSwaps").GetInt64();
        Assert.That(swaps, Is.GreaterThanOrEqualTo(10), "Q files from both trainers, every 2 s");
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"deadline misses {summary.GetProperty("DeadlineMisses").GetInt64()}, Q swaps {swaps}"));
    }
}
