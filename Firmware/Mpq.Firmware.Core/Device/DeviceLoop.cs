using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using Mpq.Common;
using Mpq.Firmware.Drivers;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Device;

/// <summary>
/// The fixed-rate device loop on its own thread: read sensors, let the safety supervisor decide the
/// torques, apply them, stream State, and let the (virtual) plant advance — against absolute deadlines.
/// </summary>
/// <remarks>
/// Torque is zero at start, on <see cref="Dispose"/>, and after any exception in a tick (which also
/// latches a fault: a driver fault when the driver threw). Nothing on this thread does I/O or waits on a lock an
/// I/O thread holds across a read or write: log lines go to a queue drained by another thread, State frames go
/// into the link's lock-free ring (dropped and counted when the line is backed up), the link's requests (Commands,
/// arm, estop, …) are drained from its lock-free inbox at the start of each tick, and link silence is read lock-free
/// every tick (the rig stops at once; the port's return to console mode follows on the link's housekeeping thread).
/// The only lock taken is the supervisor's own, which no other thread holds on the rig.
/// In lockstep (virtual rig only) the loop does not follow the wall clock: after each streamed State it
/// waits for the controller's Command answering it (at most <see cref="LockstepTimeout"/>), so runs are
/// deterministic; time is then virtual (ticks × period).
/// </remarks>
public sealed class DeviceLoop : IDeviceView, IDisposable
{
    private readonly IRigDriver _driver;
    private readonly SafetySupervisor _supervisor;
    private readonly ParameterTable _parameters;
    private readonly ParameterIndex _index;
    private readonly RigLink? _link;
    private readonly bool _lockstep;
    private readonly ConcurrentQueue<string> _logQueue = new();
    private readonly Action<string> _log;
    private readonly float[] _position;
    private readonly float[] _velocity;
    private readonly float[] _torque;
    private readonly State _state = new();
    private readonly SafetyLimits _limits;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private Thread? _thread;
    private Thread? _logger;
    private volatile bool _stopping;
    private double _virtualTime;
    private long _ticks;
    private long _overruns;
    private long _missedTicks;
    private int _consecutiveExceptions;

    public DeviceLoop(IRigDriver driver, SafetySupervisor supervisor, ParameterTable parameters, RigLink? link, bool lockstep, Action<string> log)
    {
        _driver = driver;
        _supervisor = supervisor;
        _parameters = parameters;
        _index = new ParameterIndex(parameters, driver.Joints);
        _link = link;
        _lockstep = lockstep;
        _log = log;
        _position = new float[driver.Joints];
        _velocity = new float[driver.Joints];
        _torque = new float[driver.Actuators];
        _limits = new SafetyLimits(driver.Joints);
        _state.Joints = driver.Joints;
        _state.Actuators = driver.Actuators;
        _driver.Stop();
        link?.Attach(this);
    }

    string IDeviceView.DescribeJoints() => DescribeJoints();

    double IDeviceView.JointPosition(int joint) => _position[joint]; // a float read whole; the loop writes it each tick

    string? IDeviceView.DriverHealth => _driver.Health;

    string IDeviceView.CsvHeader() => DescribeCsvHeader();

    string IDeviceView.CsvRow() => DescribeCsvRow();

    /// <summary>Tick start minus deadline, µs (real-time mode).</summary>
    public LatencyRecorder Jitter { get; } = new(1 << 16);

    /// <summary>Time spent inside a tick, µs.</summary>
    public LatencyRecorder TickTime { get; } = new(1 << 16);

    /// <summary>Time between the starts of two consecutive ticks, µs (real-time mode; the schedule's proof).</summary>
    public LatencyRecorder TickGap { get; } = new(1 << 16);

    public long Ticks => Interlocked.Read(ref _ticks);
    public long Overruns => Interlocked.Read(ref _overruns);

    /// <summary>Ticks the schedule should have run but did not (a gap of k periods misses k − 1; real-time mode).</summary>
    public long MissedTicks => Interlocked.Read(ref _missedTicks);

    /// <summary>SCHED_FIFO priority the loop thread asks for at start (0: do not ask).</summary>
    public int RealtimePriority { get; init; } = 80;

    /// <summary>What the loop thread's request for real-time priority got (null until it started, or when not asked).</summary>
    public string? PriorityReport { get; private set; }

    /// <summary>How long lockstep waits for an answer before ticking on.</summary>
    public TimeSpan LockstepTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Seconds since start: monotonic wall time, or virtual time in lockstep.</summary>
    public double Now() => _lockstep ? Volatile.Read(ref _virtualTime) : Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;

