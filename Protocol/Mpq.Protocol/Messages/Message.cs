using System.Buffers.Binary;
using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>
/// A protocol message. Instances are mutable and meant to be reused: the decoder keeps one per type
/// and fills it in place, so decoding allocates nothing.
/// </summary>
public abstract class Message
{
    /// <summary>The frame type byte.</summary>
    public abstract MessageType Type { get; }

    /// <summary>Payload bytes this message encodes to.</summary>
    public abstract int PayloadLength { get; }

    /// <summary>Writes the payload (exactly <see cref="PayloadLength"/> bytes).</summary>
    public abstract void Write(Span<byte> payload);

    /// <summary>Fills this instance from a payload; false (instance unspecified) if the length or a count is wrong.</summary>
    public abstract bool TryRead(ReadOnlySpan<byte> payload);

    /// <summary>Writes a 32-byte fixed string field: length (u8, at most 31) then UTF-8 bytes, zero-padded.</summary>
    protected static void WriteName(Span<byte> field, string value)
    {
        field[..NameField].Clear();
        var length = Encoding.UTF8.GetBytes(value.AsSpan(), field.Slice(1, NameField - 1));
        field[0] = (byte)length;
    }

    /// <summary>Reads a 32-byte fixed string field; false if its length byte is out of range or the text is not UTF-8.</summary>
    protected static bool TryReadName(ReadOnlySpan<byte> field, byte[] storage, out int length)
    {
        length = field[0];
        if (length > NameField - 1)
        {
            return false;
        }
        field.Slice(1, length).CopyTo(storage);
        return Utf8.IsValid(storage.AsSpan(0, length));
    }

    /// <summary>
    /// The string for a name just read into <paramref name="storage"/>: <paramref name="current"/> again when its bytes are
    /// the ones last decoded (<paramref name="last"/>, <paramref name="lastLength"/>; -1 after a set from code), else a new one.
    /// A flood of requests for one name then decodes without allocating (garbage would pause the device loop's thread).
    /// </summary>
    protected static string ReuseOrDecode(byte[] storage, int length, byte[] last, ref int lastLength, string current)
    {
        if (lastLength == length && storage.AsSpan(0, length).SequenceEqual(last.AsSpan(0, length)))
        {
            return current;
        }
        storage.AsSpan(0, length).CopyTo(last);
        lastLength = length;
        return Encoding.UTF8.GetString(storage, 0, length);
    }

    /// <summary>Size of a fixed name field.</summary>
    public const int NameField = 32;

    /// <summary>Checks that a name fits a fixed field (at most 31 UTF-8 bytes).</summary>
    protected static string CheckName(string value, string what)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Encoding.UTF8.GetByteCount(value) <= NameField - 1 ? value : throw new ArgumentException($"{what} '{value}' is longer than {NameField - 1} UTF-8 bytes");
    }

    protected static void WriteFloats(Span<byte> destination, ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[(4 * i)..], values[i]);
        }
    }

    protected static void ReadFloats(ReadOnlySpan<byte> source, Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]);
        }
    }

    protected static int CheckCount(int count, string what) =>
        count is >= 0 and <= Framing.Frame.MaxJoints ? count : throw new ArgumentOutOfRangeException(nameof(count), count, $"{what} must be between 0 and {Framing.Frame.MaxJoints}");

    private static class Utf8
    {
        public static bool IsValid(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes);
    }
}

/// <summary>A message with no payload (Arm, Disarm, EStop, ClearFault).</summary>
public abstract class EmptyMessage : Message
{
    public sealed override int PayloadLength => 0;
    public sealed override void Write(Span<byte> payload) { }
    public sealed override bool TryRead(ReadOnlySpan<byte> payload) => payload.IsEmpty;
}
