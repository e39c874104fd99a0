using System.Buffers.Binary;

namespace Mpq.Protocol.Messages;

/// <summary>Firmware → Controller when a fault latches: which bits, a code and a human-readable reason.</summary>
/// <remarks>Payload (9 + t bytes): u32 fault bits, u16 code, u16 reserved, u8 text length t, text[t].</remarks>
public sealed class Fault : TextMessage
{
    public override MessageType Type => MessageType.Fault;
    protected override int FixedLength => 8;
    public FaultBits Faults { get; set; }
    public ushort Code { get; set; }

    protected override void WriteFixed(Span<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)Faults);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[4..], Code);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[6..], 0);
    }

    protected override void ReadFixed(ReadOnlySpan<byte> payload)
    {
        Faults = (FaultBits)BinaryPrimitives.ReadUInt32LittleEndian(payload);
        Code = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
    }
}
