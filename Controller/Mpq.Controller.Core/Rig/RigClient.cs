using System.Diagnostics;
using System.Globalization;
using Mpq.Common;
using Mpq.Common.Cli;
using Mpq.Common.Text;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.Controller.Rig;

/// <summary>The freshest State from the rig, copied out of the reader thread.</summary>
public sealed class RigSnapshot(int joints)
{
    public uint Sequence;
    public long ArrivalTimestamp;
    public RigArmState Arm;
    public FaultBits Faults;
    public StatusFlags Status;
    public readonly double[] Position = new double[joints];
    public readonly double[] Velocity = new double[joints];

    /// <summary>The torque the rig applied in the tick this State reports (after its own limits and slew), per actuator.</summary>
    public double[] Torque = [];
}

/// <summary>The rig's answer to a parameter request: status, the value in force, its kind, range and index, and the table's size.</summary>
public sealed record RigParameter(ParamStatus Status, string Name, ParamKind Kind, double Value, double Min, double Max, int Index, int Count);

/// <summary>
/// The Controller's end of the rig link: handshake, the freshest State (the Firmware streams faster than the
/// Controller plans), and Commands. Received bytes are decoded on the transport's reader thread; Commands
/// are sent only by the planning thread.
/// </summary>
public sealed class RigClient : IDisposable
{
    private readonly ISerialTransport _transport;
    private readonly FrameDecoder _decoder = new();
    private readonly FrameSender _sender;
    private readonly Lock _stateGate = new();
    private readonly Command _command = new();
    private readonly double[] _commanded = new double[Mpq.Protocol.Framing.Frame.MaxJoints];
    private int _commandedCount;
    private readonly ManualResetEventSlim _ackArrived = new();
    private readonly ManualResetEventSlim _stateArrived = new();
    private readonly ManualResetEventSlim _paramArrived = new();
    private readonly uint[] _sentSequence = new uint[256];
    private readonly long[] _sentAt = new long[256];
    private ushort _lastEcho;
    private RigParameter? _lastParam;
    private readonly Lock _paramGate = new(); // one request and its answer at a time
    private RigSnapshot? _latest;
    private Thread? _heartbeat;
    private volatile bool _stopping;
    private long _states;
    private long _statesIgnored;
    private bool _haveState; // under _stateGate
    private volatile string? _failure;
    private volatile string? _ackProblem;
    private volatile bool _violation;

    /// <param name="transport">The serial line to the rig (not yet started).</param>
    /// <param name="log">Where the link's messages go.</param>
    /// <param name="realtimePriority">
    /// SCHED_FIFO priority of the line's reader and writer threads (0: normal scheduling): a control loop at a real-time
    /// priority is no better than the threads that carry its Commands and States. Measured on a 2-core machine with a
    /// dotnet build beside a real-time loop: Commands waited up to 90 ms behind the build for the normal-priority writer,
    /// and the rig's 125-ms watchdog tripped 3 minutes into an online-learning run.
    /// </param>
    public RigClient(ISerialTransport transport, Action<string> log, int realtimePriority = 0)
    {
        _transport = transport;
        Log = log;
        transport.Failed += Fail;
        transport.ReaderRealtimePriority = realtimePriority;
        // The one writer of the line, as on the rig's side: the loop's Commands go through its lock-free ring, all
        // else through its queue, so no caller ever waits for the tty. A write that fails outright (not a timeout:
        // a hung-up port) is a lost link, even before the reader has seen the line die.
        _sender = new FrameSender(transport.Write, name: "controller-line-writer",
            onWriterStart: realtimePriority > 0 ? () => WriterPriorityReport = RealtimeScheduling.TryElevateCurrentThread(realtimePriority) : null,
            onWriteFailed: e =>
            {
                if (e is not WriteTimeoutException)
                {
                    Fail($"write failed: {e.Message}");
                }
            });
        transport.Start(OnBytes);
    }

    public Action<string> Log { get; }

    /// <summary>How the line's writer thread is scheduled (null: normal scheduling was asked for).</summary>
    public string? WriterPriorityReport { get; private set; }
    public HelloAck? Rig { get; private set; }
    public long StatesReceived => Interlocked.Read(ref _states);

