using Mpq.Planning.Control;

namespace Mpq.Controller.Tests;

[TestFixture]
public class RunStopTests
{
    [TestCase(RunStop.DurationReached, 0)]
    [TestCase(RunStop.StoppedByUser, 0)]
    [TestCase(RunStop.NoState, 3)]
    [TestCase(RunStop.ArmRefused, 3)]
    [TestCase(RunStop.LeftArmedState, 3)]
    [TestCase(RunStop.LinkLost, 3)]
    [TestCase(RunStop.RigBrokeProtocol, 3)]
    public void ExitCode_OnlyARunThatEndedAsAskedIsZero(RunStop stop, int code) =>
        Assert.That(stop.ExitCode(), Is.EqualTo(code));

    [Test]
    public void ExitCode_EveryStopHasOne() =>
        Assert.That(Enum.GetValues<RunStop>().Select(s => s.ExitCode()), Is.All.AnyOf(0, 3));

    // Issue 29: on a busy machine the demo's first run ended with a watchdog trip after 17 steps and said nothing
    // about why or what to do.
    [Test]
    public void LeftArmedState_WatchdogTrip_SaysWhatToDo()
    {
        Assert.That(Mpq.Controller.Rig.RigPlant.Advice(Mpq.Protocol.Messages.FaultBits.WatchdogTimeout),
            Does.Contain("watchdog saw no command in time").And.Contain("--watchdog-ms"));
        Assert.That(Mpq.Controller.Rig.RigPlant.Advice(Mpq.Protocol.Messages.FaultBits.EStop), Is.Empty, "an estop needs no advice: someone pressed it");
    }
}
