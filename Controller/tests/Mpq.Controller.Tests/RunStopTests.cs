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
}