    /// <summary>States that were no news (a sequence not newer than the last taken) or came before the handshake: never used.</summary>
    public long StatesIgnored => Interlocked.Read(ref _statesIgnored);
    public DecoderStats Received => _decoder.Stats;

    /// <summary>Frames of every type written to the line so far (Commands, Heartbeats, Arm, ...).</summary>
    public long FramesSent => _sender.FramesWritten;

    /// <summary>Frames dropped before the line because the writer was behind (the line stalled).</summary>
    public long FramesDropped => _sender.Dropped;

    private void Fail(string reason) => Fail(reason, violation: false);

    /// <summary>The link ends: the line failed, or (<paramref name="violation"/>) the rig broke its handshake's rules.</summary>
    private void Fail(string reason, bool violation)
    {
        if (_failure is null)
        {
            _violation = violation;
            _failure = reason;
            Log($"link: {reason}");
        }
        _stateArrived.Set();
    }

    /// <summary>Whether <see cref="Failure"/> is the rig breaking its own handshake's rules rather than a failed line.</summary>
    public bool FailureIsProtocolViolation => _failure is not null && _violation;

    /// <summary>
    /// Link round trip in ms: a Command sent → the first State whose command echo names it (so it includes the
    /// wait for the rig's next tick). Written by the reader thread; read by reports as an approximate snapshot.
    /// </summary>
    public LatencyRecorder RoundTrip { get; } = new(1 << 14);

    /// <summary>Why the link failed, or null while it is up.</summary>
    public string? Failure => _failure;

    /// <summary>
    /// Hello → HelloAck, the Hello repeated every 50 ms (a noisy line loses frames); throws with the reason if
    /// the rig does not answer in time.
    /// </summary>
    /// <exception cref="IOException">No HelloAck in time.</exception>
    /// <exception cref="SafetyStopException">The rig's HelloAck cannot be planned within (limits not finite and positive, no joints, another protocol).</exception>
    public HelloAck Handshake(TimeSpan timeout)
    {
        if (!RepeatUntil(new Hello { Name = "mpq-controller" }, _ackArrived, timeout))
        {
            throw new IOException($"no HelloAck from the rig within {timeout.TotalSeconds:F1} s (is the firmware running on the other end of the line?)");
        }
        if (_ackProblem is { } problem)
        {
            throw new SafetyStopException($"{problem}: not arming it");
        }
        // Keep the link alive while the planner sets up: heartbeats hold off the rig's link timeout but never feed
        // its command watchdog, so they cannot hide a hung planner.
        _heartbeat ??= new Thread(HeartbeatLoop) { IsBackground = true, Name = "controller-heartbeat" };
        if (!_heartbeat.IsAlive)
        {
            _heartbeat.Start();
        }
        return Rig!;
    }

    /// <summary>Copies the freshest State into <paramref name="into"/>; false if none arrived yet.</summary>
    public bool TryGetLatest(RigSnapshot into)
    {
        lock (_stateGate)
        {
            if (_latest is null)
            {
                return false;
            }
            into.Sequence = _latest.Sequence;
            into.ArrivalTimestamp = _latest.ArrivalTimestamp;
            into.Arm = _latest.Arm;
            into.Faults = _latest.Faults;
            into.Status = _latest.Status;
            _latest.Position.CopyTo(into.Position, 0);
            _latest.Velocity.CopyTo(into.Velocity, 0);
            if (into.Torque.Length != _latest.Torque.Length)
            {
                into.Torque = new double[_latest.Torque.Length]; // once: the actuator count never changes in a session
            }
            _latest.Torque.CopyTo(into.Torque, 0);
            return true;
        }
    }

    /// <summary>Waits for the next State (or a link failure) up to <paramref name="timeout"/>.</summary>
    public bool WaitForState(TimeSpan timeout)
    {
        _stateArrived.Reset();
        return _stateArrived.Wait(timeout) && _failure is null;
    }

