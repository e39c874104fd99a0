using Mpq.Firmware.Safety;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Tests;

[TestFixture]
public class SafetySupervisorTests
{
    private const double Dt = 0.002;
    private SafetySupervisor _supervisor = null!;
    private readonly float[] _pos = [0f];
    private readonly float[] _vel = [0f];
    private readonly float[] _out = [0f];
    private uint _stateSeq;
    private double _now;

    [SetUp]
    public void SetUp()
    {
        _supervisor = new SafetySupervisor(1, 1);
        _supervisor.Limits.TorqueLimit = 2;
        _supervisor.Limits.TorqueMax = 5;
        _supervisor.Limits.WatchdogSeconds = 0.05;
        _supervisor.Limits.VelocityLimit[0] = 20;
        _supervisor.Limits.PositionMin[0] = -10;
        _supervisor.Limits.PositionMax[0] = 10;
        _now = 1;
        _stateSeq = 0;
        _pos[0] = 0;
        _vel[0] = 0;
    }

    /// <summary>Sends a State now and returns its sequence.</summary>
    private uint SendState()
    {
        _stateSeq++;
        _supervisor.OnStateSent(_stateSeq, _now);
        return _stateSeq;
    }

    private CommandResult Command(float torque, double validity = 0.1) => _supervisor.OnCommand(_now, SendState(), validity, [torque]);

    private float Tick()
    {
        _now += Dt;
        _supervisor.Tick(_now, Dt, _pos, _vel, _out);
        return _out[0];
    }

    private void Arm()
    {
        _supervisor.OnHandshake();
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
    }

    // Bring-up's direction pulse: open loop, disarmed otherwise, timed by the ticks, stopped by anything that stops a rig.