    public void Start()
    {
        _logger = new Thread(DrainLog) { IsBackground = true, Name = "firmware-log" };
        _logger.Start();
        _thread = new Thread(Run) { IsBackground = true, Name = "firmware-device-loop", Priority = ThreadPriority.Highest };
        _thread.Start();
    }

    private void Run()
    {
        var oldMode = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        if (RealtimePriority > 0)
        {
            PriorityReport = RealtimeScheduling.TryElevateCurrentThread(RealtimePriority);
            _logQueue.Enqueue(PriorityReport);
        }
        try
        {
            var rate = _parameters[_index.LoopRateHz];
            var period = (long)(Stopwatch.Frequency / rate);
            var deadline = Stopwatch.GetTimestamp() + period;
            long streamCounter = 0;
            long previousTickStart = 0;
            var lineBusy = false;
            while (!_stopping)
            {
                // Lockstep replaces wall-clock pacing only while a controller is in session; otherwise the
                // loop would spin flat out and virtual time would race ahead of everything.
                // A State that could not go out (line busy) is also followed by a paced tick: an unpaced
                // real-time thread retrying at once would race virtual time ahead of the controller.
                var paced = !_lockstep || !_supervisor.HandshakeDone || lineBusy;
                if (paced)
                {
                    PreciseClock.SleepUntil(deadline);
                    var late = Stopwatch.GetTimestamp() - deadline;
                    Jitter.Record(late * 1e6 / Stopwatch.Frequency);
                }
                var tickStart = Stopwatch.GetTimestamp();
                if (paced && previousTickStart != 0)
                {
                    var gap = tickStart - previousTickStart;
                    TickGap.Record(gap * 1e6 / Stopwatch.Frequency);
                    var missed = (gap + period / 2) / period - 1;
                    if (missed > 0)
                    {
                        Interlocked.Add(ref _missedTicks, missed);
                    }
                }
                previousTickStart = paced ? tickStart : 0;
                var newRate = _parameters[_index.LoopRateHz];
                if (newRate != rate)
                {
                    rate = newRate;
                    period = (long)(Stopwatch.Frequency / rate);
                }
                var dt = 1.0 / rate;
                var streamHz = _parameters[_index.StateStreamHz];
                var streamEvery = streamHz <= 0 ? long.MaxValue : Math.Max(1, (long)Math.Round(rate / streamHz));
                var stream = ++streamCounter >= streamEvery;
                if (stream)
                {
                    streamCounter = 0;
                }
                var streamed = Tick(dt, stream);
                lineBusy = stream && !streamed && _link is not null && _supervisor.HandshakeDone;
                TickTime.Record(Stopwatch.GetElapsedTime(tickStart).TotalMicroseconds);
                Interlocked.Increment(ref _ticks);
                if (_lockstep)
                {
                    Volatile.Write(ref _virtualTime, _virtualTime + dt);
                    if (streamed && _link is not null && _supervisor.HandshakeDone)
                    {
                        WaitForAnswer(_state.Sequence);
                    }
                }
                deadline += period;
                var now = Stopwatch.GetTimestamp();
                if (!paced)
                {
                    deadline = now + period; // ready to pace again if the session ends
                }
                else if (now > deadline)
                {
                    // Missed at least one deadline: count it and restart the schedule instead of bursting.
                    Interlocked.Increment(ref _overruns);
                    deadline = now + period;
                }
            }
        }
        finally
        {
            _driver.Stop();
            GCSettings.LatencyMode = oldMode;
        }
    }

