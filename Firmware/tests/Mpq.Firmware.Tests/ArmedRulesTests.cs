using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Tests;

/// <summary>The armed rule table, as a pure function.</summary>
[TestFixture]
public class ArmedParameterRulesTests
{
    [TestCase("torque_limit", 1.0, 2.0)]
    [TestCase("slew_rate", 100.0, 1e6)]
    [TestCase("watchdog_ms", 50.0, 125.0)]
    [TestCase("command_max_age_ms", 500.0, 1000.0)]
    [TestCase("link_timeout_ms", 1000.0, 5000.0)]
    [TestCase("vel_limit_0", 50.0, 60.0)]
    [TestCase("pos_max_0", 3.0, 4.0)]
    [TestCase("pos_min_0", -3.0, -4.0)]
    [TestCase("cal_offset_0", 0.0, 500.0)]
    [TestCase("cal_offset_0", 0.0, -0.1)]
    [TestCase("loop_rate_hz", 500.0, 250.0)]
    [TestCase("loop_rate_hz", 500.0, 1000.0)]
    public void Refusal_LooseningOrMovingWhileArmed_Refused(string name, double current, double proposed) =>
        Assert.That(ArmedParameterRules.Refusal(name, current, proposed), Does.StartWith(name).And.Contain("armed"));

    [TestCase("torque_limit", 1.0, 0.5)]
    [TestCase("slew_rate", 1e6, 50.0)]
    [TestCase("watchdog_ms", 125.0, 50.0)]
    [TestCase("command_max_age_ms", 500.0, 100.0)]
    [TestCase("link_timeout_ms", 1000.0, 200.0)]
    [TestCase("vel_limit_0", 50.0, 10.0)]
    [TestCase("pos_max_0", 3.0, 2.0)]
    [TestCase("pos_min_0", -3.0, -2.0)]
    [TestCase("state_stream_hz", 500.0, 100.0)]
    [TestCase("state_stream_hz", 100.0, 500.0)]
    [TestCase("text_stream", 0.0, 1.0)]
    [TestCase("cal_offset_0", 0.25, 0.25)]
    public void Refusal_TighteningOrTelemetry_Allowed(string name, double current, double proposed) =>
        Assert.That(ArmedParameterRules.Refusal(name, current, proposed), Is.Null);

    [Test]
    public void EveryFirmwareParameter_HasADeliberateRule()
    {
        // A parameter added later is frozen while armed until someone writes its rule: never loose by default.
        var table = FirmwareParameters.Create(1, 2);
        foreach (var d in table.Definitions.Where(d => !d.ReadOnly))
        {
            var up = ArmedParameterRules.Refusal(d.Name, d.Min, d.Max);
            var down = ArmedParameterRules.Refusal(d.Name, d.Max, d.Min);
            Assert.That(up is null || down is null || d.Name.StartsWith("cal_offset_", StringComparison.Ordinal) || d.Name == FirmwareParameters.LoopRateHz || d.Name == FirmwareParameters.BringUpDone,
                Is.True, $"{d.Name}: refused both ways without being on the frozen list");
        }
    }
}

/// <summary>Issue 13, cases 2-4, through the real port: an armed rig refuses what could hurt it.</summary>
[TestFixture]
[Category("Hil")]
public class FirmwareSafetyRulesTests
{
    private static void ArmAndCommand(FirmwareHarness h)
    {
        h.Handshake();
        h.Send(new Arm());
        var s = h.NextState(x => x.Arm == RigArmState.Armed);
        var command = new Command { Actuators = 1, ValidityMilliseconds = 200 };
        command.Torque[0] = 0.5f;
        command.AnswersState = s.Sequence;
        h.Send(command);
    }

