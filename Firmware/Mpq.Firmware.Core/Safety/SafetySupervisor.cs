using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Safety;

/// <summary>
/// Decides, every tick, what torque the motors get. Pure logic: time is passed in (seconds on a
/// monotonic clock), so every rule is tested deterministically.
/// </summary>
/// <remarks>
/// Rules (any doubt means zero torque):
/// <list type="bullet">
/// <item>Torque only when <see cref="RigArmState.Armed"/>; arming needs a valid handshake, no latched fault, no estop and no
/// arm interlock (<see cref="SetArmInterlock"/>: a damaged parameters file holds arming until a person accepts the defaults).</item>
/// <item>The watchdog is fed only by fresh Commands — a new answered-State sequence answering a State
/// sent within <see cref="SafetyLimits.CommandMaxAgeSeconds"/>. Heartbeats never feed it. Armed with no
/// fresh Command for longer than <see cref="SafetyLimits.WatchdogSeconds"/>: zero torque and disarm; torque
/// again only after an explicit arm.</item>
/// <item>A Command's torques apply only within its validity window after arrival.</item>
/// <item>NaN, infinite, over-maximum or wrong-sized Commands are rejected, counted and flagged
/// (<see cref="StatusFlags.CommandRejected"/> on the next tick); one that arrives while armed also latches
/// <see cref="FaultBits.InvalidCommand"/> (zero torque until ClearFault). Torques are clamped to the torque
/// limit and slew-limited.</item>
/// <item>A driver that throws latches <see cref="FaultBits.DriverFault"/>; any other exception in a tick latches
/// <see cref="FaultBits.Exception"/>.</item>
/// <item>A joint outside its position or velocity limits, or a non-finite sensor reading, latches a fault
/// (<see cref="RigArmState.Faulted"/>) until ClearFault.</item>
/// <item>EStop latches <see cref="RigArmState.EStopped"/>; zero torque on the next tick. Only a ClearFault that
/// explicitly releases the estop ends it (the console's <c>clear estop</c>), and the rig is then disarmed.</item>
/// <item>Every trip (a stop that latches a fault bit) is numbered, so the link can send one Fault message each.</item>
/// </list>
/// Thread-safe (each call holds a short lock), but on the rig only the device loop calls it: the link hands its
/// requests over through a <see cref="Device.SupervisorInbox"/>, so no other thread ever holds the lock the loop ticks
/// under. Counters, <see cref="State"/>, <see cref="Faults"/> and trips are readable from any thread without the lock.
/// </remarks>
public sealed class SafetySupervisor
{
    private const int StateHistory = 256;
    private const int StopHistory = 1024;

    private readonly Lock _gate = new();
    private readonly float[] _command;
    private readonly float[] _applied;
    private readonly uint[] _sentSequence = new uint[StateHistory];
    private readonly double[] _sentTime = new double[StateHistory];
    private bool _haveCommand;
    private double _commandArrival;
    private double _commandValidity;
    private bool _haveAnswered;
    private uint _lastAnswered;
    private double _lastFreshCommand;
    private bool _expiredCounted;
    private bool _haveFreshTime;
    private bool _rejectedSinceTick;
    private bool _stopPending;
    private long _trips;
    private TripRecord _lastTrip = new(FaultBits.None, "");
    private string? _armInterlock;
    private readonly double[] _stopDelay = new double[StopHistory];
    private readonly FaultBits[] _stopCause = new FaultBits[StopHistory];
    private long _stopsRecorded;
    private FaultBits _pendingStopCause;

    private sealed record TripRecord(FaultBits Fault, string Reason);

    // A bring-up pulse (direction check) in progress: actuator (-1: none), torque, end time, and the joint's position at its start.
    private int _pulseActuator = -1;
    private double _pulseTorque;
    private double _pulseSeconds;
    private double _pulseEnd;
    private double _pulseFrom;
    private PulseOutcome? _lastPulse;

    /// <summary>The longest a bring-up pulse may last: long enough to see a joint move, too short to swing it far.</summary>
    public const double MaxPulseSeconds = 0.5;

    public SafetySupervisor(int joints, int actuators)
    {
        Joints = joints;
        Actuators = actuators;
        Limits = new SafetyLimits(joints);
        _command = new float[actuators];
        _applied = new float[actuators];
    }

    public int Joints { get; }
    public int Actuators { get; }
    public SafetyLimits Limits { get; }

    public RigArmState State { get; private set; } = RigArmState.Disarmed;

