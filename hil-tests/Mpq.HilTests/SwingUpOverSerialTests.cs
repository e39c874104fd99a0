using System.Diagnostics;
using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Tasks;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>
/// The whole bridge: the firmware as its own process driving the virtual pendulum (true parameters) on one
/// end of a socat pty pair, the controller's loop with the trained Q on the other.
/// </summary>
[TestFixture]
[Category("Hil")]
public class SwingUpOverSerialTests
{
    [Test]
    public void LearnedQ_OverARealPty_SwingsUpAndHolds()
    {
        using var pair = SocatPair.Create();
        var firmwareDll = Path.Combine(AppContext.BaseDirectory, "firmware.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { firmwareDll, "--port", pair.PathA, "--driver", "virtual:pendulum", "--duration", "30" })
        {
            info.ArgumentList.Add(a);
        }
        using var firmware = Process.Start(info)!;
        var firmwareLog = new System.Text.StringBuilder();
        firmware.ErrorDataReceived += (_, e) => { lock (firmwareLog) { firmwareLog.AppendLine(e.Data); } };
        firmware.BeginErrorReadLine();
        try
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(root!.FullName, "Mpq.slnx")))
            {
                root = root.Parent;
            }
            var task = new PendulumSwingup();
            using var q = OnnxTerminalCost.Load(Path.Combine(root.FullName, "Trainer", "results", "pendulum-mpq-h8", "q.onnx"), task);
            using var transport = TtyTransport.Open(pair.PathB);
            using var client = new RigClient(transport, _ => { });
            Thread.Sleep(1500); // the firmware process starting up
            var ack = client.Handshake(TimeSpan.FromSeconds(10));
            using var pool = new WorkerPool(1);
            var settings = new MppiSettings { Samples = 256, Horizon = 8, Lambda = task.PlannerDefaults.Lambda, NoiseStd = [task.PlannerDefaults.NoiseStd], Gamma = q.TrainedGamma ?? 0.99, Seed = 3 };
            using var runner = new RigRunner(task, settings, pool, q, client, ack, log: null);
            var summary = runner.Run(TimeSpan.FromSeconds(10), arm: true, CancellationToken.None);
            TestContext.Out.WriteLine(summary);
            Assert.That(summary.StopReason, Is.EqualTo("duration reached"), firmwareLog.ToString());
            Assert.That(summary.SecondsToUpright, Is.Not.Null, "the pendulum was never held upright for 1 s");
            Assert.That(summary.UprightAtEnd, Is.True, "upright at the end of the run");
            Assert.That(summary.Steps, Is.GreaterThan(150));
        }
        catch (Exception e) when (e is not AssertionException)
        {
            throw new InvalidOperationException($"{e.Message}\nfirmware log:\n{firmwareLog}", e);
        }
        finally
        {
            if (!firmware.HasExited)
            {
                firmware.Kill(entireProcessTree: true);
                firmware.WaitForExit(5000);
            }
        }
    }
}