    /// <summary>
    /// Sends torques answering State <paramref name="answers"/>; valid for <paramref name="validityMs"/>. For the
    /// control loop's thread only (one producer): a lock-free post that never waits; a full ring drops the Command
    /// (counted in <see cref="FramesDropped"/>), and the rig's watchdog sees a missing Command as it must.
    /// </summary>
    public void SendCommand(uint answers, ReadOnlySpan<double> torque, ushort validityMs)
    {
        _command.Actuators = torque.Length;
        _command.AnswersState = answers;
        _command.ValidityMilliseconds = validityMs;
        for (var i = 0; i < torque.Length; i++)
        {
            _command.Torque[i] = (float)torque[i];
            _commanded[i] = torque[i];
        }
        Volatile.Write(ref _commandedCount, torque.Length);
        var slot = answers & 255;
        _sentSequence[slot] = answers;
        Volatile.Write(ref _sentAt[slot], Stopwatch.GetTimestamp());
        _sender.TryPostRealtime(_command);
    }

    /// <summary>
    /// The torques of the last Command sent, for views on other threads (the dashboard); returns how many. A copy taken
    /// while the loop sends may mix two steps' values: fine for a plot, never used for control.
    /// </summary>
    public int CopyCommanded(Span<double> into)
    {
        var n = Math.Min(Volatile.Read(ref _commandedCount), into.Length);
        _commanded.AsSpan(0, n).CopyTo(into);
        return n;
    }

    /// <summary>Writes that failed or timed out (the rig's end did not read for 100 ms): the frame was lost, the run went on.</summary>
    public long WriteTimeouts => _sender.WriteFailures;

    /// <summary>Waits up to <paramref name="timeout"/> until every frame posted so far is on the line (before exiting: the last Disarm).</summary>
    public bool Flush(TimeSpan timeout) => _sender.Flush(timeout);

    /// <summary>Sets a rig parameter and waits for the rig's answer; returns its status and the value in force.</summary>
    public (ParamStatus Status, double Value) SetParameter(string name, double value, TimeSpan timeout)
    {
        var answer = Request(new ParamSet { Name = name, Value = value }, a => a.Name == name, $"setting '{name}'", timeout);
        return (answer.Status, answer.Value);
    }

    /// <summary>Reads one rig parameter (name, value, kind, range).</summary>
    /// <exception cref="IOException">No answer within <paramref name="timeout"/>.</exception>
    public RigParameter GetParameter(string name, TimeSpan timeout) =>
        Request(new ParamGet { Name = name }, a => a.Name == name || a.Status == ParamStatus.UnknownName, $"reading '{name}'", timeout);

    /// <summary>Reads the rig's whole parameter table, one ParamList per index.</summary>
    /// <exception cref="IOException">An entry was not answered within <paramref name="timeoutEach"/>.</exception>
    public IReadOnlyList<RigParameter> ListParameters(TimeSpan timeoutEach)
    {
        var all = new List<RigParameter>();
        for (var i = 0; i < (all.Count == 0 ? 1 : all[0].Count) && i < 1024; i++)
        {
            var index = i;
            var answer = Request(new ParamList { Index = (ushort)i }, a => a.Index == index || a.Status == ParamStatus.IndexOutOfRange, $"listing entry {i}", timeoutEach);
            if (answer.Status != ParamStatus.Ok)
            {
                break;
            }
            all.Add(answer);
        }
        return all;
    }

