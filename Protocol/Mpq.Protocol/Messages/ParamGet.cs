using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Asks for one parameter by name; answered by <see cref="ParamValue"/>.</summary>
/// <remarks>Payload (32 bytes): name[32].</remarks>
public sealed class ParamGet : Message
{
    private readonly byte[] _storage = new byte[NameField];
    private readonly byte[] _lastBytes = new byte[NameField];
    private int _lastLength = -1;
    private string _name = "";

    public override MessageType Type => MessageType.ParamGet;
    public override int PayloadLength => NameField;
    public string Name
    {
        get => _name;
        set
        {
            _name = CheckName(value, "parameter name");
            _lastLength = -1;
        }
    }

    public override void Write(Span<byte> payload) => WriteName(payload, _name);

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != NameField || !TryReadName(payload, _storage, out var length))
        {
            return false;
        }
        _name = ReuseOrDecode(_storage, length, _lastBytes, ref _lastLength, _name);
        return true;
    }
}
