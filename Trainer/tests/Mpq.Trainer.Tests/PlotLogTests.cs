using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class PlotLogTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"mpq-plot-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Plot_RigLogWithADisarmedStretch_BrokenThereAndWritesThePng()
    {
        var path = Path.Combine(_dir, "rig.mpqlog");
        using (var log = TransitionLog.Create(path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig",
                   new Dictionary<string, string> { ["torque_limit"] = "1" })))
        {
            // Steps 0-9, a disarmed stretch (steps 10-19 are not live, so not logged), then 20-29; θ wraps at ±π on the way.
            foreach (var step in Enumerable.Range(0, 10).Concat(Enumerable.Range(20, 10)))
            {
                var theta = 3.0 + 0.05 * step; // passes π: the observation wraps to −π
                double[] o = [Math.Cos(theta), Math.Sin(theta), 1];
                log.Add(new Transition(step, o, [0.5], 1, o, [theta, 1], [theta, 1], false, [0.4]));
                if (step == 9)
                {
                    log.Event(10, "disarmed");
                }
            }
        }
        var png = Path.Combine(_dir, "rig.png");
        var stretches = PlotLogCommand.Plot(TransitionLogReader.Read(path), png);
        Assert.That(stretches, Is.EqualTo(2), "a gap where the rig was not live, not a line joining the two stretches");
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(10_000));
    }

    // Issue 29: the dashed limits stayed at ±1 after a live 'torque_limit=0.9'.
    [Test]
    public void LimitSteps_LiveTorqueLimitChange_MovesTheLimitFromThenOn()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig", new Dictionary<string, string> { ["torque_limit"] = "1" });
        var steps = PlotLogCommand.LimitSteps(header, new PendulumSwingup(), [(2.0, "armed"), (5.0, "torque_limit=0.9"), (7.0, "torque_limit=nan")]);
        Assert.That(steps, Has.Count.EqualTo(2), "one change; a value that is not a positive number moves nothing");
        Assert.That(steps[0].Limits, Is.EquivalentTo(new[] { 1.0, -1.0 }));
        Assert.That((steps[1].From, steps[1].Limits), Is.EqualTo((5.0, new[] { 0.9, -0.9 })));
    }

    [Test]
    public void Plot_ManyEvents_AllDrawn()
    {
        var path = Path.Combine(_dir, "events.mpqlog");
        using (var log = TransitionLog.Create(path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig",
                   new Dictionary<string, string> { ["torque_limit"] = "1" })))
        {
            for (var step = 0; step < 100; step++)
            {
                double[] o = [1, 0, 0];
                log.Add(new Transition(step, o, [0.5], 1, o, [0, 0], [0, 0], false, [0.4]));
                if (step % 5 == 0)
                {
                    log.Event(step, step == 50 ? "torque_limit=0.9" : $"event {step}");
                }
            }
        }
        var png = Path.Combine(_dir, "events.png");
        PlotLogCommand.Plot(TransitionLogReader.Read(path), png);
        Assert.That(new FileInfo(png).Length, Is.GreaterThan(10_000));
        TestContext.AddTestAttachment(png, "20 events, a limit change at step 50");
    }
}
