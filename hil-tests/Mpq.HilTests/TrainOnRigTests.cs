using System.Globalization;
using Mpq.Controller.Onnx;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary><c>trainer train --rig</c>: MPQ collecting its episodes through the Firmware with the Controller's loop.</summary>
[TestFixture]
[Category("Hil")]
public class TrainOnRigTests
{
    [Test]
    public void TrainRig_TwoEpisodesOnTheVirtualRig_LearnsFromTheRigsTransitionsAndExportsALoadableQ()
    {
        using var firmware = new FirmwareProcess(60);
        var dir = Path.Combine(Path.GetTempPath(), $"mpq-rigrun-{Guid.NewGuid():N}");
        try
        {
            using var trainer = new DotnetProcess("trainer.dll", "train", "--rig", firmware.ControllerPort, "--out", dir,
                "--episodes", "2", "--episode-seconds", "4", "--updates", "40", "--threads", "2");
            Assert.That(trainer.WaitForExit(TimeSpan.FromSeconds(90)), Is.True, "train --rig did not finish\n" + trainer.Log);
            Assert.That(trainer.ExitCode, Is.Zero, trainer.Log + "\n" + firmware.Log);

            var rows = File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
            Assert.That(rows, Has.Length.EqualTo(2));
            var steps = rows.Select(r => int.Parse(r[6], CultureInfo.InvariantCulture)).ToArray();
            Assert.That(steps, Is.All.GreaterThan(50), "a 4 s episode at 20 Hz is about 80 armed steps");
            Assert.That(rows.Select(r => long.Parse(r[4], CultureInfo.InvariantCulture)), Is.EqualTo(new long[] { 40, 80 }), "40 updates after each episode");
            Assert.That(rows.Select(r => double.Parse(r[5], CultureInfo.InvariantCulture)), Is.All.Matches<double>(double.IsFinite), "the loss of each episode's updates");

            var log = TransitionLogReader.Read(Path.Combine(dir, "rig.mpqlog"));
            Assert.That(log.Header.Source, Is.EqualTo("rig"));
            Assert.That(log.Records, Has.Count.EqualTo(steps.Sum()), "every armed step is one transition, all of them logged");
            Assert.That(log.Records.Select(r => Math.Abs(r.Action[0])), Is.All.LessThanOrEqualTo(1.0f + 1e-6f), "the data holds what the rig applied: its torque limit is 1");

            using var q = OnnxTerminalCost.Load(Path.Combine(dir, "q.onnx"), new PendulumSwingup());
            Assert.That(q.Metadata["mpq.run_id"], Is.EqualTo("pendulum-mpq-h8-rig-seed1"));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