    private RigParameter Request(Message request, Func<RigParameter, bool> answers, string what, TimeSpan timeout)
    {
        lock (_paramGate)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                _paramArrived.Reset();
                // Asking twice is harmless; a lost request or answer is not: repeat until answered.
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero || !RepeatUntil(request, _paramArrived, left))
                {
                    throw new IOException($"the rig did not answer {what} within {timeout.TotalSeconds:F1} s");
                }
                if (_lastParam is { } answer && answers(answer))
                {
                    return answer;
                }
                // an answer to an earlier, repeated request: wait for ours
            }
        }
    }

    /// <summary>Sends <paramref name="message"/> every 50 ms until <paramref name="answered"/> is set or <paramref name="timeout"/> passes.</summary>
    private bool RepeatUntil(Message message, ManualResetEventSlim answered, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        do
        {
            Send(message);
            var left = timeout - clock.Elapsed;
            if (answered.Wait(left < RepeatEvery ? left : RepeatEvery))
            {
                return true;
            }
        }
        while (clock.Elapsed < timeout && _failure is null);
        return answered.IsSet;
    }

    // A round trip takes a few ms. At a 1e-3 bit error rate about one request-and-answer in three is lost, so a
    // 1 s request needs many tries: every 250 ms gave four, all lost about once in fifty runs (0.38^4; CI hit it).
    private static readonly TimeSpan RepeatEvery = TimeSpan.FromMilliseconds(50);

    /// <summary>Posts <paramref name="message"/> to the line's writer; never waits. False when a full queue dropped it (counted).</summary>
    public bool Send(Message message) => _sender.TryPost(message);

    private void HeartbeatLoop()
    {
        var beat = new Heartbeat();
        var clock = Stopwatch.StartNew();
        while (!_stopping && _failure is null)
        {
            beat.TimeMicroseconds = (ulong)(clock.Elapsed.TotalMilliseconds * 1000);
            Send(beat);
            Thread.Sleep(200);
        }
    }

    private void OnBytes(ReadOnlySpan<byte> data)
    {
        var input = data;
        while (_decoder.TryDecode(ref input, out var message))
        {
            switch (message)
            {
                case State s:
                    OnState(s);
                    break;
                case HelloAck ack:
                    OnHelloAck(ack);
                    break;
                case ParamValue v:
                    _lastParam = new RigParameter(v.Status, v.Name, v.Kind, v.Value, v.Min, v.Max, v.Index, v.Count);
                    _paramArrived.Set();
                    break;
                case Mpq.Protocol.Messages.Log l:
                    Log($"rig: {TerminalText.Printable(l.Text)}");
                    break;
                case Fault f:
                    Log($"rig fault {f.Faults}: {TerminalText.Printable(f.Text)}");
                    break;
            }
        }
    }

    /// <summary>
    /// A State is checked against the handshake before anything reads it: the joint and actuator counts the HelloAck
    /// gave, finite numbers, and a sequence newer than the last one taken (a repeated or older State is no news, so it
    /// never makes the freshest State look younger). One that breaks the handshake's rules fails the link: a rig
    /// that says something else than it promised cannot be controlled.
    /// </summary>
    private void OnState(State s)
    {
        if (Rig is not { } rig)
        {
            Interlocked.Increment(ref _statesIgnored); // a session of someone else's still streaming: no handshake, no State
            return;
        }
        if (s.Joints != rig.Joints || s.Actuators != rig.Actuators)
        {
            Fail($"rig '{rig.RigName}' sent a State with {s.Joints} joint(s) and {s.Actuators} actuator(s); its handshake said {rig.Joints} and {rig.Actuators}", violation: true);
            return;
        }
        if (!AllFinite(s.Position) || !AllFinite(s.Velocity) || !AllFinite(s.Torque))
        {
            Fail($"rig '{rig.RigName}' sent a State with a position, velocity or torque that is not a finite number", violation: true);
            return;
        }
        lock (_stateGate)
        {
            _latest ??= new RigSnapshot(rig.Joints) { Torque = new double[rig.Actuators] };
            if (_haveState && (int)(s.Sequence - _latest.Sequence) <= 0)
            {
                Interlocked.Increment(ref _statesIgnored);
                return;
            }
            _haveState = true;
            _latest.Sequence = s.Sequence;
            _latest.ArrivalTimestamp = Stopwatch.GetTimestamp();
            _latest.Arm = s.ArmState;
            _latest.Faults = s.Faults;
            _latest.Status = s.Status;
            for (var j = 0; j < s.Joints; j++)
            {
                _latest.Position[j] = s.Position[j];
                _latest.Velocity[j] = s.Velocity[j];
            }
            for (var a = 0; a < s.Actuators; a++)
            {
                _latest.Torque[a] = s.Torque[a];
            }
        }
        Interlocked.Increment(ref _states);
        TimeRoundTrip(s.CommandEcho);
        _stateArrived.Set();
    }

    /// <summary>The first HelloAck is the session's contract; one whose limits cannot be planned within is refused (<see cref="Handshake"/> says why).</summary>
    private void OnHelloAck(HelloAck ack)
    {
        if (Rig is not null)
        {
            return; // an answer to a repeated Hello: the first one stands
        }
        var copy = new HelloAck
        {
            RigName = PrintableName(ack.RigName),
            Joints = ack.Joints,
            Actuators = ack.Actuators,
            LoopRateHz = ack.LoopRateHz,
            ProtocolVersion = ack.ProtocolVersion,
        };
        ack.TorqueLimit.CopyTo(copy.TorqueLimit);
        ack.PositionMin.CopyTo(copy.PositionMin);
        ack.PositionMax.CopyTo(copy.PositionMax);
        ack.VelocityLimit.CopyTo(copy.VelocityLimit);
        _ackProblem = HelloAckProblem(copy);
        if (_ackProblem is null)
        {
            Rig = copy;
        }
        _ackArrived.Set();
    }

    /// <summary>The rig's name as a terminal may show it (escapes for control characters), cut to the field's 31 UTF-8 bytes.</summary>
    private static string PrintableName(string name)
    {
        var printable = TerminalText.Printable(name);
        while (System.Text.Encoding.UTF8.GetByteCount(printable) > 31)
        {
            printable = printable[..^1];
        }
        return printable;
    }

    /// <summary>Why a HelloAck cannot be the contract of a session, or null.</summary>
    internal static string? HelloAckProblem(HelloAck ack)
    {
        var rig = $"rig '{ack.RigName}'";
        if (ack.ProtocolVersion != Frame.ProtocolVersion)
        {
            return $"{rig} speaks protocol {ack.ProtocolVersion}, this controller {Frame.ProtocolVersion}";
        }
        if (ack.Joints < 1 || ack.Actuators < 1)
        {
            return $"{rig} reports {ack.Joints} joint(s) and {ack.Actuators} actuator(s) in its handshake; a rig has at least one of each";
        }
        if (ack.LoopRateHz == 0)
        {
            return $"{rig} reports a loop rate of 0 Hz in its handshake";
        }
        for (var a = 0; a < ack.Actuators; a++)
        {
            var limit = ack.TorqueLimit[a];
            if (!float.IsFinite(limit) || limit <= 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{rig} reports a torque limit of {limit} for actuator {a} in its handshake; it must be a finite number above 0 (check its torque_limit)");
            }
        }
        for (var j = 0; j < ack.Joints; j++)
        {
            var (min, max, speed) = (ack.PositionMin[j], ack.PositionMax[j], ack.VelocityLimit[j]);
            if (float.IsNaN(min) || float.IsNaN(max) || min > max || !float.IsFinite(speed) || speed < 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{rig} reports joint {j} limits position [{min}, {max}], velocity {speed} in its handshake; they must be numbers with min ≤ max and a finite velocity limit ≥ 0");
            }
        }
        return null;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }

    private void TimeRoundTrip(ushort echo)
    {
        if (echo == _lastEcho)
        {
            return;
        }
        _lastEcho = echo;
        var slot = echo & 255;
        var sentAt = Volatile.Read(ref _sentAt[slot]);
        if (sentAt != 0 && (ushort)_sentSequence[slot] == echo)
        {
            RoundTrip.RecordSince(sentAt);
            Volatile.Write(ref _sentAt[slot], 0);
        }
    }

    /// <summary>Stops the Heartbeats: after this, nothing more is sent unless the owner sends it.</summary>
    public void StopHeartbeats()
    {
        _stopping = true;
        _heartbeat?.Join(1000);
    }

    public void Dispose()
    {
        StopHeartbeats();
        _sender.Flush(TimeSpan.FromSeconds(1));
        _sender.Dispose();
        _ackArrived.Dispose();
        _stateArrived.Dispose();
        _paramArrived.Dispose();
    }
}