    [Test]
    public void Pulse_AppliesItsTorqueSlewLimitedForItsTimeThenZeroAndMeasuresTheMotion()
    {
        _supervisor.Limits.SlewRate = 100; // 0.2 N·m per 2 ms tick
        Assert.That(_supervisor.StartPulse(_now, 0, 0.4, 0.1), Is.Null);
        Assert.That(_supervisor.PulseActive, Is.True);
        Assert.That(Tick(), Is.EqualTo(0.2f).Within(1e-6), "slew-limited like any torque");
        Assert.That(Tick(), Is.EqualTo(0.4f).Within(1e-6));
        _pos[0] = 0.03f;
        var ticks = 2;
        while (_supervisor.PulseActive && ticks < 100)
        {
            Assert.That(Tick(), Is.EqualTo(0.4f).Within(1e-6).Or.Zero);
            ticks++;
        }
        Assert.That(ticks * Dt, Is.EqualTo(0.1).Within(2 * Dt), "ends on time, by the ticks' clock");
        Assert.That(Tick(), Is.Zero, "zero after it");
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed), "never armed");
        var outcome = _supervisor.LastPulse!;
        Assert.That(outcome.Aborted, Is.Null);
        Assert.That(outcome.Displacement, Is.EqualTo(0.03).Within(1e-6));
    }

    [Test]
    public void Pulse_StoppedByEStopDisarmArmRequestOrALimit_ZeroAtOnce()
    {
        var stops = new (string Name, Action Stop)[]
        {
            ("estop", () => _supervisor.EStop("typed")),
            ("disarm", () => _supervisor.RequestDisarm("typed")),
            ("arm request", () => Assert.That(_supervisor.RequestArm(_now), Does.Contain("direction check"))),
            ("position limit", () => _pos[0] = 11),
            ("velocity limit", () => _vel[0] = 30),
        };
        foreach (var (name, stop) in stops)
        {
            SetUp();
            _supervisor.Limits.SlewRate = 1e6;
            Assert.That(_supervisor.StartPulse(_now, 0, 0.5, 0.4), Is.Null, name);
            Assert.That(Tick(), Is.EqualTo(0.5f), name);
            stop();
            Assert.That(Tick(), Is.Zero, name);
            Assert.That(_supervisor.PulseActive, Is.False, name);
            Assert.That(_supervisor.LastPulse!.Aborted, Is.Not.Null, name);
            _supervisor.ClearFaults(releaseEStop: true);
        }
    }

    [Test]
    public void Pulse_RefusedWhenArmedFaultedTooStrongOrTooLong()
    {
        Assert.That(_supervisor.StartPulse(_now, 0, 2.5, 0.2), Does.Contain("torque_limit"));
        Assert.That(_supervisor.StartPulse(_now, 0, 0, 0.2), Does.Contain("non-zero"));
        Assert.That(_supervisor.StartPulse(_now, 0, double.NaN, 0.2), Does.Contain("non-zero"));
        Assert.That(_supervisor.StartPulse(_now, 0, 0.5, 0.6), Does.Contain("at most 0.5 s"));
        Assert.That(_supervisor.StartPulse(_now, 1, 0.5, 0.2), Does.Contain("does not exist"));
        _supervisor.EStop("test");
        Assert.That(_supervisor.StartPulse(_now, 0, 0.5, 0.2), Does.Contain("disarmed with nothing latched"));
        _supervisor.ClearFaults(releaseEStop: true);
        Arm();
        Assert.That(_supervisor.StartPulse(_now, 0, 0.5, 0.2), Does.Contain("disarmed"));
        Assert.That(_supervisor.PulseActive, Is.False);
    }

    [Test]
    public void Disarmed_ValidCommand_ZeroTorque()
    {
        _supervisor.OnHandshake();
        Assert.That(Command(1.5f), Is.EqualTo(CommandResult.IgnoredNotArmed));
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
    }

    [Test]
    public void Arm_WhileInterlocked_RefusedWithTheReason_UntilReleased()
    {
        _supervisor.OnHandshake();
        _supervisor.SetArmInterlock("parameters file /x is damaged: checksum mismatch");
        Assert.That(_supervisor.RequestArm(_now), Is.EqualTo("parameters file /x is damaged: checksum mismatch"));
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        _supervisor.SetArmInterlock(null);
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Armed));
    }

    [Test]
    public void Arm_WithoutHandshake_Refused()
    {
        Assert.That(_supervisor.RequestArm(_now), Does.Contain("handshake"));
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
    }

    [Test]
    public void Armed_FreshCommand_Applied()
    {
        Arm();
        Assert.That(Command(1.5f), Is.EqualTo(CommandResult.Accepted));
        Assert.That(Tick(), Is.EqualTo(1.5f));
    }

    [Test]
    public void Armed_OverLimit_ClampedAndFlagged()
    {
        Arm();
        Command(4f);
        Assert.That(Tick(), Is.EqualTo(2f));
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.TorqueLimited), Is.True);
    }

    /// <summary>
    /// A hardware maximum that float32 cannot hold exactly (a QUBE-Servo's 0.05 N·m): the controller saturates at the
    /// maximum the rig announced, which crosses the wire as the nearest float (0.0500000007). That is the maximum, not
    /// above it; the double comparison latched InvalidCommand at the Furuta's first saturated step.
    /// </summary>
    [TestCase(0.05)]
    [TestCase(0.3)]
    [TestCase(0.1)]
    public void Armed_CommandAtAMaximumFloatCannotHold_Accepted(double max)
    {
        _supervisor.Limits.TorqueMax = max;
        _supervisor.Limits.TorqueLimit = max;
        _supervisor.Limits.SlewRate = 1e9;
        Arm();
        Assert.That(Command((float)max), Is.EqualTo(CommandResult.Accepted));
        Assert.That(Tick(), Is.EqualTo((float)max));
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.TorqueLimited), Is.False, "a command at the limit is not limited");
        Assert.That(Command(-(float)max), Is.EqualTo(CommandResult.Accepted));
        Assert.That(Command(MathF.BitIncrement((float)max)), Is.EqualTo(CommandResult.RejectedInvalid), "one float step above is above");
    }

    [Test]
    public void Armed_SlewLimit_RampsTorque()
    {
        _supervisor.Limits.SlewRate = 100; // 0.2 per 2 ms tick
        Arm();
        Command(1f);
        Assert.That(Tick(), Is.EqualTo(0.2f).Within(1e-6));
        Assert.That(Tick(), Is.EqualTo(0.4f).Within(1e-6));
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.SlewLimited), Is.True);
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(-5.5f)]
    public void Armed_InvalidCommand_RejectedCountedNotAppliedAndStops(float torque)
    {
        Arm();
        Command(1f);
        Tick();
        Assert.That(Command(torque), Is.EqualTo(CommandResult.RejectedInvalid));
        Assert.That(_supervisor.CommandsRejectedInvalid, Is.EqualTo(1));
        Assert.That(Tick(), Is.Zero, "a controller that sends a bad command is in doubt: zero torque, not the previous command");
        Assert.That(_supervisor.Faults.HasFlag(FaultBits.InvalidCommand), Is.True);
    }

    [Test]
    public void Command_WrongActuatorCount_Rejected()
    {
        Arm();
        Assert.That(_supervisor.OnCommand(_now, SendState(), 0.1, [1f, 1f]), Is.EqualTo(CommandResult.RejectedInvalid));
    }

    [Test]
    public void Command_AnsweringUnknownOrOldOrRepeatedState_RejectedAsStale()
    {
        Arm();
        Assert.That(_supervisor.OnCommand(_now, 999, 0.1, [1f]), Is.EqualTo(CommandResult.RejectedStale), "never sent");
        var seq = SendState();
        Assert.That(_supervisor.OnCommand(_now, seq, 0.1, [1f]), Is.EqualTo(CommandResult.Accepted));
        Assert.That(_supervisor.OnCommand(_now, seq, 0.1, [1f]), Is.EqualTo(CommandResult.RejectedStale), "answered already");
        var old = SendState();
        _now += 1.0;
        Assert.That(_supervisor.OnCommand(_now, old, 0.1, [1f]), Is.EqualTo(CommandResult.RejectedStale), "answers a State sent 1 s ago");
        Assert.That(_supervisor.CommandsRejectedStale, Is.EqualTo(3));
    }

    [Test]
    public void Watchdog_NoFreshCommand_TripsAfterTimeoutAndDisarms()
    {
        Arm();
        Command(1f);
        var ticks = 0;
        while (_supervisor.State == RigArmState.Armed && ticks < 1000)
        {
            Tick();
            ticks++;
        }
        // Trips on the first tick at or past 50 ms (floating time), never later than timeout + one tick.
        Assert.That(ticks * Dt, Is.GreaterThanOrEqualTo(0.05 - 1e-9).And.LessThanOrEqualTo(0.05 + Dt + 1e-9));
        Assert.That(_out[0], Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        Assert.That(_supervisor.Faults.HasFlag(FaultBits.WatchdogTimeout), Is.True);
        Assert.That(_supervisor.WatchdogTrips, Is.EqualTo(1));
    }

    [Test]
    public void Watchdog_StaleRepeats_DoNotFeedIt()
    {
        // A live sender thread repeating the last command (same answered State) must not keep the rig armed.
        Arm();
        var seq = SendState();
        _supervisor.OnCommand(_now, seq, 0.1, [1f]);
        for (var i = 0; i < 100 && _supervisor.State == RigArmState.Armed; i++)
        {
            _supervisor.OnCommand(_now, seq, 0.1, [1f]);
            Tick();
        }
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        Assert.That(_supervisor.WatchdogTrips, Is.EqualTo(1));
    }

    [Test]
    public void Watchdog_FreshCommandsEveryTick_StaysArmed()
    {
        Arm();
        for (var i = 0; i < 1000; i++)
        {
            Command(0.5f);
            Assert.That(Tick(), Is.EqualTo(0.5f));
        }
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Armed));
    }

    [Test]
    public void Watchdog_AfterTrip_TorqueOnlyAfterExplicitArm()
    {
        Arm();
        Command(1f);
        for (var i = 0; i < 30; i++)
        {
            Tick();
        }
        Assert.That(Command(1f), Is.EqualTo(CommandResult.IgnoredNotArmed));
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
        Command(1f);
        Assert.That(Tick(), Is.EqualTo(1f));
    }

    [Test]
    public void Validity_Expired_ZeroTorqueWhileStillArmed()
    {
        _supervisor.Limits.WatchdogSeconds = 1;
        Arm();
        Command(1f, validity: 0.01);
        Assert.That(Tick(), Is.EqualTo(1f));
        for (var i = 0; i < 10; i++)
        {
            Tick();
        }
        Assert.That(_out[0], Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Armed));
        Assert.That(_supervisor.CommandsExpired, Is.EqualTo(1));
    }

    [Test]
    public void EStop_ZeroOnNextTick_LatchedUntilConfirmedClear()
    {
        Arm();
        Command(1f);
        Assert.That(Tick(), Is.EqualTo(1f));
        _supervisor.EStop("console");
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.EStopped));
        // Issue 29: 'arm' said "'clear' first", and 'clear' then asked for 'clear estop': it names that command now.
        Assert.That(_supervisor.RequestArm(_now), Does.Contain("estop").And.Contain("'clear estop' first"));
        Assert.That(_supervisor.ClearFaults(), Does.StartWith("refused:").And.Contain("clear estop"), "a plain clear does not release an estop");
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.EStopped));
        Assert.That(_supervisor.ClearFaults(releaseEStop: true), Does.Contain("EStop"));
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
    }

    [TestCase(11f, 0f, FaultBits.PositionLimit)]
    [TestCase(0f, 25f, FaultBits.VelocityLimit)]
    [TestCase(float.NaN, 0f, FaultBits.SensorFault)]
    public void Armed_SensorOutOfLimits_LatchesFault(float position, float velocity, FaultBits fault)
    {
        Arm();
        Command(1f);
        _pos[0] = position;
        _vel[0] = velocity;
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Faulted));
        Assert.That(_supervisor.Faults.HasFlag(fault), Is.True);
        _pos[0] = 0;
        _vel[0] = 0;
        Assert.That(_supervisor.RequestArm(_now), Does.Contain("fault"));
        _supervisor.ClearFaults();
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
    }

    [Test]
    public void LinkLost_DisarmsAndRequiresNewHandshake()
    {
        Arm();
        Command(1f);
        _supervisor.OnLinkLost("silence");
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        Assert.That(_supervisor.RequestArm(_now), Does.Contain("handshake"));
    }

    [Test]
    public void LinkSilentToTheLoop_Armed_ZeroTorqueAndDisarmed_HandshakeKeptForTheLinkToEnd()
    {
        Arm();
        Command(1f);
        _supervisor.OnLinkSilent("no valid frame within link_timeout_ms");
        Assert.That(Tick(), Is.Zero);
        Assert.That((_supervisor.State, _supervisor.Faults.HasFlag(FaultBits.LinkLost)), Is.EqualTo((RigArmState.Disarmed, true)));
        Assert.That(_supervisor.HandshakeDone, Is.True, "the session is the link's to end (it logs it and undoes its settings)");
        Assert.That(_supervisor.RequestArm(_now), Is.Null, "a link that was only slow to be read can arm again, explicitly");
        Assert.That(Tick(), Is.Zero, "and no Command from before the silence drives the motor");
    }

    /// <summary>
    /// The bug: a heavy controller warm-up at SCHED_FIFO on both cores starved the Firmware's reader thread for a second;
    /// the device loop, seeing no valid frame, forgot the handshake while the link (its reader caught up, never silent
    /// to the link's own thread) stayed in the session and logged nothing; the Arm that followed was refused with
    /// "no controller" and nothing said why. A disarmed rig has nothing to stop: the session ends only when the link ends it.
    /// </summary>
    [Test]
    public void LinkSilentToTheLoop_Disarmed_NothingChanges_ArmStillAllowed()
    {
        _supervisor.OnHandshake();
        _supervisor.OnLinkSilent("no valid frame within link_timeout_ms");
        Assert.That((_supervisor.State, _supervisor.Faults, _supervisor.HandshakeDone), Is.EqualTo((RigArmState.Disarmed, FaultBits.None, true)));
        Assert.That(_supervisor.RequestArm(_now), Is.Null);
    }

    [Test]
    public void InvalidCommand_WhileArmed_LatchesFaultZeroTorqueAndFlags()
    {
        Arm();
        Command(1f);
        Assert.That(Tick(), Is.EqualTo(1f));
        Assert.That(_supervisor.OnCommand(_now, SendState(), 0.1, [float.NaN]), Is.EqualTo(CommandResult.RejectedInvalid));
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Faulted));
        Assert.That(_supervisor.Faults.HasFlag(FaultBits.InvalidCommand), Is.True);
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.CommandRejected), Is.True, "flag 64 on the tick after the rejection");
        Tick();
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.CommandRejected), Is.False, "the flag says 'since the last tick'");
    }

    [Test]
    public void InvalidCommand_WhileDisarmed_FlaggedNotLatched()
    {
        _supervisor.OnHandshake();
        Assert.That(_supervisor.OnCommand(_now, SendState(), 0.1, [float.PositiveInfinity]), Is.EqualTo(CommandResult.RejectedInvalid));
        Tick();
        Assert.That(_supervisor.Status.HasFlag(StatusFlags.CommandRejected), Is.True);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        Assert.That(_supervisor.Faults, Is.EqualTo(FaultBits.None));
    }

    [Test]
    public void Trips_EachStopWithAFaultIsNumberedOnce()
    {
        long seen = 0;
        Arm();
        Command(1f);
        Tick();
        Assert.That(_supervisor.TryTakeTrip(ref seen, out _, out _, out _), Is.False);
        _now += 1; // past the watchdog
        Tick();
        Assert.That(_supervisor.TryTakeTrip(ref seen, out var fault, out var reason, out var missed), Is.True);
        Assert.That((fault, missed), Is.EqualTo((FaultBits.WatchdogTimeout, 0L)));
        Assert.That(reason, Does.Contain("watchdog"));
        _pos[0] = float.NaN;
        Tick();
        Tick();
        Tick();
        Assert.That(_supervisor.TryTakeTrip(ref seen, out fault, out _, out missed), Is.True);
        Assert.That((fault, missed), Is.EqualTo((FaultBits.SensorFault, 0L)), "a sensor fault repeated every tick is one trip");
        Assert.That(_supervisor.TryTakeTrip(ref seen, out _, out _, out _), Is.False);
    }

    [Test]
    public void DriverFault_LatchesItsOwnBit()
    {
        Arm();
        Command(1f);
        _supervisor.OnDriverFault("pwm write failed");
        Assert.That(Tick(), Is.Zero);
        Assert.That(_supervisor.State, Is.EqualTo(RigArmState.Faulted));
        Assert.That(_supervisor.Faults, Is.EqualTo(FaultBits.DriverFault));
    }

    [Test]
    public void UpdateLimits_CopiesEveryLimit()
    {
        var source = new SafetyLimits(1) { TorqueLimit = 0.25, TorqueMax = 3, SlewRate = 7, WatchdogSeconds = 0.2, CommandMaxAgeSeconds = 0.3 };
        source.PositionMin[0] = -1;
        source.PositionMax[0] = 2;
        source.VelocityLimit[0] = 4;
        _supervisor.UpdateLimits(source);
        var l = _supervisor.Limits;
        Assert.That((l.TorqueLimit, l.TorqueMax, l.SlewRate, l.WatchdogSeconds, l.CommandMaxAgeSeconds, l.PositionMin[0], l.PositionMax[0], l.VelocityLimit[0]),
            Is.EqualTo((0.25, 3.0, 7.0, 0.2, 0.3, -1.0, 2.0, 4.0)));
    }
}
