using System.Collections.Concurrent;
using System.Diagnostics;
using Mpq.Common;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>
/// A bad cable between the Firmware and the Controller: two socat pty pairs with this relay between them,
/// copying bytes both ways through the kernel's tty layer and injecting faults on the way — bit flips at a
/// given rate, dropped bytes, dropped frames, delay and jitter, a pause (cable unplugged: bytes lost), a
/// hang-up. It also decodes both streams as sent (before the faults) to be the tests' referee: which
/// Commands the Controller sent and when, which States (torque, arm state) the Firmware reported.
/// </summary>
internal sealed class FaultRelay : IDisposable
{
    private static readonly TimeSpan CableWriteTimeout = TimeSpan.FromSeconds(10);

    private readonly SocatPair _rigPair;
    private SocatPair _controllerPair;
    private readonly TtyTransport _rigEnd;
    private TtyTransport? _controllerEnd;
    private long _pausedUntil;

    /// <param name="seed">The faults' random sequence.</param>
    /// <param name="expectedSeconds">How long the traffic will flow: the records are allocated for that much at once. Growing
    /// a list of a quarter million States copies it into a new 20 MB array while bytes wait (a 49 ms relay stall, 524.9 s
    /// into a soak: when the States passed 2^18).</param>
    public FaultRelay(ulong seed = 1, double expectedSeconds = 0)
    {
        _rigPair = SocatPair.Create();
        _controllerPair = SocatPair.Create();
        // A cable never drops bytes because the far end is slow: the relay waits for it (the programs' own transports
        // give up after 100 ms, which is theirs to handle).
        _rigEnd = TtyTransport.Open(_rigPair.PathB);
        _rigEnd.WriteTimeout = CableWriteTimeout;
        _controllerEnd = TtyTransport.Open(_controllerPair.PathA);
        _controllerEnd.WriteTimeout = CableWriteTimeout;
        // States come at up to 500 Hz, Commands at up to 100 Hz, other messages (heartbeats, acknowledgements) a few a second.
        var seconds = Math.Max(0, expectedSeconds) + 30;
        ToRig = new Direction(this, "controller→rig", () => _rigEnd, seed, (0, (int)(120 * seconds), (int)(20 * seconds)));
        ToController = new Direction(this, "rig→controller", () => _controllerEnd, seed + 1, ((int)(520 * seconds), 0, (int)(20 * seconds)));
        _rigEnd.Start(ToController.OnBytes);
        _controllerEnd.Start(ToRig.OnBytes);
    }

    /// <summary>The pty the Firmware opens.</summary>
    public string FirmwarePort => _rigPair.PathA;

    /// <summary>The pty the Controller opens.</summary>
    public string ControllerPort => Volatile.Read(ref _controllerPair).PathB;

    /// <summary>Controller → Firmware: Commands, Arm, EStop, Heartbeats.</summary>
    public Direction ToRig { get; }

    /// <summary>Firmware → Controller: States, acknowledgements, logs.</summary>
    public Direction ToController { get; }

