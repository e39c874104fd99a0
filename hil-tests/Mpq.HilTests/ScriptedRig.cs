using System.Diagnostics;
using System.Text;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>How a <see cref="ScriptedRig"/> breaks the protocol.</summary>
public enum Misbehaviour
{
    /// <summary>Keeps the protocol.</summary>
    None,

    /// <summary>Sends nothing at all (a dead rig, a pulled cable one way).</summary>
    Silent,

    /// <summary>Talks console text instead of frames, as a Firmware that went back to console mode does.</summary>
    ConsoleText,

    /// <summary>States with two joints (the handshake said one).</summary>
    TwoJoints,

    /// <summary>States with no joints.</summary>
    NoJoints,

    /// <summary>States whose arm byte is 9 (no such state; intact CRC).</summary>
    ArmByteNine,

    /// <summary>States whose position is NaN.</summary>
    NaNPosition,

    /// <summary>Keeps streaming the same State (same sequence) over and over.</summary>
    RepeatsItself,
}

/// <summary>
/// A rig that keeps the protocol until told to break it, on one end of a real socat pty pair: it answers Hello,
/// ParamSet/ParamGet and Arm as the Firmware does and streams States of a pendulum hanging at rest at 500 Hz, then,
/// on <see cref="Misbehave"/>, goes silent, talks console text, or sends States its handshake rules out. The
/// controller under test is a real <c>controller run</c> process on the other end. What it sent and received is kept
/// with timestamps: the referee for "no torque after the last fresh State".
/// </summary>
internal sealed class ScriptedRig : IDisposable
{
    private readonly SocatPair _pair;
    private readonly TtyTransport _line;
    private readonly FrameDecoder _decoder = new();
    private readonly FrameWriter _writer = new();
    private readonly byte[] _wire = new byte[Frame.MaxWireFrame];
    private readonly byte[] _raw = new byte[Frame.MaxRawFrame];
    private readonly Lock _gate = new();
    private readonly Thread _streamer;
    private readonly float _torqueLimit;
    private volatile bool _stopping;
    private volatile bool _armed;
    private volatile Misbehaviour _mode = Misbehaviour.None;
    private uint _sequence;

    /// <param name="torqueLimit">The torque limit its HelloAck reports (NaN, negative: a rig that lies).</param>
    /// <param name="name">The rig name in its HelloAck.</param>
    public ScriptedRig(float torqueLimit = 1, string name = "scripted-rig")
    {
        _torqueLimit = torqueLimit;
        Name = name;
        _pair = SocatPair.Create();
        _line = TtyTransport.Open(_pair.PathA);
        _line.Start(OnBytes);
        _streamer = new Thread(Stream) { IsBackground = true, Name = "scripted-rig" };
        _streamer.Start();
    }

    public string Name { get; }

    /// <summary>The pty the controller opens.</summary>
    public string ControllerPort => _pair.PathB;

    /// <summary>Commands received: when, and the first actuator's torque.</summary>
    public List<(long Timestamp, float Torque)> Commands { get; } = [];

    /// <summary>Other frames received (Hello, Arm, Disarm, ...), with when.</summary>
    public List<(long Timestamp, MessageType Type)> Events { get; } = [];

    /// <summary>When the last State that kept the protocol went out (0: none yet).</summary>
    public long LastGoodState { get; private set; }

    public bool Armed => _armed;

    /// <summary>From now on, break the protocol this way.</summary>
    public void Misbehave(Misbehaviour mode) => _mode = mode;

    /// <summary>Sends a Log frame with <paramref name="text"/> (escape sequences and all).</summary>
    public void SendLog(string text)
    {
        lock (_gate)
        {
            Send(new Log { Level = LogLevel.Warning, Text = text });
        }
    }