    /// <summary>Latched fault bits (cleared by ClearFault; the watchdog bit also by the next arm).</summary>
    public FaultBits Faults { get; private set; }

    /// <summary>Status bits of the last tick.</summary>
    public StatusFlags Status { get; private set; }

    public bool HandshakeDone { get; private set; }

    /// <summary>Why the rig last stopped applying torque (for the console and logs).</summary>
    /// <remarks>Constant text on the loop thread's paths: no formatting or allocation when a trip must be fast.</remarks>
    public string LastStopReason { get; private set; } = "start-up";

    public long CommandsAccepted { get; private set; }
    public long CommandsRejectedInvalid { get; private set; }
    public long CommandsRejectedStale { get; private set; }
    public long CommandsIgnoredNotArmed { get; private set; }
    public long CommandsExpired { get; private set; }
    public long WatchdogTrips { get; private set; }

    /// <summary>When the last fresh Command was accepted (the clock passed in), or NaN before any.</summary>
    public double LastFreshCommandTime
    {
        get
        {
            lock (_gate)
            {
                return _haveFreshTime ? _lastFreshCommand : double.NaN;
            }
        }
    }

    /// <summary>
    /// Every stop of an armed rig so far (the last 1024): the time from the last fresh Command (or the arm, before any)
    /// to the tick that applied zero torque, and the fault bit that caused it (None: a requested disarm). For reports.
    /// </summary>
    public IReadOnlyList<(double AfterFreshCommandSeconds, FaultBits Cause)> Stops
    {
        get
        {
            lock (_gate)
            {
                var n = (int)Math.Min(_stopsRecorded, StopHistory);
                var list = new (double, FaultBits)[n];
                for (var i = 0; i < n; i++)
                {
                    var k = (int)((_stopsRecorded - n + i) % StopHistory);
                    list[i] = (_stopDelay[k], _stopCause[k]);
                }
                return list;
            }
        }
    }

    /// <summary>The tick (the clock passed in) that first applied zero torque after the rig last stopped, or NaN.</summary>
    public double LastStopTime { get; private set; } = double.NaN;
    public long LimitTrips { get; private set; }

    /// <summary>The State sequence the last fresh Command answered (lockstep waits for it).</summary>
    public uint LastAnsweredState
    {
        get
        {
            lock (_gate)
            {
                return _lastAnswered;
            }
        }
    }

    /// <summary>Copies the limits to enforce from <paramref name="source"/> (the device loop, once per tick, from the parameter table).</summary>
    public void UpdateLimits(SafetyLimits source)
    {
        lock (_gate)
        {
            Limits.TorqueLimit = source.TorqueLimit;
            Limits.TorqueMax = source.TorqueMax;
            Limits.SlewRate = source.SlewRate;
            Limits.WatchdogSeconds = source.WatchdogSeconds;
            Limits.CommandMaxAgeSeconds = source.CommandMaxAgeSeconds;
            source.PositionMin.CopyTo(Limits.PositionMin, 0);
            source.PositionMax.CopyTo(Limits.PositionMax, 0);
            source.VelocityLimit.CopyTo(Limits.VelocityLimit, 0);
        }
    }

    /// <summary>Trips so far (stops that latched a fault bit); see <see cref="TryTakeTrip"/>. Lock-free.</summary>
    public long Trips => Volatile.Read(ref _trips);

    /// <summary>
    /// If a trip happened after the one numbered <paramref name="seen"/>, returns the latest one's fault bit and reason
    /// and advances <paramref name="seen"/> (trips in between are counted in <paramref name="missed"/>).
    /// </summary>
    /// <remarks>Lock-free, for the link's housekeeping thread: it must never hold the lock the loop ticks under.</remarks>
    public bool TryTakeTrip(ref long seen, out FaultBits fault, out string reason, out long missed)
    {
        var trips = Volatile.Read(ref _trips);
        var last = Volatile.Read(ref _lastTrip);
        fault = last.Fault;
        reason = last.Reason;
        missed = Math.Max(0, trips - seen - 1);
        if (trips == seen)
        {
            return false;
        }
        seen = trips;
        return true;
    }

    /// <summary>The driver threw in a tick: latch a driver fault (zero torque until cleared).</summary>
    public void OnDriverFault(string reason)
    {
        lock (_gate)
        {
            LatchTrip(FaultBits.DriverFault, RigArmState.Faulted, "driver fault (see the firmware log)");
        }
    }