    /// <summary>Pulls the cable for <paramref name="duration"/>: every byte either way in that time is lost.</summary>
    public void Pause(TimeSpan duration) =>
        Volatile.Write(ref _pausedUntil, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));

    internal bool Paused => Stopwatch.GetTimestamp() < Volatile.Read(ref _pausedUntil);

    /// <summary>Hangs up the Controller's side as an unplugged USB adapter does: its pty reports end of file.</summary>
    public void HangUpController()
    {
        var end = Interlocked.Exchange(ref _controllerEnd, null);
        end?.Dispose();
        _controllerPair.Dispose(); // socat exits: the Controller's end of the pair hangs up
    }

    /// <summary>Plugs the cable back in: a new pty for the Controller (a re-enumerated USB adapter), same Firmware side.</summary>
    public void ReopenController()
    {
        var pair = SocatPair.Create();
        var end = TtyTransport.Open(pair.PathA);
        end.WriteTimeout = CableWriteTimeout;
        Volatile.Write(ref _controllerPair, pair);
        Volatile.Write(ref _controllerEnd, end);
        end.Start(ToRig.OnBytes);
    }

    public void Dispose()
    {
        ToRig.Dispose();
        ToController.Dispose();
        _controllerEnd?.Dispose();
        _rigEnd.Dispose();
        _controllerPair.Dispose();
        _rigPair.Dispose();
    }

    /// <summary>A State as the Firmware sent it, with the relay's clock when it passed.</summary>
    internal readonly record struct StateRecord(long Timestamp, ulong RigMicroseconds, uint Sequence, RigArmState Arm, FaultBits Faults, float Torque, ushort CommandEcho, float Position = 0);

    /// <summary>A Command as the Controller sent it.</summary>
    internal readonly record struct CommandRecord(long Timestamp, uint AnswersState, float Torque);

    /// <summary>Any other message as sent (type and time).</summary>
    internal readonly record struct EventRecord(long Timestamp, MessageType Type);

    /// <summary>One direction of the cable, its faults and what passed.</summary>
    internal sealed class Direction : IDisposable
    {
        private readonly FaultRelay _relay;
        private readonly Func<TtyTransport?> _out;
        private readonly BlockingCollection<(byte[] Data, long Due)> _queue = new();
        private readonly Thread _writer;
        private readonly FrameDecoder _sent = new();
        private readonly FrameDecoder _delivered = new();
        private readonly object _gate = new();
        private SplitMix64 _rng;
        private long _bitsToNextFlip = -1;
        private bool _dropThisFrame;
        private bool _corruptThisFrame;
        private bool _atFrameStart = true;
        private long _lastDue;

        public Direction(FaultRelay relay, string name, Func<TtyTransport?> output, ulong seed, (int States, int Commands, int Events) capacity)
        {
            States = new List<StateRecord>(capacity.States);
            Commands = new List<CommandRecord>(capacity.Commands);
            Events = new List<EventRecord>(capacity.Events);
            _relay = relay;
            Name = name;
            _out = output;
            _rng = new SplitMix64(seed);
            _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"relay {name}" };
            _writer.Start();
        }

        public string Name { get; }

        /// <summary>Probability that any one bit is inverted.</summary>
        public double BitErrorRate { get; set; }

        /// <summary>Probability that any one byte is lost.</summary>
        public double ByteDropRate { get; set; }

        /// <summary>Probability that a whole frame (up to and with its delimiter) is lost.</summary>
        public double FrameDropRate { get; set; }

        /// <summary>Added latency, ms.</summary>
        public double DelayMs { get; set; }

        /// <summary>Extra latency uniform in [0, this), ms; bytes keep their order.</summary>
        public double JitterMs { get; set; }

        public long BitsFlipped { get; private set; }
        public long FramesCorrupted { get; private set; }
        public long FramesDropped { get; private set; }
        public long BytesDropped { get; private set; }
        public long BytesLostToPause { get; private set; }

        /// <summary>What the sender sent, decoded before any fault (the counts of a perfect receiver).</summary>
        public DecoderStats Sent => _sent.Stats;

        /// <summary>What the receiver got, decoded after the faults with the project's decoder.</summary>
        public DecoderStats Delivered => _delivered.Stats;

        public List<StateRecord> States { get; }
        public List<CommandRecord> Commands { get; }
        public List<EventRecord> Events { get; }

        /// <summary>When each chunk the receiver must reject passed the relay.</summary>
        public List<long> Rejections { get; } = [];

        /// <summary>Copies of the records so far, safe to read while traffic flows.</summary>
        public (StateRecord[] States, CommandRecord[] Commands, EventRecord[] Events) Snapshot()
        {
            lock (_gate)
            {
                return (States.ToArray(), Commands.ToArray(), Events.ToArray());
            }
        }

        /// <summary>Chunks the receiver must have rejected among those that passed before <paramref name="timestamp"/>.</summary>
        public int RejectionsBefore(long timestamp)
        {
            lock (_gate)
            {
                return Rejections.Count(t => t < timestamp);
            }
        }

        /// <summary>When, in ms after <paramref name="timestamp"/>, the <paramref name="count"/>-th rejection was delivered
        /// (negative: before it); NaN when there were not that many.</summary>
        public double MillisecondsAfter(long timestamp, int count)
        {
            lock (_gate)
            {
                return count >= 1 && count <= Rejections.Count ? (Rejections[count - 1] - timestamp) * 1000.0 / Stopwatch.Frequency : double.NaN;
            }
        }

        internal void OnBytes(ReadOnlySpan<byte> data)
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                Observe(data, now);
                var output = new byte[data.Length];
                var n = 0;
                foreach (var original in data)
                {
                    if (_relay.Paused)
                    {
                        BytesLostToPause++;
                        _atFrameStart = original == Frame.Delimiter;
                        continue;
                    }
                    if (original == Frame.Delimiter)
                    {
                        // A frame ends here (a dropped frame loses its closing delimiter too); the next one starts.
                        var ending = _dropThisFrame;
                        _dropThisFrame = false;
                        _corruptThisFrame = false;
                        _atFrameStart = true;
                        if (ending)
                        {
                            BytesDropped++;
                            continue;
                        }
                    }
                    else if (_atFrameStart)
                    {
                        _atFrameStart = false;
                        _dropThisFrame = FrameDropRate > 0 && _rng.NextDouble() < FrameDropRate;
                        if (_dropThisFrame)
                        {
                            FramesDropped++;
                        }
                    }
                    if (_dropThisFrame || (ByteDropRate > 0 && _rng.NextDouble() < ByteDropRate))
                    {
                        BytesDropped++;
                        continue;
                    }
                    output[n++] = Flip(original);
                }
                var delivered = output.AsSpan(0, n);
                ReadOnlySpan<byte> copy = delivered;
                var rejected = _delivered.Stats.DroppedTotal;
                while (_delivered.TryDecode(ref copy, out _))
                {
                }
                for (var k = rejected; k < _delivered.Stats.DroppedTotal; k++)
                {
                    Rejections.Add(now);
                }
                if (n == 0)
                {
                    return;
                }
                var jitter = JitterMs > 0 ? _rng.NextDouble() * JitterMs : 0;
                var due = Math.Max(_lastDue, now + (long)((DelayMs + jitter) * Stopwatch.Frequency / 1000));
                _lastDue = due;
                if (!_queue.IsAddingCompleted)
                {
                    try
                    {
                        _queue.Add((delivered.ToArray(), due));
                    }
                    catch (InvalidOperationException)
                    {
                        // The relay is being disposed while bytes still arrive: they go nowhere, as on a cut cable.
                    }
                }
            }
        }

        /// <summary>Inverts bits at the configured rate (geometric gaps between errors, so any rate is exact).</summary>
        private byte Flip(byte b)
        {
            if (BitErrorRate <= 0)
            {
                return b;
            }
            for (var bit = 0; bit < 8; bit++)
            {
                if (_bitsToNextFlip < 0)
                {
                    _bitsToNextFlip = (long)Math.Floor(Math.Log(1 - _rng.NextDouble()) / Math.Log(1 - BitErrorRate));
                }
                if (_bitsToNextFlip-- == 0)
                {
                    b ^= (byte)(1 << bit);
                    BitsFlipped++;
                    if (!_corruptThisFrame)
                    {
                        _corruptThisFrame = true;
                        FramesCorrupted++;
                    }
                }
            }
            return b;
        }

        private void Observe(ReadOnlySpan<byte> data, long now)
        {
            var input = data;
            while (_sent.TryDecode(ref input, out var message))
            {
                switch (message)
                {
                    case State s:
                        States.Add(new StateRecord(now, s.TimeMicroseconds, s.Sequence, s.ArmState, s.Faults, s.Actuators > 0 ? s.Torque[0] : 0, s.CommandEcho, s.Joints > 0 ? s.Position[0] : 0));
                        break;
                    case Command c:
                        Commands.Add(new CommandRecord(now, c.AnswersState, c.Actuators > 0 ? c.Torque[0] : 0));
                        break;
                    default:
                        Events.Add(new EventRecord(now, message.Type));
                        break;
                }
            }
        }

        private void WriteLoop()
        {
            foreach (var (data, due) in _queue.GetConsumingEnumerable())
            {
                while (Stopwatch.GetTimestamp() < due)
                {
                    Thread.Sleep(0);
                }
                try
                {
                    _out()?.Write(data);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    // The receiving end hung up (or the relay is closing); its program notices on its own.
                }
            }
        }

        public void Dispose()
        {
            _queue.CompleteAdding();
            _writer.Join(2000);
        }
    }
}
