using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Mpq.Common;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Framing;

/// <summary>
/// Streaming frame decoder: feed it bytes as they arrive, get messages out. Every 0x00 ends a
/// chunk; a non-empty chunk is un-stuffed, checked (CRC-32C, version, type, lengths) and parsed
/// into the reusable instance of its type in <see cref="Messages"/>.
/// </summary>
/// <remarks>
/// Never throws on bad bytes: a bad chunk is counted in <see cref="Stats"/> by cause and decoding
/// resumes at the next delimiter. A returned message is valid until the next call. Allocation-free
/// for the fixed-layout messages (State, Command, Heartbeat, Arm, …).
/// </remarks>
public sealed class FrameDecoder
{
    private readonly byte[] _chunk = new byte[Frame.MaxWireFrame];
    // Room for more than the largest frame, so an over-long one is told apart (Oversize) from bad stuffing (BadCobs).
    private readonly byte[] _raw = new byte[Frame.MaxWireFrame];
    private int _chunkLength;
    private bool _overflow;
    private bool _chunkIsText = true;
    private bool _haveSequence;
    private ushort _lastSequence;

    public FrameDecoder(MessageSet? messages = null) => Messages = messages ?? new MessageSet();

    /// <summary>The instances messages are decoded into.</summary>
    public MessageSet Messages { get; }

    public DecoderStats Stats { get; } = new();

    /// <summary>
    /// Called for a frame that arrived intact (CRC and version good) but was refused (unknown type, wrong length, bad
    /// payload), with its type byte and sequence: a receiver can answer a malformed request instead of staying silent.
    /// </summary>
    public Action<byte, DropReason, ushort>? RejectedIntact { get; set; }

    /// <summary>Sequence number of the last accepted frame.</summary>
    public ushort LastSequence => _lastSequence;

    /// <summary>Forgets any partial frame (e.g. after the port was reopened).</summary>
    public void Reset()
    {
        _chunkLength = 0;
        _overflow = false;
        _chunkIsText = true;
    }

    /// <summary>Forgets the last sequence number, so a new peer's first frame is not counted as a gap.</summary>
    public void ResetSequence() => _haveSequence = false;

    /// <summary>
    /// Consumes bytes from <paramref name="input"/> until one frame decodes (true) or the input is used up (false).
    /// Call again with the remaining input until it returns false.
    /// </summary>
    public bool TryDecode(ref ReadOnlySpan<byte> input, [NotNullWhen(true)] out Message? message)
    {
        while (!input.IsEmpty)
        {
            var b = input[0];
            input = input[1..];
            Stats.BytesReceived++;
            if (b != Frame.Delimiter)
            {
                if (_chunkLength < _chunk.Length)
                {
                    _chunk[_chunkLength++] = b;
                    _chunkIsText &= IsTextByte(b);
                }
                else
                {
                    _overflow = true;
                    _chunkIsText &= IsTextByte(b);
                }
                continue;
            }
            if (_chunkLength == 0 && !_overflow)
            {
                continue; // the empty chunk between a closing and an opening delimiter
            }
            if (Complete(out message))
            {
                Reset();
                return true;
            }
            Reset();
        }
        message = null;
        return false;
    }

    private bool Complete([NotNullWhen(true)] out Message? message)
    {
        message = null;
        if (_chunkIsText)
        {
            Stats.TextChunks++;
            return false;
        }
        if (_overflow)
        {
            Stats.Drop(DropReason.Oversize);
            return false;
        }
        var n = Cobs.Decode(_chunk.AsSpan(0, _chunkLength), _raw);
        if (n < 0)
        {
            Stats.Drop(DropReason.BadCobs);
            return false;
        }
        if (n > Frame.MaxRawFrame)
        {
            Stats.Drop(DropReason.Oversize);
            return false;
        }
        if (n < Frame.HeaderSize + Frame.CrcSize)
        {
            Stats.Drop(DropReason.WrongLength);
            return false;
        }
        var raw = _raw.AsSpan(0, n);
        var body = raw[..(n - Frame.CrcSize)];
        if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(raw[(n - Frame.CrcSize)..]))
        {
            Stats.Drop(DropReason.BadCrc);
            return false;
        }
        if (raw[0] != Frame.ProtocolVersion)
        {
            Stats.Drop(DropReason.WrongVersion);
            return false;
        }
        var length = BinaryPrimitives.ReadUInt16LittleEndian(raw[4..]);
        var sequence = BinaryPrimitives.ReadUInt16LittleEndian(raw[2..]);
        if (length != body.Length - Frame.HeaderSize)
        {
            return RefuseIntact(raw[1], length > Frame.MaxPayload ? DropReason.Oversize : DropReason.WrongLength, sequence);
        }
        var candidate = Messages.For(raw[1]);
        if (candidate is null)
        {
            return RefuseIntact(raw[1], DropReason.UnknownType, sequence);
        }
        if (!candidate.TryRead(body[Frame.HeaderSize..]))
        {
            return RefuseIntact(raw[1], PayloadFault(candidate, length), sequence);
        }
        Track(BinaryPrimitives.ReadUInt16LittleEndian(raw[2..]));
        Stats.FramesAccepted++;
        message = candidate;
        return true;
    }

    private bool RefuseIntact(byte type, DropReason reason, ushort sequence)
    {
        Stats.Drop(reason);
        RejectedIntact?.Invoke(type, reason, sequence);
        return false;
    }

    private static DropReason PayloadFault(Message candidate, int length) =>
        // A length no instance of the type could have is a length fault; otherwise a field held a bad value.
        candidate is EmptyMessage || candidate.PayloadLength != length ? DropReason.WrongLength : DropReason.BadPayload;

    private void Track(ushort sequence)
    {
        if (_haveSequence)
        {
            var gap = (ushort)(sequence - _lastSequence - 1);
            if (gap < 0x8000)
            {
                Stats.FramesLost += gap;
            }
            else
            {
                Stats.OutOfOrder++;
            }
        }
        _haveSequence = true;
        _lastSequence = sequence;
    }

    /// <summary>Printable ASCII, tab, CR, LF, backspace and DEL: what a person at a terminal sends.</summary>
    internal static bool IsTextByte(byte b) => b is (>= 0x20 and <= 0x7E) or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0x08 or 0x7F;
}