    [Test]
    public void BinaryParamSet_WhileArmed_LooseningRefusedWithStatus6_TighteningApplied()
    {
        using var h = new FirmwareHarness();
        ArmAndCommand(h);
        foreach (var (name, value) in new[] { (FirmwareParameters.TorqueLimit, 2.0), (FirmwareParameters.CalibrationOffset(0), 500.0), (FirmwareParameters.WatchdogMs, 125.0) })
        {
            var before = h.Parameters.Get(name);
            h.Send(new ParamSet { Name = name, Value = value });
            var answer = h.WaitFor<ParamValue>();
            Assert.That((answer.Status, answer.Value), Is.EqualTo((ParamStatus.NotAllowedNow, before)), name);
            Assert.That(h.Parameters.Get(name), Is.EqualTo(before), name);
        }
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Armed), "a refused set does not stop the rig");
        h.Send(new ParamSet { Name = FirmwareParameters.TorqueLimit, Value = 0.4 });
        Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.Ok));
        Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.4), "lowering a limit is allowed at once");
    }

    [Test]
    public void ConsoleLineInsideALogFrame_NeverRuns_InEitherMode()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Send(new Log { Level = LogLevel.Info, Text = "\rset torque_limit 0.42\r" });
        h.Type("get torque_limit");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("torque_limit = 1 "));
        Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
        h.Handshake();
        h.Send(new Log { Level = LogLevel.Info, Text = "\rconsole\r" });
        Thread.Sleep(100);
        Assert.That(h.Link.Mode, Is.EqualTo(PortMode.Binary), "a Log frame saying 'console' is a frame, not the escape");
    }

    [Test]
    public void Console_ClearAfterEstop_NeedsConfirmation_AndStaysDisarmed()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Type("estop");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("clear estop"));
        h.Type("clear");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: estop is latched").And.Contain("clear estop"));
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.EStopped));
        h.Type("clear estop");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok cleared"));
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Disarmed));
    }

    [Test]
    public void ConsoleSet_WhileArmedByTheConsole_LooseningRefused()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        ArmAndCommand(h); // armed over the binary link; take the console back would disarm, so check the table's guard directly
        Assert.That(h.Parameters.TrySet(FirmwareParameters.TorqueLimit, 2, out var why), Is.EqualTo(ParamStatus.NotAllowedNow));
        Assert.That(why, Does.Contain("torque_limit can only be lowered while armed"));
    }

    [Test]
    public void SessionWatchdog_NotSaved_AndUndoneWhenTheSessionEnds()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mpq-params-{Guid.NewGuid():N}.json");
        try
        {
            using var h = new FirmwareHarness(paramsPath: path);
            h.ReadTextUntil("mpq> ");
            h.Type("set slew_rate 50");
            h.ReadTextUntil("mpq> ");
            h.Handshake();
            h.Send(new ParamSet { Name = FirmwareParameters.WatchdogMs, Value = 125 });
            Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.Ok));
            Assert.That(h.Parameters.Get(FirmwareParameters.WatchdogMs), Is.EqualTo(125));
            Thread.Sleep(500); // past the save debounce
            var saved = File.ReadAllText(path);
            Assert.That(saved, Does.Contain("\"watchdog_ms\": 50").And.Contain("\"slew_rate\": 50"), "the console's change is saved, the session's is not");
            h.Type("console");
            h.ReadTextUntil("mpq> ");
            Assert.That(h.Parameters.Get(FirmwareParameters.WatchdogMs), Is.EqualTo(50), "the session's watchdog lasted for the session only");
            Assert.That(h.Parameters.Get(FirmwareParameters.SlewRate), Is.EqualTo(50));
            Assert.That(h.Link.Parameters.Saves, Is.EqualTo(1), "one debounced save for one change, on the housekeeping thread");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void MalformedParamRequest_GetsAnAnswer()
    {
        using var h = new FirmwareHarness();
        h.Handshake();
        var raw = new byte[6 + 32 + 4];
        raw[0] = 1;
        raw[1] = (byte)MessageType.ParamGet;
        raw[4] = 32;
        raw[6] = 200; // name length out of range
        var wire = new byte[600];
        var n = Mpq.Protocol.Framing.FrameWriter.Finish(raw, 1, wire);
        h.SendRaw(wire.AsSpan(0, n));
        Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.Malformed));
    }

    [Test]
    public void WatchdogTrip_SendsAFaultMessage_WithItsBitAndCode()
    {
        using var h = new FirmwareHarness();
        ArmAndCommand(h);
        var fault = h.WaitFor<Fault>(TimeSpan.FromSeconds(2));
        Assert.That(fault.Faults.HasFlag(FaultBits.WatchdogTimeout), Is.True);
        Assert.That(fault.Code, Is.EqualTo(1), "code = the tripping fault bit's index + 1");
        Assert.That(fault.Text, Does.Contain("watchdog"));
    }

    [Test]
    public void NaNCommand_WhileArmed_ZeroTorqueFaultAndFlag()
    {
        using var h = new FirmwareHarness();
        ArmAndCommand(h);
        var s = h.NextState(_ => true);
        var bad = new Command { Actuators = 1, ValidityMilliseconds = 200, AnswersState = s.Sequence };
        bad.Torque[0] = float.NaN;
        h.Send(bad);
        var after = h.NextState(x => x.Arm == RigArmState.Faulted);
        Assert.That(after.Torque, Is.Zero);
        Assert.That(after.Faults.HasFlag(FaultBits.InvalidCommand), Is.True);
        Assert.That(h.WaitFor<Fault>().Code, Is.EqualTo(4));
    }
}