    /// <summary>One tick; returns whether a State was queued for the line.</summary>
    /// <remarks>Nothing here waits: the State goes into the link's lock-free ring (or is dropped and counted).</remarks>
    private bool Tick(double dt, bool stream)
    {
        var inDriver = false;
        try
        {
            var now = Now();
            inDriver = true;
            _driver.Read(_position, _velocity);
            inDriver = false;
            for (var j = 0; j < _position.Length; j++)
            {
                _position[j] += (float)_parameters[_index.CalibrationOffset[j]];
            }
            FirmwareParameters.ApplyTo(_parameters, _limits, _index, _driver.TorqueMax);
            _supervisor.UpdateLimits(_limits);
            if (_link is not null)
            {
                if (_supervisor.State == RigArmState.Armed && _link.IsSilent())
                {
                    // Stop now; the session itself ends on the link's thread, which logs it (SafetySupervisor.OnLinkSilent).
                    _supervisor.OnLinkSilent("no valid frame within link_timeout_ms"); // before the inbox: a new Hello wins
                }
                _link.Inbox.Drain(_supervisor); // what the link asked since the last tick: Commands, arm, estop, …
            }
            _supervisor.Tick(now, dt, _position, _velocity, _torque);
            inDriver = true;
            _driver.Apply(_torque);
            inDriver = false;
            var sent = false;
            if (stream && _link is not null)
            {
                _state.TimeMicroseconds = (ulong)(now * 1e6);
                _state.Sequence++;
                _state.ArmState = _supervisor.State;
                _state.Status = _supervisor.Status | (_overruns > 0 ? StatusFlags.LoopOverrun : StatusFlags.None) | (_lockstep ? StatusFlags.Lockstep : StatusFlags.None)
                    | (_link.Received.DroppedTotal > 0 ? StatusFlags.LinkErrors : StatusFlags.None);
                _state.Faults = _supervisor.Faults;
                _state.CommandEcho = (ushort)_supervisor.LastAnsweredState;
                _position.CopyTo(_state.Position);
                _velocity.CopyTo(_state.Velocity);
                _torque.CopyTo(_state.Torque);
                _supervisor.OnStateSent(_state.Sequence, now);
                sent = _link.TrySendState(_state);
            }
            inDriver = true;
            _driver.Advance(dt);
            _consecutiveExceptions = 0;
            return sent;
        }
        catch (Exception e)
        {
            _driver.Stop();
            if (inDriver)
            {
                _supervisor.OnDriverFault(e.Message);
            }
            else
            {
                _supervisor.OnException(e.Message);
            }
            _logQueue.Enqueue($"error: device loop tick failed{(inDriver ? " in the driver" : "")}: {e.GetType().Name}: {e.Message}");
            if (++_consecutiveExceptions >= 100)
            {
                _logQueue.Enqueue("error: 100 failed ticks in a row: device loop stops (torque zero)");
                _stopping = true;
            }
            return false;
        }
    }

    private void WaitForAnswer(uint sequence)
    {
        var clock = Stopwatch.StartNew();
        while (!_stopping && clock.Elapsed < LockstepTimeout)
        {
            _link!.Inbox.Drain(_supervisor);
            if (_supervisor.LastAnsweredState == sequence)
            {
                return;
            }
            _link.CommandArrived.Wait(TimeSpan.FromMilliseconds(5));
            _link.CommandArrived.Reset();
        }
    }

    private void DrainLog()
    {
        while (!_stopping || !_logQueue.IsEmpty)
        {
            while (_logQueue.TryDequeue(out var line))
            {
                _log(line);
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Loop timing for the console and run summaries.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"loop: {_parameters[_index.LoopRateHz]} Hz{(_lockstep ? " (lockstep)" : "")}, ticks {Ticks}, overruns {Overruns}, jitter p50 {Jitter.Percentile(0.5):F0} µs p99 {Jitter.Percentile(0.99):F0} µs max {Jitter.Max:F0} µs, tick p99 {TickTime.Percentile(0.99):F0} µs");

    private string DescribeJoints()
    {
        var parts = new string[_position.Length];
        for (var j = 0; j < parts.Length; j++)
        {
            parts[j] = string.Create(CultureInfo.InvariantCulture, $"j{j} pos {_position[j],8:F3} vel {_velocity[j],8:F3}");
        }
        var torque = string.Join(" ", _torque.Select(t => t.ToString("F3", CultureInfo.InvariantCulture)));
        return $"t {Now():F3} s  {_supervisor.State.ToString().ToLowerInvariant()}  {string.Join("  ", parts)}  torque {torque}";
    }

    /// <summary>The CSV telemetry's header: units in every name, a wrapped angle beside each joint's counted one.</summary>
    private string DescribeCsvHeader()
    {
        var b = new StringBuilder("t_s,armed,faults");
        for (var j = 0; j < _position.Length; j++)
        {
            b.Append(CultureInfo.InvariantCulture, $",q{j}_rad,q{j}_wrapped_rad,v{j}_rad_s");
        }
        for (var a = 0; a < _torque.Length; a++)
        {
            b.Append(CultureInfo.InvariantCulture, $",tau{a}_Nm");
        }
        return b.ToString();
    }

    /// <summary>One CSV line of telemetry (read on the housekeeping thread, as the text telemetry is).</summary>
    private string DescribeCsvRow()
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.Append(c, $"{Now():F4},{(_supervisor.State == RigArmState.Armed ? 1 : 0)},{(uint)_supervisor.Faults}");
        for (var j = 0; j < _position.Length; j++)
        {
            double q = _position[j];
            b.Append(c, $",{q:R},{Angles.Wrap(q):F6},{_velocity[j]:R}");
        }
        foreach (var t in _torque)
        {
            b.Append(c, $",{t:R}");
        }
        return b.ToString();
    }

    /// <summary>Stops the loop and the motors (torque zero).</summary>
    public void Dispose()
    {
        _stopping = true;
        _thread?.Join(2000);
        _driver.Stop();
        _logger?.Join(1000);
    }
}
