using System.Diagnostics;
using Mpq.Common;
using Mpq.Protocol.Framing;
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
}

/// <summary>
/// The Controller's end of the rig link: handshake, the freshest State (the Firmware streams faster than the
/// Controller plans), and Commands. Received bytes are decoded on the transport's reader thread; Commands
/// are sent only by the planning thread.
/// </summary>
public sealed class RigClient : IDisposable
{
    private readonly ISerialTransport _transport;
    private readonly FrameDecoder _decoder = new();
    private readonly FrameWriter _writer = new();
    private readonly byte[] _tx = new byte[Frame.MaxWireFrame];
    private readonly Lock _stateGate = new();
    private readonly Lock _txGate = new();
    private readonly Command _command = new();
    private readonly ManualResetEventSlim _ackArrived = new();
    private readonly ManualResetEventSlim _stateArrived = new();
    private readonly ManualResetEventSlim _paramArrived = new();
    private readonly uint[] _sentSequence = new uint[256];
    private readonly long[] _sentAt = new long[256];
    private ushort _lastEcho;
    private (ParamStatus Status, double Value, string Name) _lastParam;
    private RigSnapshot? _latest;
    private Thread? _heartbeat;
    private volatile bool _stopping;
    private long _states;
    private volatile string? _failure;

    public RigClient(ISerialTransport transport, Action<string> log)
    {
        _transport = transport;
        Log = log;
        transport.Failed += reason =>
        {
            _failure = reason;
            log($"link: {reason}");
            _stateArrived.Set();
        };
        transport.Start(OnBytes);
    }

    public Action<string> Log { get; }
    public HelloAck? Rig { get; private set; }
    public long StatesReceived => Interlocked.Read(ref _states);
    public DecoderStats Received => _decoder.Stats;

    /// <summary>Frames of every type sent so far (Commands, Heartbeats, Arm, ...).</summary>
    public long FramesSent
    {
        get
        {
            lock (_txGate)
            {
                return _writer.FramesWritten;
            }
        }
    }

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
    public HelloAck Handshake(TimeSpan timeout)
    {
        if (!RepeatUntil(new Hello { Name = "mpq-controller" }, _ackArrived, timeout))
        {
            throw new IOException($"no HelloAck from the rig within {timeout.TotalSeconds:F1} s (is the firmware running on the other end of the line?)");
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
            return true;
        }
    }

    /// <summary>Waits for the next State (or a link failure) up to <paramref name="timeout"/>.</summary>
    public bool WaitForState(TimeSpan timeout)
    {
        _stateArrived.Reset();
        return _stateArrived.Wait(timeout) && _failure is null;
    }

    /// <summary>Sends torques answering State <paramref name="answers"/>; valid for <paramref name="validityMs"/>.</summary>
    public void SendCommand(uint answers, ReadOnlySpan<double> torque, ushort validityMs)
    {
        lock (_txGate)
        {
            _command.Actuators = torque.Length;
            _command.AnswersState = answers;
            _command.ValidityMilliseconds = validityMs;
            for (var i = 0; i < torque.Length; i++)
            {
                _command.Torque[i] = (float)torque[i];
            }
            var n = _writer.Write(_command, _tx);
            var slot = answers & 255;
            _sentSequence[slot] = answers;
            Volatile.Write(ref _sentAt[slot], Stopwatch.GetTimestamp());
            WriteOrCount(n);
        }
    }

    /// <summary>Writes that timed out (the rig's end did not read for 100 ms): the frame was lost, the run went on.</summary>
    public long WriteTimeouts => Interlocked.Read(ref _writeTimeouts);

    private long _writeTimeouts;

    /// <summary>
    /// A stalled line loses this frame, not the run: a lost Command starves the rig's watchdog, which stops the rig by
    /// itself; a lost Heartbeat or request is repeated. A failed line still throws.
    /// </summary>
    private void WriteOrCount(int length)
    {
        try
        {
            _transport.Write(_tx.AsSpan(0, length));
        }
        catch (WriteTimeoutException)
        {
            Interlocked.Increment(ref _writeTimeouts);
        }
    }

    /// <summary>Sets a rig parameter and waits for the rig's answer; returns its status and the value in force.</summary>
    public (ParamStatus Status, double Value) SetParameter(string name, double value, TimeSpan timeout)
    {
        _paramArrived.Reset();
        // Setting a value twice is harmless; a lost ParamSet or answer is not: repeat until answered.
        if (!RepeatUntil(new ParamSet { Name = name, Value = value }, _paramArrived, timeout) || _lastParam.Name != name)
        {
            throw new IOException($"the rig did not answer setting '{name}' within {timeout.TotalSeconds:F1} s");
        }
        return (_lastParam.Status, _lastParam.Value);
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

    public void Send(Message message)
    {
        lock (_txGate)
        {
            var n = _writer.Write(message, _tx);
            WriteOrCount(n);
        }
    }

    private void HeartbeatLoop()
    {
        var beat = new Heartbeat();
        var clock = Stopwatch.StartNew();
        while (!_stopping && _failure is null)
        {
            beat.TimeMicroseconds = (ulong)(clock.Elapsed.TotalMilliseconds * 1000);
            try
            {
                Send(beat);
            }
            catch (IOException)
            {
                return;
            }
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
                    lock (_stateGate)
                    {
                        _latest ??= new RigSnapshot(s.Joints);
                        if (_latest.Position.Length == s.Joints)
                        {
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
                        }
                    }
                    Interlocked.Increment(ref _states);
                    TimeRoundTrip(s.CommandEcho);
                    _stateArrived.Set();
                    break;
                case HelloAck ack:
                    var copy = new HelloAck { RigName = ack.RigName, Joints = ack.Joints, Actuators = ack.Actuators, LoopRateHz = ack.LoopRateHz, ProtocolVersion = ack.ProtocolVersion };
                    ack.TorqueLimit.CopyTo(copy.TorqueLimit);
                    Rig = copy;
                    _ackArrived.Set();
                    break;
                case ParamValue v:
                    _lastParam = (v.Status, v.Value, v.Name);
                    _paramArrived.Set();
                    break;
                case Mpq.Protocol.Messages.Log l:
                    Log($"rig: {l.Text}");
                    break;
                case Fault f:
                    Log($"rig fault {f.Faults}: {f.Text}");
                    break;
            }
        }
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
        _ackArrived.Dispose();
        _stateArrived.Dispose();
        _paramArrived.Dispose();
    }
}
