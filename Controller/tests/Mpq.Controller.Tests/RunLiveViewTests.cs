using Mpq.Controller.Commands;

namespace Mpq.Controller.Tests;

/// <summary>
/// The live view's layout on a small terminal (issue 29: at 80×24 long messages wrapped, the view grew past the screen
/// and the angle, torque and arm rows scrolled off after about 15 s).
/// </summary>
[TestFixture]
public class RunLiveViewTests
{
    [Test]
    public void MessageRows_80x24_OneJointPendulum_AllRowsFit()
    {
        var rows = RunLiveView.MessageRows(24, joints: 1, actuators: 1);
        // Title, top and bottom border, a separator line: 5; joint, torque, arm, link, planner: 5; then messages.
        Assert.That(5 + 5 + rows, Is.LessThanOrEqualTo(24));
        Assert.That(rows, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void MessageRows_TinyTerminal_StillOneMessage() =>
        Assert.That(RunLiveView.MessageRows(8, joints: 2, actuators: 2), Is.EqualTo(1));

    [TestCase("short", 10, "short")]
    [TestCase("learning link: 1198 transitions sent", 12, "learning li…")]
    [TestCase("abc", 1, "a")]
    public void Fit_CutsWithAnEllipsis_NeverWraps(string text, int width, string expected)
    {
        Assert.That(RunLiveView.Fit(text, width), Is.EqualTo(expected));
        Assert.That(RunLiveView.Fit(text, width).Length, Is.LessThanOrEqualTo(width));
    }
}
