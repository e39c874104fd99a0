using System.Diagnostics;
using System.Globalization;
using Mpq.Protocol.Messages;

namespace Mpq.HilTests;

/// <summary>
/// Issue 25, case 1 and 5: the controller distrusts the rig. A <see cref="ScriptedRig"/> keeps the protocol, is armed
/// by a real <c>controller run</c> process over a socat pty pair, then breaks the protocol: the controller must stop
/// commanding torque within its State timeout, send a Disarm and end with exit 3, naming what the rig did.
/// </summary>
[TestFixture]
[Category("Hil")]
public class RigDistrustTests
{
    /// <summary>The control period of the pendulum (20 Hz).</summary>
    private const double PeriodMs = 50;

    /// <summary>The State timeout at 20 Hz: the rig watchdog the controller asks for, 2.5 periods.</summary>
    private const double StateTimeoutMs = 125;

    /// <summary>The documented bound: ⌊timeout / period⌋ + 1 steps may act on the last fresh State, one more if a step overran.</summary>
    private static readonly int MostTorqueCommands = (int)Math.Floor(StateTimeoutMs / PeriodMs) + 1 + 1;

    private static DotnetProcess StartController(string port, double seconds = 30) =>
        new("controller.dll", ["run", "--port", port, "--arm", "-H", "8", "-N", "64", "-K", "1", "--duration", seconds.ToString(CultureInfo.InvariantCulture),
            "--report", "0", "--no-watch", "--json", "--console", "none"]);

    [TestCase(Misbehaviour.Silent, "no State from the rig for")]
    [TestCase(Misbehaviour.ConsoleText, "no State from the rig for")]
    [TestCase(Misbehaviour.ArmByteNine, "frame(s) from it were rejected meanwhile")]
    [TestCase(Misbehaviour.RepeatsItself, "no State from the rig for")]
    [TestCase(Misbehaviour.TwoJoints, "sent a State with 2 joint(s) and 1 actuator(s); its handshake said 1 and 1")]
    [TestCase(Misbehaviour.NoJoints, "sent a State with 0 joint(s) and 1 actuator(s); its handshake said 1 and 1")]
    [TestCase(Misbehaviour.NaNPosition, "sent a State with a position, velocity or torque that is not a finite number")]
    public void RigBreaksTheProtocolWhileArmed_TorqueStopsWithinTheStateTimeout_DisarmSent_Exit3(Misbehaviour how, string said)
    {
        using var rig = new ScriptedRig();
        using var controller = StartController(rig.ControllerPort);
        Assert.That(rig.WaitArmedFor(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), Is.True, "the controller armed the rig\n" + controller.Log);
        Assert.That(rig.CommandsSnapshot().Count(c => c.Torque != 0), Is.GreaterThan(5), "torque was commanded while the rig kept the protocol\n" + controller.Log);

        rig.Misbehave(how);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "the controller ended the run\n" + controller.Log);
        var lastGood = rig.LastGoodState;
        var torqueAfter = rig.CommandsSnapshot().Where(c => c.Timestamp > lastGood && c.Torque != 0).ToArray();
        var latestMs = torqueAfter.Length == 0 ? 0 : (torqueAfter[^1].Timestamp - lastGood) * 1000.0 / Stopwatch.Frequency;
        var report = string.Create(CultureInfo.InvariantCulture,
            $"{how}: {torqueAfter.Length} Command(s) with torque after the last fresh State, the latest {latestMs:F1} ms after it (State timeout {StateTimeoutMs} ms, period {PeriodMs} ms)");
        TestContext.Out.WriteLine(report);

        Assert.That(controller.ExitCode, Is.EqualTo(3), "a safety stop\n" + controller.Log);
        Assert.That(controller.Log, Does.Contain(said), "says what the rig did\n" + controller.Log);
        Assert.That(torqueAfter.Length, Is.LessThanOrEqualTo(MostTorqueCommands), report + "\n" + controller.Log);
        Assert.That(latestMs, Is.LessThanOrEqualTo(StateTimeoutMs + PeriodMs), report + "\n" + controller.Log);
        Assert.That(rig.EventsSnapshot().Any(e => e.Type == MessageType.Disarm && e.Timestamp > lastGood), Is.True, "a Disarm was sent\n" + controller.Log);
    }

    [TestCase(float.NaN, "NaN")]
    [TestCase(-1f, "-1")]
    [TestCase(0f, "0")]
    public void HelloAckTorqueLimitNotFinitePositive_RefusedNamingTheRig_NeverArmed_Exit3(float limit, string shown)
    {
        using var rig = new ScriptedRig(torqueLimit: limit, name: "liar");
        using var controller = StartController(rig.ControllerPort);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "the controller ended\n" + controller.Log);
        Assert.That(controller.ExitCode, Is.EqualTo(3), controller.Log);
        Assert.That(controller.Log, Does.Contain($"error: rig 'liar' reports a torque limit of {shown} for actuator 0"), controller.Log);
        Assert.That(rig.EventsSnapshot().Select(e => e.Type), Has.No.Member(MessageType.Arm), "never asked to arm");
        Assert.That(rig.CommandsSnapshot().Where(c => c.Torque != 0), Is.Empty, "never commanded torque");
    }

    [Test]
    public void RigLogWithEscapeSequences_ShownEscaped_NeverReachesTheTerminalRaw()
    {
        using var rig = new ScriptedRig(name: "rig\u001b]0;owned\u0007");
        using var controller = StartController(rig.ControllerPort, seconds: 3);
        Assert.That(rig.WaitArmedFor(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)), Is.True, controller.Log);
        rig.SendLog("\u001b[2J\u001b[Hall good\rmotor on fire");
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, controller.Log);
        Assert.That(controller.Log, Does.Contain(@"rig: \x1b[2J\x1b[Hall good\x0dmotor on fire"), controller.Log);
        Assert.That(controller.Log, Does.Contain(@"rig 'rig\x1b]0;owned\x07'"), controller.Log);
        Assert.That(controller.Log, Does.Not.Contain("\u001b"), "no escape byte reaches the terminal");
    }
}
