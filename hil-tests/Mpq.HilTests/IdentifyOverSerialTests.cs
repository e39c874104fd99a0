using System.Globalization;
using System.Text.Json;
using Mpq.Planning.Logging;

namespace Mpq.HilTests;

/// <summary>
/// Issue 28 as a user does it: the firmware's virtual pendulum at true parameters the rig file does not know, with dry
/// friction, a 2 ms actuation delay and a 2048-count encoder; an excitation run logged over a pty by the controller
/// (armed, open loop, every safety rule in force), a disarmed run logged too, then trainer identify on the log.
/// </summary>
[TestFixture]
[Category("Hil")]
public class IdentifyOverSerialTests
{
    // A rig that needs bring-up (as hardware does) refuses a controller's Arm until it passed, and the controller says why.
    [Test]
    public void RigWithoutBringUp_RefusesTheControllersArm_NamingBringUp()
    {
        using var firmware = new FirmwareProcess(30, null, "--driver", "virtual:pendulum", "--require-bring-up");
        using var run = new DotnetProcess("controller.dll", ["run", "--port", firmware.ControllerPort, "--task", "pendulum", "--arm",
            "--duration", "3", "--report", "0", "--no-watch", "--console", "none"]);
        Assert.That(run.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, run.Log);
        Assert.That(run.ExitCode, Is.Not.Zero, run.Log);
        Assert.That(run.Log, Does.Contain("bring-up not done").And.Contain("zero"), run.Log + "\nfirmware:\n" + firmware.Log);
    }

    [Test]
    public void ExcitationLoggedOverAPty_IdentifiesTheVirtualRigsTrueParameters()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-identify-hil-").FullName;
        try
        {
            var excite = Path.Combine(dir, "excite.mpqlog");
            var still = Path.Combine(dir, "disarmed.mpqlog");
            using (var firmware = new FirmwareProcess(120, null, "--driver", "virtual:pendulum",
                       "--true", "mass=1.25,length=0.9,damping_0=0.05,friction_0=0.02,delay_ms=2,counts_per_rev=2048"))
            {
                using (var disarmed = new DotnetProcess("controller.dll", ["run", "--port", firmware.ControllerPort, "--task", "pendulum",
                           "--duration", "2", "--log", still, "--report", "0", "--no-watch", "--console", "none"]))
                {
                    Assert.That(disarmed.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, disarmed.Log);
                    Assert.That(disarmed.ExitCode, Is.Zero, disarmed.Log + "\nfirmware:\n" + firmware.Log);
                }
                using var run = new DotnetProcess("controller.dll", ["run", "--port", firmware.ControllerPort, "--task", "pendulum", "--arm",
                    "--excite", "chirp:0.8", "--duration", "45", "--log", excite, "--report", "0", "--no-watch", "--console", "none", "--json"]);
                Assert.That(run.WaitForExit(TimeSpan.FromSeconds(120)), Is.True, run.Log);
                Assert.That(run.ExitCode, Is.Zero, run.Log + "\nfirmware:\n" + firmware.Log);
                Assert.That(run.Log, Does.Contain("excitation: chirp 0.8"));
            }

            var disarmedLog = TransitionLogReader.Read(still);
            Assert.That(disarmedLog.Records, Has.Count.GreaterThan(30), "a run without --arm logs its steps (20 Hz for 2 s)");
            Assert.That(disarmedLog.Records.Select(r => r.Action[0]), Is.All.EqualTo(0f), "with the torque the disarmed rig applied");

            var excitedLog = TransitionLogReader.Read(excite);
            Assert.That(excitedLog.Records.Max(r => Math.Abs(r.Measured![0])), Is.GreaterThan(0.7f).And.LessThanOrEqualTo(0.8f + 1e-6f), "the chirp reached the rig unclipped");

            using var identify = new DotnetProcess("trainer.dll", ["identify", "--task", "pendulum", excite, "--json"]);
            Assert.That(identify.WaitForExit(TimeSpan.FromSeconds(300)), Is.True, identify.Log);
            TestContext.Out.WriteLine(identify.Log);
            Assert.That(identify.ExitCode, Is.Zero, identify.Log);
            using var json = JsonDocument.Parse(identify.Stdout);
            var estimate = json.RootElement.GetProperty("parameters").EnumerateArray()
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("estimate").GetDouble());
            Assert.That(estimate["mass"], Is.EqualTo(1.25).Within(5).Percent);
            Assert.That(estimate["length"], Is.EqualTo(0.9).Within(5).Percent);
            Assert.That(estimate["damping_hinge"], Is.EqualTo(0.05).Within(20).Percent);
            Assert.That(estimate["delay"], Is.GreaterThan(0.0015).And.LessThan(0.01), "the 2 ms the rig adds, and the line's own");
            Assert.That(estimate["friction_hinge"], Is.EqualTo(0.02).Within(20).Percent);
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"over a pty: mass {estimate["mass"]:G4}, length {estimate["length"]:G4}, damping {estimate["damping_hinge"]:G3}, friction {estimate["friction_hinge"]:G3}, delay {estimate["delay"] * 1000:G3} ms"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
