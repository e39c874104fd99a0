using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Base of messages ending in a short text: u8 length, then that many UTF-8 bytes.</summary>
public abstract class TextMessage : Message
{
    /// <summary>Longest text in bytes.</summary>
    public const int MaxText = 200;

    private string _text = "";

    /// <summary>Bytes before the text's length byte.</summary>
    protected abstract int FixedLength { get; }

    public sealed override int PayloadLength => FixedLength + 1 + Encoding.UTF8.GetByteCount(_text);

    /// <summary>The text (at most <see cref="MaxText"/> UTF-8 bytes; longer text is cut at a character boundary).</summary>
    public string Text
    {
        get => _text;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            while (Encoding.UTF8.GetByteCount(value) > MaxText)
            {
                value = value[..^1];
            }
            _text = value;
        }
    }

    public sealed override void Write(Span<byte> payload)
    {
        WriteFixed(payload);
        var n = Encoding.UTF8.GetBytes(_text, payload[(FixedLength + 1)..]);
        payload[FixedLength] = (byte)n;
    }

    public sealed override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < FixedLength + 1)
        {
            return false;
        }
        var n = payload[FixedLength];
        if (n > MaxText || payload.Length != FixedLength + 1 + n)
        {
            return false;
        }
        var text = payload.Slice(FixedLength + 1, n);
        if (!System.Text.Unicode.Utf8.IsValid(text))
        {
            return false;
        }
        ReadFixed(payload);
        _text = Encoding.UTF8.GetString(text);
        return true;
    }

    protected abstract void WriteFixed(Span<byte> payload);

    protected abstract void ReadFixed(ReadOnlySpan<byte> payload);
}
