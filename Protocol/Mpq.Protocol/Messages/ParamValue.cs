using System.Buffers.Binary;
using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Outcome of a parameter request.</summary>
public enum ParamStatus : byte
{
    Ok = 0,
    UnknownName = 1,
    OutOfRange = 2,
    WrongType = 3,
    ReadOnly = 4,
    IndexOutOfRange = 5,
    NotAllowedNow = 6,

    /// <summary>The request arrived intact but could not be read (bad name field, wrong length).</summary>
    Malformed = 7,
}

/// <summary>How a parameter's value is to be read.</summary>
public enum ParamKind : byte
{
    Real = 0,
    Integer = 1,
    Boolean = 2,
}

/// <summary>Answer to ParamGet, ParamSet and ParamList: status, value in force, range, and the table's size.</summary>
/// <remarks>Payload (64 bytes): u8 status, u8 kind, u16 index, u16 count, u16 reserved, f64 value, f64 min, f64 max, name[32].</remarks>
public sealed class ParamValue : Message
{
    private readonly byte[] _storage = new byte[NameField];
    private string _name = "";

    public override MessageType Type => MessageType.ParamValue;
    public override int PayloadLength => 32 + NameField;
    public ParamStatus Status { get; set; }
    public ParamKind Kind { get; set; }
    public ushort Index { get; set; }
    public ushort Count { get; set; }
    public double Value { get; set; }
    public double Min { get; set; }
    public double Max { get; set; }
    public string Name { get => _name; set => _name = CheckName(value, "parameter name"); }

    public override void Write(Span<byte> payload)
    {
        payload[0] = (byte)Status;
        payload[1] = (byte)Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(payload[2..], Index);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[4..], Count);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[6..], 0);
        BinaryPrimitives.WriteDoubleLittleEndian(payload[8..], Value);
        BinaryPrimitives.WriteDoubleLittleEndian(payload[16..], Min);
        BinaryPrimitives.WriteDoubleLittleEndian(payload[24..], Max);
        WriteName(payload[32..], _name);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != PayloadLength || payload[0] > (byte)ParamStatus.Malformed || payload[1] > (byte)ParamKind.Boolean
            || !TryReadName(payload[32..], _storage, out var length))
        {
            return false;
        }
        Status = (ParamStatus)payload[0];
        Kind = (ParamKind)payload[1];
        Index = BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]);
        Count = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        Value = BinaryPrimitives.ReadDoubleLittleEndian(payload[8..]);
        Min = BinaryPrimitives.ReadDoubleLittleEndian(payload[16..]);
        Max = BinaryPrimitives.ReadDoubleLittleEndian(payload[24..]);
        _name = Encoding.UTF8.GetString(_storage, 0, length);
        return true;
    }
}
