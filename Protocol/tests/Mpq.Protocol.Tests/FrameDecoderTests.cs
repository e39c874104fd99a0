using System.Buffers.Binary;
using Mpq.Common;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class FrameDecoderTests
{
    private static byte[] Wire(Message m, ushort seq = 1)
    {
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Encode(m, seq, wire, new byte[Frame.MaxRawFrame]);
        return wire[..n];
    }

    /// <summary>Builds a wire frame from a raw frame with a valid CRC (for malformed-but-intact cases).</summary>
    private static byte[] WireFromRaw(byte[] rawWithoutCrc, bool fixCrc = true)
    {
        var raw = new byte[rawWithoutCrc.Length + 4];
        rawWithoutCrc.CopyTo(raw, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(rawWithoutCrc.Length), fixCrc ? Crc32C.Compute(rawWithoutCrc) : 0xDEADBEEF);
        var wire = new byte[Cobs.MaxEncodedLength(raw.Length) + 2];
        var n = Cobs.Encode(raw, wire.AsSpan(1));
        return wire[..(n + 2)];
    }

    private static List<Message> DecodeAll(FrameDecoder decoder, ReadOnlySpan<byte> bytes)
    {
        var list = new List<Message>();
        while (decoder.TryDecode(ref bytes, out var m))
        {
            list.Add(m);
        }
        return list;
    }

    [Test]
    public void TryDecode_ByteAtATime_DecodesOnce()
    {
        var wire = Wire(new Heartbeat { TimeMicroseconds = 5 });
        var decoder = new FrameDecoder();
        var count = 0;
        foreach (var b in wire)
        {
            ReadOnlySpan<byte> one = [b];
            count += decoder.TryDecode(ref one, out _) ? 1 : 0;
        }
        Assert.That(count, Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_GarbageBetweenFrames_Resynchronises()
    {
        var rng = new Random(1);
        var garbage = new byte[300];
        rng.NextBytes(garbage);
        var stream = Wire(new Heartbeat(), 1).Concat(garbage).Concat(Wire(new Arm(), 2)).ToArray();
        var decoder = new FrameDecoder();
        var messages = DecodeAll(decoder, stream);
        Assert.That(messages.Select(m => m.Type), Is.EqualTo(new[] { MessageType.Heartbeat, MessageType.Arm }));
        Assert.That(decoder.Stats.DroppedTotal + decoder.Stats.TextChunks, Is.GreaterThan(0));
    }

    [Test]
    public void TryDecode_BadCrc_Counted()
    {
        var decoder = new FrameDecoder();
        var raw = new byte[] { Frame.ProtocolVersion, (byte)MessageType.Arm, 1, 0, 0, 0 };
        Assert.That(DecodeAll(decoder, WireFromRaw(raw, fixCrc: false)), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.BadCrc), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_FlippedBit_RejectedAsBadCrc()
    {
        var wire = Wire(new Heartbeat { TimeMicroseconds = 77 });
        wire[5] ^= 0x10;
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, wire), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.BadCrc) + decoder.Stats.Dropped(DropReason.BadCobs), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_BadCobs_Counted()
    {
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, [0x00, 0x09, 0x01, 0x02, 0x00]), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.BadCobs), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_UnknownType_Counted()
    {
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, WireFromRaw([Frame.ProtocolVersion, 0x7E, 1, 0, 0, 0])), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.UnknownType), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_WrongVersion_Counted()
    {
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, WireFromRaw([2, (byte)MessageType.Arm, 1, 0, 0, 0])), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.WrongVersion), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_LengthFieldDisagrees_CountedAsWrongLength()
    {
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, WireFromRaw([Frame.ProtocolVersion, (byte)MessageType.Arm, 1, 0, 3, 0, 9])), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.WrongLength), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_PayloadWrongSizeForType_CountedAsWrongLength()
    {
        var decoder = new FrameDecoder();
        // A Heartbeat needs 8 payload bytes; this one has 3 (length field consistent).
        Assert.That(DecodeAll(decoder, WireFromRaw([Frame.ProtocolVersion, (byte)MessageType.Heartbeat, 1, 0, 3, 0, 1, 2, 3])), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.WrongLength), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_InvalidUtf8Name_CountedAsBadPayload()
    {
        var payload = new byte[32];
        payload[0] = 2;
        payload[1] = 0xC3; // truncated 2-byte sequence
        payload[2] = 0x28;
        var raw = new byte[] { Frame.ProtocolVersion, (byte)MessageType.ParamGet, 1, 0, 32, 0 }.Concat(payload).ToArray();
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, WireFromRaw(raw)), Is.Empty);
        Assert.That(decoder.Stats.Dropped(DropReason.BadPayload), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_Oversize_CountedAndNextFrameDecodes()
    {
        var big = Enumerable.Repeat((byte)0x81, Frame.MaxWireFrame + 10).ToArray();
        var stream = new byte[] { 0 }.Concat(big).Concat(Wire(new Disarm())).ToArray();
        var decoder = new FrameDecoder();
        var messages = DecodeAll(decoder, stream);
        Assert.That(messages.Select(m => m.Type), Is.EqualTo(new[] { MessageType.Disarm }));
        Assert.That(decoder.Stats.Dropped(DropReason.Oversize), Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_513BytePayload_CountedAsOversizeNotBadCobs()
    {
        // One byte over the limit, otherwise a well-formed frame (good CRC): too big, not badly stuffed.
        var raw = new byte[Frame.HeaderSize + 513 + Frame.CrcSize];
        raw[0] = Frame.ProtocolVersion;
        raw[1] = (byte)MessageType.Log;
        raw[4] = 513 & 0xFF;
        raw[5] = 513 >> 8;
        raw.AsSpan(Frame.HeaderSize, 513).Fill(0x41);
        var wire = new byte[Cobs.MaxEncodedLength(raw.Length) + 2];
        var n = FrameWriter.Finish(raw, 1, wire);
        var decoder = new FrameDecoder();
        var messages = DecodeAll(decoder, wire[..n].Concat(Wire(new Disarm())).ToArray());
        Assert.That(messages.Select(m => m.Type), Is.EqualTo(new[] { MessageType.Disarm }));
        Assert.That((decoder.Stats.Dropped(DropReason.Oversize), decoder.Stats.Dropped(DropReason.BadCobs)), Is.EqualTo((1L, 0L)));
    }

    [TestCase(new ushort[] { 10, 11, 15 }, 3, 0)]
    [TestCase(new ushort[] { 65533, 65535, 0, 1 }, 1, 0)]
    [TestCase(new ushort[] { 100, 90, 91 }, 0, 1)]
    [TestCase(new ushort[] { 7, 7 }, 0, 1)]
    public void TryDecode_Sequences_CountLostAndOutOfOrder(ushort[] sequences, long lost, long outOfOrder)
    {
        var decoder = new FrameDecoder();
        var stream = sequences.SelectMany(s => Wire(new Arm(), s)).ToArray();
        Assert.That(DecodeAll(decoder, stream), Has.Count.EqualTo(sequences.Length));
        Assert.That((decoder.Stats.FramesLost, decoder.Stats.OutOfOrder), Is.EqualTo((lost, outOfOrder)));
    }

    [Test]
    public void TryDecode_TypedText_IsNotCountedAsCorruption()
    {
        var decoder = new FrameDecoder();
        var stream = "status\r\nset torque_limit 0.5\r\n"u8.ToArray().Concat(Wire(new Arm())).ToArray();
        Assert.That(DecodeAll(decoder, stream), Has.Count.EqualTo(1));
        Assert.That(decoder.Stats.DroppedTotal, Is.Zero);
        Assert.That(decoder.Stats.TextChunks, Is.EqualTo(1));
    }

    [Test]
    public void TryDecode_StateAndCommand_AllocateNothing()
    {
        var state = (State)SampleMessages.All().First(m => m.Type == MessageType.State);
        var command = (Command)SampleMessages.All().First(m => m.Type == MessageType.Command);
        var stream = Enumerable.Range(0, 200).SelectMany(i => Wire(i % 2 == 0 ? state : command, (ushort)i)).ToArray();
        var decoder = new FrameDecoder();
        Assert.That(DecodeAll(decoder, stream), Has.Count.EqualTo(200));
        var before = GC.GetAllocatedBytesForCurrentThread();
        var decoded = 0;
        for (var round = 0; round < 20; round++)
        {
            ReadOnlySpan<byte> input = stream;
            while (decoder.TryDecode(ref input, out _))
            {
                decoded++;
            }
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(decoded, Is.EqualTo(4000));
    }

    [Test]
    public void Write_StateAndCommand_AllocateNothing()
    {
        var state = (State)SampleMessages.All().First(m => m.Type == MessageType.State);
        var writer = new FrameWriter();
        var buffer = new byte[Frame.MaxWireFrame];
        writer.Write(state, buffer);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            writer.Write(state, buffer);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(writer.NextSequence, Is.EqualTo(1001));
    }
}
