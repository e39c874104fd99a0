using Mpq.Common;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Bench;

/// <summary>What a fuzz run saw.</summary>
public sealed record FuzzReport(
    long FramesTried,
    long IntactCopies,
    long MutatedFrames,
    long Decoded,
    long CorruptAccepted,
    long Missing,
    long Exceptions,
    IReadOnlyDictionary<DropReason, long> RejectedByCause,
    long TextChunks,
    long NoiseBytes,
    bool RecoveredAfterNoise);

/// <summary>
/// Feeds random and mutated frames through the <see cref="FrameDecoder"/>: bit flips, truncation,
/// dropped bytes, duplication, garbage between frames, random chunking down to one byte at a time,
/// then 64 KiB of noise followed by valid traffic.
/// </summary>
/// <remarks>
/// Every frame has its own opening and closing delimiter, so a damaged frame cannot take an intact
/// neighbour with it: the decoder must output exactly the intact copies, in order. Each decoded
/// message is re-encoded with its decoded sequence number and compared byte for byte with the next
/// expected intact frame; anything else counts as corrupt accepted.
/// </remarks>
public static class FrameFuzzer
{
    private const int Batch = 512;

    /// <summary>
    /// A frame that passes the CRC but must still be rejected: another protocol version, an unknown
    /// type, a length field that disagrees, or a payload cut short (with a consistent length field).
    /// </summary>
    private static byte[] Malformed(byte[] frame, Random rng)
    {
        var raw = new byte[Frame.MaxRawFrame];
        var n = Cobs.Decode(frame.AsSpan(1, frame.Length - 2), raw);
        var body = raw.AsSpan(0, n - Frame.CrcSize).ToArray();
        var payloadLength = body.Length - Frame.HeaderSize;
        var kind = rng.Next(4);
        if (kind == 3 && payloadLength == 0)
        {
            kind = 0;
        }
        switch (kind)
        {
            case 0:
                body[0] = (byte)(Frame.ProtocolVersion + rng.Next(1, 255));
                break;
            case 1:
                byte type;
                do
                {
                    type = (byte)rng.Next(256);
                }
                while (Enum.IsDefined((MessageType)type));
                body[1] = type;
                break;
            case 2:
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), (ushort)(payloadLength + rng.Next(1, 600)));
                break;
            default:
                var cut = rng.Next(1, payloadLength + 1);
                body = body[..^cut];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), (ushort)(payloadLength - cut));
                break;
        }
        var withCrc = new byte[body.Length + Frame.CrcSize];
        body.CopyTo(withCrc, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(withCrc.AsSpan(body.Length), Crc32C.Compute(body));
        var wire = new byte[Cobs.MaxEncodedLength(withCrc.Length) + 2];
        var m = Cobs.Encode(withCrc, wire.AsSpan(1));
        return wire[..(m + 2)];
    }

    public static FuzzReport Run(int frames, int seed)
    {
        var rng = new Random(seed);
        var messages = new RandomMessages(rng);
        var decoder = new FrameDecoder();
        var scratch = new byte[Frame.MaxRawFrame];
        var wire = new byte[Frame.MaxWireFrame];
        var check = new byte[Frame.MaxWireFrame];
        var stream = new List<byte>(Batch * 64);
        var expected = new Queue<byte[]>();
        long intact = 0, mutated = 0, decoded = 0, corrupt = 0, missing = 0, exceptions = 0, noise = 0;
        ushort sequence = 0;

        void Drain(ReadOnlySpan<byte> input)
        {
            try
            {
                while (decoder.TryDecode(ref input, out var m))
                {
                    decoded++;
                    var n = FrameWriter.Encode(m, decoder.LastSequence, check, scratch);
                    Match(check.AsSpan(0, n));
                }
            }
            catch (Exception)
            {
                exceptions++;
            }
        }

        void Match(ReadOnlySpan<byte> frame)
        {
            var skipped = 0;
            foreach (var e in expected)
            {
                if (frame.SequenceEqual(e))
                {
                    for (var i = 0; i <= skipped; i++)
                    {
                        expected.Dequeue();
                    }
                    missing += skipped;
                    return;
                }
                skipped++;
            }
            corrupt++;
        }

        void Feed(List<byte> bytes)
        {
            var array = bytes.ToArray();
            var mode = rng.Next(4);
            var offset = 0;
            while (offset < array.Length)
            {
                var size = mode switch { 0 => 1, 1 => rng.Next(1, 16), 2 => rng.Next(1, 4096), _ => array.Length };
                size = Math.Min(size, array.Length - offset);
                Drain(array.AsSpan(offset, size));
                offset += size;
            }
            missing += expected.Count;
            expected.Clear();
        }

        for (var i = 0; i < frames; i++)
        {
            var m = messages.Next();
            var n = FrameWriter.Encode(m, sequence++, wire, scratch);
            var frame = wire.AsSpan(0, n).ToArray();
            switch (rng.Next(16))
            {
                case < 8:
                    stream.AddRange(frame);
                    expected.Enqueue(frame);
                    intact++;
                    break;
                case 8 or 9:
                    var flipped = (byte[])frame.Clone();
                    var flips = rng.Next(1, 5);
                    for (var f = 0; f < flips; f++)
                    {
                        flipped[rng.Next(flipped.Length)] ^= (byte)(1 << rng.Next(8));
                    }
                    stream.AddRange(flipped);
                    if (flipped.AsSpan().SequenceEqual(frame))
                    {
                        // The same bit flipped twice: the frame is intact after all.
                        expected.Enqueue(frame);
                        intact++;
                    }
                    else
                    {
                        mutated++;
                    }
                    break;
                case 10:
                    // Cut inside the body: losing only the closing delimiter would leave an intact frame,
                    // which the next frame's opening delimiter rightly completes.
                    stream.AddRange(frame.AsSpan(0, rng.Next(1, frame.Length - 1)).ToArray());
                    mutated++;
                    break;
                case 11:
                    var cut = rng.Next(1, frame.Length - 1);
                    stream.AddRange(frame.AsSpan(0, cut).ToArray());
                    stream.AddRange(frame.AsSpan(cut + 1).ToArray());
                    mutated++;
                    break;
                case 12:
                    stream.AddRange(Malformed(frame, rng));
                    mutated++;
                    break;
                case 13:
                    stream.AddRange(frame);
                    stream.AddRange(frame);
                    expected.Enqueue(frame);
                    expected.Enqueue(frame);
                    intact += 2;
                    break;
                default:
                    stream.AddRange(frame);
                    expected.Enqueue(frame);
                    intact++;
                    var garbage = new byte[rng.Next(1, 65)];
                    rng.NextBytes(garbage);
                    stream.AddRange(garbage);
                    noise += garbage.Length;
                    break;
            }
            if (stream.Count >= Batch * 48 || i == frames - 1)
            {
                Feed(stream);
                stream.Clear();
            }
        }

        // 64 KiB of noise, then valid traffic that must decode in full.
        var noiseBlock = new byte[64 * 1024];
        rng.NextBytes(noiseBlock);
        noise += noiseBlock.Length;
        var before = decoded;
        var beforeCorrupt = corrupt;
        var beforeMissing = missing;
        Drain(noiseBlock);
        var valid = 0;
        for (var i = 0; i < 100; i++)
        {
            var n = FrameWriter.Encode(messages.Next(), sequence++, wire, scratch);
            var frame = wire.AsSpan(0, n).ToArray();
            stream.AddRange(frame);
            expected.Enqueue(frame);
            valid++;
        }
        Feed(stream);
        var recovered = decoded - before == valid && corrupt == beforeCorrupt && missing == beforeMissing;

        var byCause = Enum.GetValues<DropReason>().ToDictionary(r => r, decoder.Stats.Dropped);
        return new FuzzReport(frames + valid, intact + valid, mutated, decoded, corrupt, missing, exceptions, byCause, decoder.Stats.TextChunks, noise, recovered);
    }
}
