using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Asks for one parameter by name; answered by <see cref="ParamValue"/>.</summary>
/// <remarks>Payload (32 bytes): name[32].</remarks>
public sealed class ParamGet : Message
{
    private readonly byte[] _storage = new byte[NameField];
    private string _name = "";

    public override MessageType Type => MessageType.ParamGet;
    public override int PayloadLength => NameField;
    public string Name { get => _name; set => _name = CheckName(value, "parameter name"); }

    public override void Write(Span<byte> payload) => WriteName(payload, _name);

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != NameField || !TryReadName(payload, _storage, out var length))
        {
            return false;
        }
        _name = Encoding.UTF8.GetString(_storage, 0, length);
        return true;
    }
}