    /// <summary>Waits until the rig was armed and has streamed armed States for <paramref name="duration"/>.</summary>
    public bool WaitArmedFor(TimeSpan duration, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!_armed && clock.Elapsed < timeout)
        {
            Thread.Sleep(10);
        }
        if (!_armed)
        {
            return false;
        }
        Thread.Sleep(duration);
        return _armed;
    }

    public (long Timestamp, float Torque)[] CommandsSnapshot()
    {
        lock (_gate)
        {
            return [.. Commands];
        }
    }

    public (long Timestamp, MessageType Type)[] EventsSnapshot()
    {
        lock (_gate)
        {
            return [.. Events];
        }
    }

    private void OnBytes(ReadOnlySpan<byte> data)
    {
        var input = data;
        while (_decoder.TryDecode(ref input, out var message))
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                switch (message)
                {
                    case Command c:
                        Commands.Add((now, c.Torque[0]));
                        break;
                    case Heartbeat:
                        break;
                    default:
                        Events.Add((now, message.Type));
                        break;
                }
                if (_mode != Misbehaviour.None)
                {
                    continue; // a rig that broke the protocol answers nothing
                }
                switch (message)
                {
                    case Hello:
                        var ack = new HelloAck { RigName = Name, Joints = 1, Actuators = 1, LoopRateHz = 500 };
                        ack.TorqueLimit[0] = _torqueLimit;
                        ack.PositionMin[0] = -1e9f;
                        ack.PositionMax[0] = 1e9f;
                        ack.VelocityLimit[0] = 50;
                        Send(ack);
                        break;
                    case ParamSet set:
                        Send(new ParamValue { Status = ParamStatus.Ok, Name = set.Name, Kind = ParamKind.Integer, Value = set.Value, Min = 0, Max = 1e6, Index = 0, Count = 1 });
                        break;
                    case ParamGet get:
                        Send(new ParamValue { Status = ParamStatus.Ok, Name = get.Name, Kind = ParamKind.Real, Value = 1, Min = 0, Max = 1e6, Index = 0, Count = 1 });
                        break;
                    case Arm:
                        _armed = true;
                        break;
                    case Disarm:
                        _armed = false;
                        break;
                }
            }
        }
    }

    /// <summary>States at 500 Hz: a pendulum hanging at rest (θ = π from upright).</summary>
    private void Stream()
    {
        var state = new State { Joints = 1, Actuators = 1 };
        var two = new State { Joints = 2, Actuators = 1 };
        var none = new State { Joints = 0, Actuators = 1 };
        var clock = Stopwatch.StartNew();
        var consoleEvery = Stopwatch.StartNew();
        while (!_stopping)
        {
            Thread.Sleep(2);
            lock (_gate)
            {
                var mode = _mode;
                if (mode != Misbehaviour.RepeatsItself)
                {
                    _sequence++;
                }
                foreach (var s in (State[])[state, two, none])
                {
                    s.Sequence = _sequence;
                    s.TimeMicroseconds = (ulong)(clock.Elapsed.TotalMilliseconds * 1000);
                    s.ArmState = _armed ? RigArmState.Armed : RigArmState.Disarmed;
                    s.Status = StatusFlags.HandshakeDone;
                    s.Position.Fill((float)Math.PI);
                    s.Velocity.Clear();
                    s.Torque.Clear();
                }
                switch (mode)
                {
                    case Misbehaviour.None:
                        Send(state);
                        LastGoodState = Stopwatch.GetTimestamp();
                        break;
                    case Misbehaviour.Silent:
                        break;
                    case Misbehaviour.ConsoleText:
                        if (consoleEvery.ElapsedMilliseconds >= 100)
                        {
                            consoleEvery.Restart();
                            Write(Encoding.ASCII.GetBytes("\r\nconsole (link silent); type 'help'\r\nmpq> "));
                        }
                        break;
                    case Misbehaviour.TwoJoints:
                        Send(two);
                        break;
                    case Misbehaviour.NoJoints:
                        Send(none);
                        break;
                    case Misbehaviour.ArmByteNine:
                        // An intact frame (its CRC computed over the bad byte) whose arm byte names no state.
                        var length = FrameWriter.EncodeRaw(state, _raw);
                        _raw[Frame.HeaderSize + 12] = 9;
                        Write(_wire.AsSpan(0, FrameWriter.Finish(_raw.AsSpan(0, length), _writer.NextSequence++, _wire)));
                        break;
                    case Misbehaviour.NaNPosition:
                        state.Position[0] = float.NaN;
                        Send(state);
                        break;
                    case Misbehaviour.RepeatsItself:
                        Send(state);
                        break;
                }
            }
        }
    }

    private void Send(Message message) => Write(_wire.AsSpan(0, _writer.Write(message, _wire)));

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _line.Write(bytes);
        }
        catch (IOException)
        {
            // the controller's end is gone or not reading: a rig keeps going
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _streamer.Join(1000);
        _line.Dispose();
        _pair.Dispose();
    }
}