    /// <summary>A tick failed: latch an exception fault (zero torque until cleared).</summary>
    public void OnException(string reason)
    {
        lock (_gate)
        {
            LatchTrip(FaultBits.Exception, RigArmState.Faulted, $"exception: {reason}");
        }
    }

    /// <summary>Torques applied at the last tick.</summary>
    public ReadOnlySpan<float> Applied => _applied;

    /// <summary>A valid Hello was received: arming becomes possible.</summary>
    public void OnHandshake()
    {
        lock (_gate)
        {
            HandshakeDone = true;
        }
    }

    /// <summary>The link is gone (peer hung up, silence, port back in console mode): disarm and forget the handshake.</summary>
    public void OnLinkLost(string reason)
    {
        lock (_gate)
        {
            HandshakeDone = false;
            StopForLostLink(reason);
        }
    }

    /// <summary>An armed rig stops for a lost link: zero torque, disarmed, <see cref="FaultBits.LinkLost"/>. Under the lock.</summary>
    private void StopForLostLink(string reason)
    {
        if (State == RigArmState.Armed)
        {
            LatchTrip(FaultBits.LinkLost, RigArmState.Disarmed, $"link lost: {reason}");
        }
    }

    /// <summary>Records that State <paramref name="sequence"/> was sent at <paramref name="now"/> (for command freshness).</summary>
    public void OnStateSent(uint sequence, double now)
    {
        lock (_gate)
        {
            var slot = (int)(sequence % StateHistory);
            _sentSequence[slot] = sequence;
            _sentTime[slot] = now;
        }
    }

    /// <summary>
    /// The device loop's own check found the link silent (no valid frame within link_timeout_ms): an armed rig stops at
    /// once (zero torque, disarmed, <see cref="FaultBits.LinkLost"/>); the handshake stays until the link ends the session
    /// (<see cref="OnLinkLost"/>, on its own thread, with a log line). A disarmed rig has nothing to stop.
    /// </summary>
    /// <remarks>
    /// The two checks see the same clock from different threads: the link's reader can be starved (a machine whose cores
    /// are held by real-time threads) while the loop, at the highest priority, keeps ticking. The loop must then stop the
    /// motor, but a session the link never saw end must not be forgotten silently: that refused the next Arm with
    /// "no controller" and nothing in the log said why.
    /// </remarks>
    public void OnLinkSilent(string reason)
    {
        lock (_gate)
        {
            StopForLostLink(reason);
        }
    }

    /// <summary>Why arming is held whatever else holds (a damaged parameters file), or null. Readable from any thread.</summary>
    public string? ArmInterlock => Volatile.Read(ref _armInterlock);

    /// <summary>Holds arming with <paramref name="reason"/> until it is set to null; an armed rig is not stopped by it.</summary>
    public void SetArmInterlock(string? reason)
    {
        lock (_gate)
        {
            Volatile.Write(ref _armInterlock, reason);
        }
    }

    /// <summary>The last bring-up pulse's outcome (null before the first); readable from any thread without the lock.</summary>
    public PulseOutcome? LastPulse => Volatile.Read(ref _lastPulse);

    /// <summary>Whether a bring-up pulse is under way.</summary>
    public bool PulseActive => Volatile.Read(ref _pulseActuator) >= 0;

