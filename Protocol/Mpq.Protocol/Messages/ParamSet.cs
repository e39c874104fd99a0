using System.Buffers.Binary;
using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Sets one parameter; answered by <see cref="ParamValue"/> with the status and the value now in force.</summary>
/// <remarks>Payload (40 bytes): name[32], f64 value.</remarks>
public sealed class ParamSet : Message
{
    private readonly byte[] _storage = new byte[NameField];
    private readonly byte[] _lastBytes = new byte[NameField];
    private int _lastLength = -1;
    private string _name = "";

    public override MessageType Type => MessageType.ParamSet;
    public override int PayloadLength => NameField + 8;
    public string Name
    {
        get => _name;
        set
        {
            _name = CheckName(value, "parameter name");
            _lastLength = -1;
        }
    }
    public double Value { get; set; }

    public override void Write(Span<byte> payload)
    {
        WriteName(payload, _name);
        BinaryPrimitives.WriteDoubleLittleEndian(payload[NameField..], Value);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadLength || !TryReadName(payload, _storage, out var length))
        {
            return false;
        }
        _name = ReuseOrDecode(_storage, length, _lastBytes, ref _lastLength, _name);
        Value = BinaryPrimitives.ReadDoubleLittleEndian(payload[NameField..]);
        return true;
    }
}
