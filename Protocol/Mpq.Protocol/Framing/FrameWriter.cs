using System.Buffers.Binary;
using Mpq.Common;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Framing;

/// <summary>Encodes messages into wire frames (0x00, COBS(raw frame), 0x00), numbering them with its own sequence counter.</summary>
/// <remarks>Allocation-free; one writer per sending side, used by one thread at a time.</remarks>
public sealed class FrameWriter
{
    private readonly byte[] _raw = new byte[Frame.MaxRawFrame];

    /// <summary>Sequence number the next frame will carry.</summary>
    public ushort NextSequence { get; set; }

    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Encodes <paramref name="message"/> with the next sequence number; returns the bytes written.</summary>
    public int Write(Message message, Span<byte> destination)
    {
        var n = Encode(message, NextSequence, destination, _raw);
        NextSequence++;
        FramesWritten++;
        return n;
    }

    /// <summary>Encodes one frame with an explicit sequence number into <paramref name="destination"/> using <paramref name="scratch"/> (≥ <see cref="Frame.MaxRawFrame"/>).</summary>
    /// <exception cref="ArgumentException">The payload exceeds <see cref="Frame.MaxPayload"/> or a buffer is too small.</exception>
    public static int Encode(Message message, ushort sequence, Span<byte> destination, Span<byte> scratch)
    {
        var rawLength = EncodeRaw(message, scratch);
        return Finish(scratch[..rawLength], sequence, destination);
    }

    /// <summary>
    /// Writes the raw frame of <paramref name="message"/> (header, payload, room for the CRC) into <paramref name="raw"/>
    /// without its sequence number or CRC; returns its length. <see cref="Finish"/> completes it: a sender that numbers
    /// frames when they go out (not when they are queued) keeps the wire's sequence free of gaps for frames it dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The payload exceeds <see cref="Frame.MaxPayload"/> or the buffer is too small.</exception>
    public static int EncodeRaw(Message message, Span<byte> raw)
    {
        var length = message.PayloadLength;
        if (length > Frame.MaxPayload)
        {
            throw new ArgumentException($"{message.Type} payload of {length} bytes exceeds the {Frame.MaxPayload}-byte limit");
        }
        var rawLength = Frame.HeaderSize + length + Frame.CrcSize;
        raw[0] = Frame.ProtocolVersion;
        raw[1] = (byte)message.Type;
        BinaryPrimitives.WriteUInt16LittleEndian(raw[2..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[4..], (ushort)length);
        message.Write(raw.Slice(Frame.HeaderSize, length));
        return rawLength;
    }

    /// <summary>Numbers a raw frame from <see cref="EncodeRaw"/>, adds its CRC and writes it to the wire form (0x00, COBS, 0x00); returns the bytes written.</summary>
    public static int Finish(Span<byte> raw, ushort sequence, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(raw[2..], sequence);
        var body = raw.Length - Frame.CrcSize;
        BinaryPrimitives.WriteUInt32LittleEndian(raw[body..], Crc32C.Compute(raw[..body]));
        destination[0] = Frame.Delimiter;
        var encoded = Cobs.Encode(raw, destination[1..]);
        destination[1 + encoded] = Frame.Delimiter;
        return encoded + 2;
    }
}
