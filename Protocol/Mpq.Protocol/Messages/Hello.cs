using System.Buffers.Binary;
using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Controller → Firmware, first frame of a session: the protocol version it speaks and its name.</summary>
/// <remarks>Payload (34 bytes): u16 protocol version, name[32].</remarks>
public sealed class Hello : Message
{
    private readonly byte[] _storage = new byte[NameField];
    private string _name = "";

    public override MessageType Type => MessageType.Hello;
    public override int PayloadLength => 2 + NameField;

    public ushort ProtocolVersion { get; set; } = Framing.Frame.ProtocolVersion;

    /// <summary>Name of the connecting program (at most 31 UTF-8 bytes).</summary>
    public string Name { get => _name; set => _name = CheckName(value, "name"); }

    public override void Write(Span<byte> payload)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(payload, ProtocolVersion);
        WriteName(payload[2..], _name);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadLength)
        {
            return false;
        }
        if (!TryReadName(payload[2..], _storage, out var length))
        {
            return false;
        }
        ProtocolVersion = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        _name = Encoding.UTF8.GetString(_storage, 0, length);
        return true;
    }
}
