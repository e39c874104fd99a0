using System.Buffers.Binary;

namespace Mpq.Protocol.Messages;

/// <summary>Asks for the parameter at an index; the answer's count lets a client walk the whole table.</summary>
/// <remarks>Payload (2 bytes): u16 index.</remarks>
public sealed class ParamList : Message
{
    public override MessageType Type => MessageType.ParamList;
    public override int PayloadLength => 2;
    public ushort Index { get; set; }

    public override void Write(Span<byte> payload) => BinaryPrimitives.WriteUInt16LittleEndian(payload, Index);

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 2)
        {
            return false;
        }
        Index = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        return true;
    }
}
