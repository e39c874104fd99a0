using System.Globalization;

namespace Mpq.HilTests;

/// <summary>
/// Issue 26: a rig nobody wrote C# for. A short pendulum (0.5 m, g = 9.81, damped, a 1 N·m motor, physics at 5 steps per
/// control period) is described in a temporary folder by an MJCF and a rig.json alone, then simulated, trained on and run
/// behind the Firmware's virtual rig by the three programs as a user runs them.
/// </summary>
[TestFixture]
[Category("Hil")]
public class NewRigByFilesTests
{
    private const string Model = """
        <mujoco model="short-pendulum">
          <option timestep="0.01" gravity="0 0 -9.81" integrator="Euler"><flag contact="disable"/></option>
          <worldbody>
            <body name="arm">
              <joint name="pivot" type="hinge" axis="0 1 0" damping="0.05"/>
              <inertial pos="0 0 0.25" mass="0.8" diaginertia="0.0166667 0.0166667 0.0001"/>
              <geom name="bar" type="capsule" pos="0 0 0.25" size="0.02 0.25" mass="0"/>
            </body>
          </worldbody>
          <actuator><motor name="drive" joint="pivot" gear="1" ctrllimited="true" ctrlrange="-1 1"/></actuator>
        </mujoco>
        """;

    private const string Rig = """
        {
          "name": "short-pendulum",
          "description": "A 0.5 m pendulum on a damped pivot, described by files only (test).",
          "model": "model.xml",
          "timing": { "control_period": 0.05, "physics_substeps": 5, "episode_steps": 100 },
          "observation": [
            { "name": "cos_phi", "joint": "pivot", "of": "cos" },
            { "name": "sin_phi", "joint": "pivot", "of": "sin" },
            { "name": "phi_dot", "joint": "pivot", "of": "velocity", "unit": "rad/s" }
          ],
          "actions": [ { "actuator": "drive", "unit": "N·m" } ],
          "cost": [ { "angle": "pivot", "weight": 1 }, { "velocity": "pivot", "weight": 0.05 }, { "action": "drive", "weight": 0.01 } ],
          "success": { "all": [ { "angle": "pivot", "within": 0.3 } ], "window_steps": 20 },
          "start": { "pivot": { "position": [-3.14159, 3.14159], "velocity": [-0.5, 0.5] } },
          "rest": { "pivot": 3.141592653589793 },
          "parameters": [
            { "name": "mass", "true": 0.8, "prior": { "bias": 1.25, "sigma": 0.1 },
              "scales": [ { "body": "arm", "field": "mass" }, { "body": "arm", "field": "inertia" } ] }
          ],
          "planner": { "lambda": 1, "noise_std": 1, "step_size": 1, "gamma": 1, "samples": 256, "iterations": 1 },
          "learner": "ObservationScale=1/1/0.1"
        }
        """;

    [Test]
    public void ARigDescribedByFilesAlone_SimTrainAndTheVirtualRigOverAPty()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-new-rig-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model.xml"), Model);
            File.WriteAllText(Path.Combine(dir, "rig.json"), Rig);

            using (var sim = new DotnetProcess("controller.dll", ["sim", "--task", dir, "-H", "24", "--episodes", "2", "--model-bias", "true", "--seed", "1"]))
            {
                Assert.That(sim.WaitForExit(TimeSpan.FromSeconds(120)), Is.True, sim.Log);
                Assert.That(sim.ExitCode, Is.Zero, sim.Log);
                Assert.That(sim.Log, Does.Contain("short-pendulum: H=24"), sim.Log);
            }

            var run = Path.Combine(dir, "run");
            using (var train = new DotnetProcess("trainer.dll", ["train", "--task", dir, "--algo", "mpq", "-H", "4", "--episodes", "1", "--threads", "2",
                "--set", "Samples=32,TargetSamples=16,Warmup=20", "--out", run]))
            {
                Assert.That(train.WaitForExit(TimeSpan.FromSeconds(300)), Is.True, train.Log);
                Assert.That(train.ExitCode, Is.Zero, train.Log);
            }
            var q = Path.Combine(run, "q.onnx");
            Assert.That(File.Exists(q), Is.True, "a Q for the new rig");

            using var firmware = new FirmwareProcess(30, null, "--driver", $"virtual:{dir}", "--true", "friction_0=0.01");
            using var controller = new DotnetProcess("controller.dll", ["run", "--port", firmware.ControllerPort, "--task", dir, "--q", q, "--arm", "-H", "4", "-N", "64", "-K", "1",
                "--duration", "3", "--report", "0", "--no-watch", "--console", "none", "--json"]);
            Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, controller.Log);
            Assert.That(controller.ExitCode, Is.Zero, controller.Log + "\nfirmware:\n" + firmware.Log);
            var summary = FaultInjectionTests.SummaryOf(controller);
            Assert.That(summary.GetProperty("StopReason").GetString(), Is.EqualTo("duration reached"));
            Assert.That(summary.GetProperty("Steps").GetInt64(), Is.GreaterThan(40), "20 Hz for 3 s on the new rig");
            Assert.That(firmware.Log, Does.Contain("virtual short-pendulum").And.Contain("Coulomb friction 0.01 N·m"));
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"new rig over a pty: {summary}"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The QUBE-Servo 2's motor (kt 0.042 N·m/A, 8.4 Ω, 10 V), a little dry friction on the arm, 2 ms delay.</summary>
    internal const string QubeImperfections = "motor_kt=0.042,motor_ohm=8.4,motor_volts=10,friction_0=0.001,delay_ms=2";

    // Issue 26: the second rig, described by files only, swung up over a pty against the virtual rig with a motor whose
    // torque falls with speed, friction and delay, none of which the controller's model has.
    [Test]
    public void Furuta_OverAPty_WithAMotorFrictionAndDelay_SwingsUpAndBalances()
    {
        using var firmware = new FirmwareProcess(30, null, "--driver", "virtual:furuta", "--true", QubeImperfections);
        using var controller = new DotnetProcess("controller.dll", ["run", "--port", firmware.ControllerPort, "--task", "furuta", "--arm", "-H", "20",
            "--duration", "10", "--report", "0", "--no-watch", "--console", "none", "--json"]);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, controller.Log);
        TestContext.Out.WriteLine(controller.Stdout);
        Assert.That(controller.ExitCode, Is.Zero, controller.Log + "\nfirmware:\n" + firmware.Log);
        Assert.That(firmware.Log, Does.Contain("virtual furuta").And.Contain("motor kt 0.042 N·m/A"));
        var summary = FaultInjectionTests.SummaryOf(controller);
        Assert.That(summary.GetProperty("StopReason").GetString(), Is.EqualTo("duration reached"));
        Assert.That(summary.GetProperty("SecondsToSuccess").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Number), "swung up and balanced for a second\n" + controller.Log);
    }
}
