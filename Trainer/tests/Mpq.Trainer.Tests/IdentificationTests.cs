using System.Text.Json;
using Mpq.Firmware.VirtualRig;
using Mpq.MuJoCo;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Tasks;
using Mpq.Tasks.Rigs;
using Mpq.Trainer.Identification;

namespace Mpq.Trainer.Tests;

/// <summary>
/// Identification judged on the firmware's virtual rig at true parameters the rig file does not know, with the
/// imperfections a real drive has (delay, a 2048-count encoder): the fit must land within the bounds, and refuse
/// data that cannot say.
/// </summary>
[TestFixture]
public class IdentificationTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"mpq-identify-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    // Five true-parameter sets: mass, length (the file's pendulum is 1 kg, 1 m), damping N·m·s/rad, Coulomb friction N·m,
    // actuation delay in 2 ms ticks, encoder counts per revolution (0: exact).
    [TestCase(1.25, 0.9, 0.05, 0.02, 1, 2048)]
    [TestCase(0.8, 1.1, 0.02, 0.05, 1, 2048)]
    [TestCase(1.5, 0.75, 0.1, 0.01, 2, 4096)]
    [TestCase(1.0, 1.0, 0.03, 0.03, 0, 1024)]
    [TestCase(1.1, 1.2, 0.08, 0.04, 1, 2048)]
    public void Fit_PendulumBehindTheVirtualRig_MassAndLengthWithin5PercentDampingAndFrictionWithin20(double mass, double length, double damping, double friction, int delayTicks, int counts)
    {
        var task = TaskCatalog.Create("pendulum");
        var log = Path.Combine(_dir, "excite.mpqlog");
        var rig = new VirtualRigOptions
        {
            TrueParameters = new Dictionary<string, double> { ["mass"] = mass, ["length"] = length },
            Damping = [damping],
            Friction = [friction],
            ActuationDelayTicks = delayTicks,
            CountsPerRevolution = counts,
        };
        VirtualRigRecording.Record(task, rig, new Excitation(ExcitationKind.Chirp, 0.8, task.ControlPeriod), 60, log);
        using var fit = new RigIdentifier(task, IdentificationData.Read(task, 2, [log]));
        var result = fit.Fit();
        TestContext.Out.Write(IdentifyCommand.Table(result));
        var estimate = result.Parameters.ToDictionary(p => p.Name, p => p.Estimate);
        Assert.That(estimate["mass"], Is.EqualTo(mass).Within(5).Percent);
        Assert.That(estimate["length"], Is.EqualTo(length).Within(5).Percent);
        Assert.That(estimate["damping_hinge"], Is.EqualTo(damping).Within(20).Percent);
        Assert.That(estimate["friction_hinge"], Is.EqualTo(friction).Within(20).Percent);
        Assert.That(result.RmsAfter[0], Is.LessThan(result.RmsBefore[0] / 5), "the estimate predicts the rig far better than the prior");
    }

    [Test]
    public void Fit_FurutaBehindTheVirtualRig_RecoversItsParameters()
    {
        var task = TaskCatalog.Create("furuta");
        var log = Path.Combine(_dir, "furuta.mpqlog");
        var truth = new Dictionary<string, double> { ["pendulum_mass"] = 0.024 * 1.2, ["pendulum_length"] = 0.129 * 0.9, ["arm_damping"] = 0.0004 };
        var rig = new VirtualRigOptions { TrueParameters = truth, Friction = [0.001, 0], ActuationDelayTicks = 1, CountsPerRevolution = 2048 };
        VirtualRigRecording.Record(task, rig, new Excitation(ExcitationKind.Chirp, 0.03, task.ControlPeriod, lowHz: 0.3, highHz: 4), 60, log);
        using var fit = new RigIdentifier(task, IdentificationData.Read(task, 4, [log]),
            new IdentifyOptions { Fit = ["pendulum_mass", "pendulum_length", "arm_damping", "friction_arm", "damping_pendulum", "delay"] });
        var result = fit.Fit();
        TestContext.Out.Write(IdentifyCommand.Table(result));
        var estimate = result.Parameters.ToDictionary(p => p.Name, p => p.Estimate);
        Assert.That(estimate["pendulum_mass"], Is.EqualTo(truth["pendulum_mass"]).Within(5).Percent);
        Assert.That(estimate["pendulum_length"], Is.EqualTo(truth["pendulum_length"]).Within(5).Percent);
        Assert.That(estimate["arm_damping"], Is.EqualTo(truth["arm_damping"]).Within(20).Percent);
        Assert.That(estimate["friction_arm"], Is.EqualTo(0.001).Within(20).Percent);
    }

    [Test]
    public void Fit_FreeSwingWithoutTorque_RefusesTheMassItCannotSee()
    {
        var task = TaskCatalog.Create("pendulum");
        var log = Path.Combine(_dir, "swing.mpqlog");
        VirtualRigRecording.Record(task, new VirtualRigOptions { Damping = [0.05] }, null, 30, log, initial: [1.0, 0]);
        using var fit = new RigIdentifier(task, IdentificationData.Read(task, 2, [log]));
        var refusal = Assert.Throws<InvalidDataException>(() => fit.Fit())!;
        Assert.That(refusal.Message, Does.Contain("do not excite").And.Contain("mass"));
        // Length alone is seen in a free swing (the period): the fit accepts it when asked for only what the data hold.
        using var lengthOnly = new RigIdentifier(task, IdentificationData.Read(task, 2, [log]), new IdentifyOptions { Fit = ["length"] });
        Assert.That(lengthOnly.Fit().Parameters[0].Estimate, Is.EqualTo(1.0).Within(2).Percent);
    }

    [Test]
    public void Write_IdentifiedRig_LoadsWithThePriorCentredAndTheJointsDampedAsFitted()
    {
        var task = (RigTask)TaskCatalog.Create("pendulum");
        var log = Path.Combine(_dir, "excite.mpqlog");
        var rig = new VirtualRigOptions { TrueParameters = new Dictionary<string, double> { ["mass"] = 1.25, ["length"] = 0.9 }, Damping = [0.05], Friction = [0.04] };
        VirtualRigRecording.Record(task, rig, new Excitation(ExcitationKind.Chirp, 0.8, task.ControlPeriod), 40, log);
        using var fit = new RigIdentifier(task, IdentificationData.Read(task, 2, [log]));
        var result = fit.Fit();
        var (written, leftOut) = IdentifiedRig.Write(task, result, Path.Combine(_dir, "identified"), [log]);
        Assert.That(leftOut, Is.Empty, "0.04 N·m is 2 % of the 2 N·m actuator: written");
        var means = TaskParameters.Means(written.Parameters);
        Assert.That(means[0], Is.EqualTo(result.Parameters[0].Estimate).Within(0.01).Percent, "the planner's model (the prior mean) is the estimate");
        Assert.That(means[1], Is.EqualTo(result.Parameters[1].Estimate).Within(0.01).Percent);
        Assert.That(written.Fingerprint, Is.Not.EqualTo(task.Fingerprint), "a new rig version: a Q of the old one is not silently taken for it");
        using var model = MjModel.FromXmlString(written.ModelXml);
        Assert.That(model.GetDofDamping(0), Is.EqualTo(result.Parameters[2].Estimate).Within(1e-4));
        Assert.That(model.GetDofFrictionLoss(0), Is.EqualTo(result.Parameters[3].Estimate).Within(1e-4));
        Assert.Throws<IOException>(() => IdentifiedRig.Write(task, result, Path.Combine(_dir, "identified"), [log]), "never over an existing rig");
    }

    private static (int Code, string Stdout, string Stderr) Trainer(params string[] args) => TrainCommandTests.Run(args);

    [Test]
    public void Identify_Command_PrintsTheTableWritesTheRigAndJson()
    {
        var task = TaskCatalog.Create("pendulum");
        var log = Path.Combine(_dir, "excite.mpqlog");
        VirtualRigRecording.Record(task, new VirtualRigOptions { TrueParameters = new Dictionary<string, double> { ["mass"] = 1.2, ["length"] = 0.95 }, Damping = [0.03], Friction = [0.02] },
            new Excitation(ExcitationKind.Chirp, 0.8, task.ControlPeriod), 30, log);
        var output = Path.Combine(_dir, "pendulum-identified");
        var (code, stdout, stderr) = Trainer("identify", "--task", "pendulum", log, "--out", output, "--json", "--slew-rate", "off");
        Assert.That(code, Is.EqualTo(0), stderr);
        TestContext.Out.WriteLine(stderr);
        Assert.That(stderr, Does.Contain("mass").And.Contain("one-step prediction error"));
        using var json = JsonDocument.Parse(stdout);
        var mass = json.RootElement.GetProperty("parameters").EnumerateArray().First(p => p.GetProperty("name").GetString() == "mass");
        Assert.That(mass.GetProperty("estimate").GetDouble(), Is.EqualTo(1.2).Within(5).Percent);
        Assert.That(File.Exists(Path.Combine(output, "rig.json")) && File.Exists(Path.Combine(output, "model.xml")));
        Assert.That(TaskParameters.Means(RigTask.Load(output).Parameters)[0], Is.EqualTo(mass.GetProperty("estimate").GetDouble()).Within(0.01).Percent);
    }

    [Test]
    public void Identify_BadLogs_OneClearErrorEachExit2()
    {
        var pendulum = TaskCatalog.Create("pendulum");
        var good = Path.Combine(_dir, "good.mpqlog");
        VirtualRigRecording.Record(pendulum, new VirtualRigOptions(), new Excitation(ExcitationKind.Chirp, 0.8, pendulum.ControlPeriod), 5, good);

        var furuta = Path.Combine(_dir, "furuta.mpqlog");
        VirtualRigRecording.Record(TaskCatalog.Create("furuta"), new VirtualRigOptions(), null, 1, furuta);

        var truncated = Path.Combine(_dir, "truncated.mpqlog");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 7)]);

        var still = Path.Combine(_dir, "still.mpqlog");
        VirtualRigRecording.Record(pendulum, new VirtualRigOptions(), null, 5, still); // hanging at rest: never moves

        var nan = Path.Combine(_dir, "nan.mpqlog");
        using (var log = TransitionLog.Create(nan, TransitionLogHeader.For(pendulum, 2, "rig")))
        {
            double[] o = [0, 0, 0];
            log.Add(new Transition(0, o, [0.1], 0, o, [3, 0.5], [3.02, double.NaN], false, [0.1]));
        }
        foreach (var (file, expected) in new[]
                 {
                     (furuta, "is a log of rig 'furuta', not of 'pendulum'"),
                     (truncated, "is truncated or damaged"),
                     (still, "never move"),
                     (nan, "not finite"),
                     (Path.Combine(_dir, "absent.mpqlog"), "does not exist"),
                 })
        {
            var (code, stdout, stderr) = Trainer("identify", "--task", "pendulum", file);
            Assert.That(code, Is.EqualTo(2), $"{Path.GetFileName(file)}: {stdout}{stderr}");
            Assert.That(stderr, Does.Contain(expected), Path.GetFileName(file));
            Assert.That(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), $"one line: {stderr}");
        }
        var (fitCode, _, fitErr) = Trainer("identify", "--task", "pendulum", good, "--fit", "mass,mass_typo");
        Assert.That(fitCode, Is.EqualTo(2));
        Assert.That(fitErr, Does.Contain("has no parameter 'mass_typo'").And.Contain("damping_hinge"));
    }
}