    /// <summary>
    /// Starts a bring-up pulse: <paramref name="torque"/> on <paramref name="actuator"/> (whose joint has its number) for
    /// <paramref name="seconds"/>, open loop, with the rig otherwise disarmed. Only from Disarmed with nothing latched; the
    /// torque within <c>torque_limit</c> and the slew limit; a joint leaving its position or velocity limits, an estop, a
    /// fault, a disarm or an arm request ends it at once with zero torque. Time comes from the loop's ticks, so a
    /// pulse ends on time whatever the link or the console do. Returns null, or why not.
    /// </summary>
    public string? StartPulse(double now, int actuator, double torque, double seconds)
    {
        lock (_gate)
        {
            if (State != RigArmState.Disarmed || Faults != FaultBits.None)
            {
                return $"the rig must be disarmed with nothing latched (it is {State}{(Faults == FaultBits.None ? "" : $", {Faults}")})";
            }
            if (_pulseActuator >= 0)
            {
                return "a pulse is already running";
            }
            if (actuator < 0 || actuator >= Actuators || actuator >= Joints)
            {
                return $"actuator {actuator} does not exist here (0 .. {Math.Min(Actuators, Joints) - 1}, each checked against the joint of its number)";
            }
            if (!double.IsFinite(torque) || torque == 0 || Math.Abs(torque) > Limits.TorqueLimit)
            {
                return $"the pulse's torque must be non-zero and within torque_limit ({Limits.TorqueLimit:G4})";
            }
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > MaxPulseSeconds)
            {
                return $"a pulse lasts more than 0 and at most {MaxPulseSeconds} s";
            }
            _pulseTorque = torque;
            _pulseSeconds = seconds;
            _pulseEnd = now + seconds;
            _pulseFrom = double.NaN; // read at the pulse's first tick
            Array.Clear(_applied);
            Volatile.Write(ref _pulseActuator, actuator);
            return null;
        }
    }

    /// <summary>Ends a pulse under the lock: zero torque, the outcome published.</summary>
    private void EndPulse(double displacement, string? aborted)
    {
        if (_pulseActuator < 0)
        {
            return;
        }
        Volatile.Write(ref _lastPulse, new PulseOutcome(_pulseActuator, _pulseTorque, _pulseSeconds, displacement, aborted));
        Volatile.Write(ref _pulseActuator, -1);
        Array.Clear(_applied);
    }

    /// <summary>Arms if allowed; returns null on success or the reason it refused.</summary>
    public string? RequestArm(double now)
    {
        lock (_gate)
        {
            if (_pulseActuator >= 0)
            {
                EndPulse(double.NaN, "an arm request");
                return "a direction check was running: it is stopped; arm again";
            }
            switch (State)
            {
                case RigArmState.Armed:
                    return null;
                case RigArmState.EStopped:
                    return "estop is latched: 'clear estop' first (the rig stays disarmed)";
                case RigArmState.Faulted:
                    return $"fault latched ({Faults}): 'clear' first";
            }
            if (_armInterlock is { } held)
            {
                return held;
            }
            if (!HandshakeDone)
            {
                return "no controller: arming needs a valid handshake (Hello) on the link";
            }
            State = RigArmState.Armed;
            Faults &= ~(FaultBits.WatchdogTimeout | FaultBits.LinkLost);
            _haveCommand = false;
            _lastFreshCommand = now; // one watchdog period of grace for the first Command
            Array.Clear(_applied);
            return null;
        }
    }

    public void RequestDisarm(string reason)
    {
        lock (_gate)
        {
            EndPulse(double.NaN, reason);
            if (State == RigArmState.Armed)
            {
                Stop(RigArmState.Disarmed, reason, FaultBits.None);
            }
        }
    }

    /// <summary>Emergency stop: latched until <see cref="ClearFaults"/>.</summary>
    public void EStop(string reason)
    {
        lock (_gate)
        {
            if (State != RigArmState.EStopped)
            {
                LatchTrip(FaultBits.EStop, RigArmState.EStopped, $"estop: {reason}");
            }
        }
    }

    /// <summary>
    /// Clears latched faults; the rig stays disarmed. A latched estop is released only with <paramref name="releaseEStop"/>
    /// (an explicit confirmation); without it nothing is cleared. Returns what it did, or why not (starting "refused:").
    /// </summary>
    public string ClearFaults(bool releaseEStop = false)
    {
        lock (_gate)
        {
            if (State == RigArmState.EStopped && !releaseEStop)
            {
                return "refused: estop is latched: confirm with 'clear estop' (the rig stays disarmed)";
            }
            var was = (State, Faults);
            Faults = FaultBits.None;
            if (State is RigArmState.Faulted or RigArmState.EStopped)
            {
                State = RigArmState.Disarmed;
            }
            return was.Faults == FaultBits.None && was.State != RigArmState.Faulted && was.State != RigArmState.EStopped
                ? "nothing to clear"
                : $"cleared {was.Faults} (was {was.State})";
        }
    }

    /// <summary>Judges a Command that arrived at <paramref name="now"/>.</summary>
    public CommandResult OnCommand(double now, uint answersState, double validitySeconds, ReadOnlySpan<float> torque)
    {
        lock (_gate)
        {
            if (torque.Length != Actuators || !double.IsFinite(validitySeconds) || validitySeconds <= 0)
            {
                return RejectInvalid();
            }
            // Torques cross the wire as float32: the maximum is compared as the float the controller was told (HelloAck),
            // so a command saturated at a maximum float cannot hold exactly (0.05 → 0.0500000007) is not "above" it.
            var max = (float)Limits.TorqueMax;
            foreach (var t in torque)
            {
                if (!float.IsFinite(t) || Math.Abs(t) > max)
                {
                    return RejectInvalid();
                }
            }
            var slot = (int)(answersState % StateHistory);
            var known = _sentSequence[slot] == answersState && _sentTime[slot] > 0;
            var newer = !_haveAnswered || (int)(answersState - _lastAnswered) > 0;
            if (!known || !newer || now - _sentTime[slot] > Limits.CommandMaxAgeSeconds)
            {
                CommandsRejectedStale++;
                return CommandResult.RejectedStale;
            }
            _haveAnswered = true;
            _lastAnswered = answersState;
            if (State != RigArmState.Armed)
            {
                CommandsIgnoredNotArmed++;
                return CommandResult.IgnoredNotArmed;
            }
            torque.CopyTo(_command);
            _haveCommand = true;
            _commandArrival = now;
            _commandValidity = validitySeconds;
            _lastFreshCommand = now;
            _haveFreshTime = true;
            _expiredCounted = false;
            CommandsAccepted++;
            return CommandResult.Accepted;
        }
    }

    private CommandResult RejectInvalid()
    {
        CommandsRejectedInvalid++;
        _rejectedSinceTick = true;
        if (State == RigArmState.Armed)
        {
            LatchTrip(FaultBits.InvalidCommand, RigArmState.Faulted, "an invalid command (NaN, infinite, above the hardware maximum or the wrong size) arrived while armed");
        }
        return CommandResult.RejectedInvalid;
    }

    /// <summary>
    /// One control tick: checks sensors and the watchdog, and writes the torques to apply into
    /// <paramref name="torque"/> (zero unless armed and commanded).
    /// </summary>
    public void Tick(double now, double dt, ReadOnlySpan<float> position, ReadOnlySpan<float> velocity, Span<float> torque)
    {
        lock (_gate)
        {
            var status = HandshakeDone ? StatusFlags.HandshakeDone : StatusFlags.None;
            if (_rejectedSinceTick)
            {
                status |= StatusFlags.CommandRejected;
                _rejectedSinceTick = false;
            }
            if (Faults.HasFlag(FaultBits.WatchdogTimeout))
            {
                status |= StatusFlags.WatchdogTripped;
            }
            CheckSensors(position, velocity, ref status);
            if (State == RigArmState.Armed && now - _lastFreshCommand > Limits.WatchdogSeconds)
            {
                WatchdogTrips++;
                status |= StatusFlags.WatchdogTripped;
                LatchTrip(FaultBits.WatchdogTimeout, RigArmState.Disarmed, "watchdog: no fresh command within watchdog_ms");
            }
            if (_pulseActuator >= 0 && PulseTick(now, dt, position, velocity, torque, ref status))
            {
                Status = status;
                return;
            }
            if (State != RigArmState.Armed)
            {
                Array.Clear(_applied);
                _applied.CopyTo(torque);
                Status = status;
                if (_stopPending)
                {
                    LastStopTime = now;
                    _stopPending = false;
                    var k = (int)(_stopsRecorded % StopHistory);
                    _stopDelay[k] = now - _lastFreshCommand;
                    _stopCause[k] = _pendingStopCause;
                    _stopsRecorded++;
                }
                return;
            }
            var live = _haveCommand && now - _commandArrival <= _commandValidity;
            if (_haveCommand && !live && !_expiredCounted)
            {
                CommandsExpired++;
                _expiredCounted = true;
            }
            var maxStep = Limits.SlewRate * dt;
            for (var i = 0; i < Actuators; i++)
            {
                var target = live ? (double)_command[i] : 0.0;
                if (Math.Abs(target) > (float)Limits.TorqueLimit) // the limit as the wire carries it (see OnCommand)
                {
                    target = Math.CopySign(Limits.TorqueLimit, target);
                    status |= StatusFlags.TorqueLimited;
                }
                var delta = target - _applied[i];
                if (Math.Abs(delta) > maxStep)
                {
                    target = _applied[i] + Math.CopySign(maxStep, delta);
                    status |= StatusFlags.SlewLimited;
                }
                _applied[i] = (float)target;
            }
            _applied.CopyTo(torque);
            Status = status;
        }
    }

    /// <summary>A pulse's tick: its torque (clamped and slew-limited like any), or its end. Returns whether it wrote the torque.</summary>
    private bool PulseTick(double now, double dt, ReadOnlySpan<float> position, ReadOnlySpan<float> velocity, Span<float> torque, ref StatusFlags status)
    {
        var a = _pulseActuator;
        if (State != RigArmState.Disarmed || Faults != FaultBits.None)
        {
            EndPulse(double.NaN, $"the rig stopped ({State}{(Faults == FaultBits.None ? "" : $", {Faults}")})");
            return false;
        }
        var p = position[a];
        if (double.IsNaN(_pulseFrom))
        {
            _pulseFrom = p;
        }
        if ((status & (StatusFlags.PositionLimit | StatusFlags.VelocityLimit)) != 0)
        {
            EndPulse(p - _pulseFrom, "a joint reached its position or velocity limit");
            return false;
        }
        if (now >= _pulseEnd)
        {
            EndPulse(p - _pulseFrom, null);
            return false;
        }
        var target = Math.Clamp(_pulseTorque, -Limits.TorqueLimit, Limits.TorqueLimit);
        var maxStep = Limits.SlewRate * dt;
        var delta = target - _applied[a];
        if (Math.Abs(delta) > maxStep)
        {
            target = _applied[a] + Math.CopySign(maxStep, delta);
            status |= StatusFlags.SlewLimited;
        }
        Array.Clear(_applied);
        _applied[a] = (float)target;
        _applied.CopyTo(torque);
        return true;
    }

    private void CheckSensors(ReadOnlySpan<float> position, ReadOnlySpan<float> velocity, ref StatusFlags status)
    {
        for (var j = 0; j < Joints; j++)
        {
            var p = position[j];
            var v = velocity[j];
            if (!float.IsFinite(p) || !float.IsFinite(v))
            {
                Trip(FaultBits.SensorFault, "a joint sensor reading is not a number");
                return;
            }
            if (p < Limits.PositionMin[j] || p > Limits.PositionMax[j])
            {
                status |= StatusFlags.PositionLimit;
                if (State == RigArmState.Armed)
                {
                    Trip(FaultBits.PositionLimit, "a joint left its position limits (pos_min_N .. pos_max_N)");
                }
            }
            if (Math.Abs(v) > Limits.VelocityLimit[j])
            {
                status |= StatusFlags.VelocityLimit;
                if (State == RigArmState.Armed)
                {
                    Trip(FaultBits.VelocityLimit, "a joint exceeded its velocity limit (vel_limit_N)");
                }
            }
        }
    }

    private void Trip(FaultBits fault, string reason)
    {
        if (State != RigArmState.EStopped)
        {
            LimitTrips++;
        }
        LatchTrip(fault, RigArmState.Faulted, reason);
    }

    /// <summary>Latches <paramref name="fault"/>, stops into <paramref name="next"/> (an estop stays an estop) and numbers the trip.</summary>
    private void LatchTrip(FaultBits fault, RigArmState next, string reason)
    {
        var newBit = (Faults & fault) == 0;
        Faults |= fault;
        if (State == RigArmState.EStopped && next != RigArmState.EStopped)
        {
            return; // already stopped harder; the bit is kept for the record
        }
        var changed = State != next;
        Stop(next, reason, fault);
        if (newBit || changed)
        {
            // A sensor fault repeated every tick is one trip, not one per tick. Published record first, then the count.
            Volatile.Write(ref _lastTrip, new TripRecord(fault, reason));
            Volatile.Write(ref _trips, _trips + 1);
        }
    }

    private void Stop(RigArmState next, string reason, FaultBits cause)
    {
        EndPulse(double.NaN, reason);
        if (State == RigArmState.Armed)
        {
            _stopPending = true; // LastStopTime is the tick that applies the zero (see the end of Tick)
            _pendingStopCause = cause;
        }
        State = next;
        LastStopReason = reason;
        _haveCommand = false;
        Array.Clear(_applied);
    }
}

/// <summary>How a bring-up pulse ended.</summary>
/// <param name="Actuator">The actuator pulsed (and the joint of its number, whose motion was measured).</param>
/// <param name="Torque">The torque asked for.</param>
/// <param name="Seconds">How long it was to last.</param>
/// <param name="Displacement">The joint's position at the end minus at the start (NaN when it was stopped before it moved).</param>
/// <param name="Aborted">Why it ended early, or null when it ran its time.</param>
public sealed record PulseOutcome(int Actuator, double Torque, double Seconds, double Displacement, string? Aborted);
