using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.Firmware.Bench;

/// <summary>
/// The controller's (or a person's) end of a socat pty pair whose other end a firmware opens (<see cref="FirmwarePort"/>):
/// sends frames, bursts, garbage or typed text, and records every State and other frame that comes back.
/// </summary>
/// <remarks>
/// The firmware is either in the peer's process (the tests' harness derives from this and starts it) or its own
/// (<see cref="FirmwareProcess"/>: for measurements that a flooding peer must not disturb, as its allocations and GC
/// pauses would otherwise land in the loop's process).
/// </remarks>
public class FirmwarePeer : IDisposable
{
    private readonly SocatPair _pair;
    private readonly TtyTransport _peer;
    private readonly FrameDecoder _decoder = new();
    private readonly FrameWriter _writer = new();
    private readonly byte[] _buffer = new byte[Frame.MaxWireFrame];
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();
    private readonly Lock _sendGate = new();
    private byte[] _burst = [];

    public FirmwarePeer()
    {
        _pair = SocatPair.Create();
        _peer = TtyTransport.Open(_pair.PathB);
    }

    /// <summary>The pty the firmware opens.</summary>
    public string FirmwarePort => _pair.PathA;

    /// <summary>Starts reading the peer's end (once the firmware is there).</summary>
    public void StartReading() => _peer.Start(OnBytes);

    /// <summary>Every State received: arrival timestamp and a copy of the fields the tests check.</summary>
    public BlockingCollection<(long At, uint Sequence, RigArmState Arm, float Torque, FaultBits Faults)> States { get; } = new();

    public ConcurrentQueue<Message> Others { get; } = new();

    /// <summary>Whether frames other than State are kept in <see cref="Others"/> (off for floods: the copies are garbage the
    /// firmware's loop, in this same process, would pay for in GC pauses).</summary>
    public bool RecordOthers { get; set; } = true;
    public ManualResetEventSlim OtherArrived { get; } = new();

    /// <summary>While reset, the peer stops reading its end of the line (a stuck controller): the firmware's output backs up.</summary>
    public ManualResetEventSlim Reading { get; } = new(true);

    /// <summary>Sequence of the newest State received.</summary>
    public uint LatestSequence => Volatile.Read(ref _latestSequence);

    private uint _latestSequence;

    /// <summary>Writes raw bytes from the peer's side (garbage, floods).</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes) => _peer.Write(bytes);

    private void OnBytes(ReadOnlySpan<byte> data)
    {
        Reading.Wait();
        var at = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            foreach (var b in data)
            {
                if (RecordOthers && b is >= 0x20 and < 0x7F or (byte)'\r' or (byte)'\n' or 0x08 or 0x1B) // text, line ends, backspace and escape (echo)
                {
                    _text.Append((char)b);
                }
            }
            var input = data;
            while (_decoder.TryDecode(ref input, out var m))
            {
                if (m is State s)
                {
                    Volatile.Write(ref _latestSequence, s.Sequence);
                    States.Add((at, s.Sequence, s.ArmState, s.Torque[0], s.Faults));
                }
                else if (RecordOthers || m is HelloAck)
                {
                    Others.Enqueue(Copy(m));
                    OtherArrived.Set();
                }
            }
        }
    }

    private static Message Copy(Message m)
    {
        // Decoded instances are reused: keep our own.
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Encode(m, 0, wire, new byte[Frame.MaxRawFrame]);
        ReadOnlySpan<byte> input = wire.AsSpan(0, n);
        new FrameDecoder().TryDecode(ref input, out var copy);
        return copy!;
    }

    /// <summary>
    /// Sends one frame (thread-safe: a flood and the commanding thread may share the peer). It goes before the next burst
    /// of a flood: a controller's Command is not held back by the flood it is measured under (the lock alone is not fair).
    /// </summary>
    public long Send(Message message)
    {
        Interlocked.Increment(ref _framesWaiting);
        try
        {
            lock (_sendGate)
            {
                var n = _writer.Write(message, _buffer);
                var at = Stopwatch.GetTimestamp();
                _peer.Write(_buffer.AsSpan(0, n));
                return at;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _framesWaiting);
        }
    }

    private int _framesWaiting;

    /// <summary>Sends <paramref name="count"/> copies of one frame in a single write (a flood), after any single frame waiting to go.</summary>
    public void SendBurst(Message message, int count)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _framesWaiting) > 0)
        {
            spin.SpinOnce();
        }
        lock (_sendGate)
        {
            var burst = _burst.Length >= count * Frame.MaxWireFrame ? _burst : _burst = new byte[count * Frame.MaxWireFrame];
            var n = 0;
            for (var i = 0; i < count; i++)
            {
                n += _writer.Write(message, burst.AsSpan(n));
            }
            _peer.Write(burst.AsSpan(0, n));
        }
    }

    public void Type(string line) => _peer.Write(Encoding.ASCII.GetBytes(line + "\r"));

    /// <summary>Sends keystrokes as they are (no line end added): control keys, escape sequences.</summary>
    public void Keys(string keys) => _peer.Write(Encoding.ASCII.GetBytes(keys));

    /// <summary>Waits until the received text contains <paramref name="marker"/> after the previous call's end; returns that text.</summary>
    public string ReadTextUntil(string marker, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(5)))
        {
            lock (_gate)
            {
                var all = _text.ToString();
                var i = all.IndexOf(marker, StringComparison.Ordinal);
                if (i >= 0)
                {
                    _text.Remove(0, i + marker.Length);
                    return all[..(i + marker.Length)];
                }
            }
            Thread.Sleep(5);
        }
        lock (_gate)
        {
            throw new TimeoutException($"'{marker}' not received; got: {_text}");
        }
    }

    public T WaitFor<T>(TimeSpan? timeout = null) where T : Message
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(5)))
        {
            while (Others.TryDequeue(out var m))
            {
                if (m is T t)
                {
                    return t;
                }
            }
            OtherArrived.Wait(20);
            OtherArrived.Reset();
        }
        throw new TimeoutException($"no {typeof(T).Name} received");
    }

    /// <summary>Takes States until one matches, or throws after the timeout.</summary>
    public (long At, uint Sequence, RigArmState Arm, float Torque, FaultBits Faults) NextState(Func<(long At, uint Sequence, RigArmState Arm, float Torque, FaultBits Faults), bool> match, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        while (clock.Elapsed < limit)
        {
            if (States.TryTake(out var s, 50) && match(s))
            {
                return s;
            }
        }
        throw new TimeoutException("no matching State received");
    }

    public void DrainStates()
    {
        while (States.TryTake(out _))
        {
        }
    }

    /// <summary>Hello → HelloAck: the port goes binary and the rig may be armed.</summary>
    public HelloAck Handshake()
    {
        Send(new Hello { Name = "test-controller" });
        return WaitFor<HelloAck>();
    }

    /// <summary>Stops an in-process firmware (torque zero) before the line goes; nothing by default.</summary>
    protected virtual void DisposeFirmware()
    {
    }

    public void Dispose()
    {
        Reading.Set();
        DisposeFirmware();
        _peer.Dispose();
        _pair.Dispose();
        States.Dispose();
        OtherArrived.Dispose();
        Reading.Dispose();
    }
}
