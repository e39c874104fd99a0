namespace Mpq.Protocol.Framing;

/// <summary>Consistent Overhead Byte Stuffing: removes every 0x00 from a block so 0x00 can delimit frames.</summary>
public static class Cobs
{
    /// <summary>Largest encoded size of <paramref name="length"/> input bytes.</summary>
    public static int MaxEncodedLength(int length) => length + length / 254 + 1;

    /// <summary>Encodes <paramref name="source"/> into <paramref name="destination"/> (no delimiter); returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < MaxEncodedLength(source.Length))
        {
            throw new ArgumentException("destination too small for the encoded block", nameof(destination));
        }
        var codeIndex = 0;
        var write = 1;
        byte code = 1;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (b != 0)
            {
                destination[write++] = b;
                code++;
            }
            if (b == 0 || code == 0xFF)
            {
                destination[codeIndex] = code;
                code = 1;
                codeIndex = write;
                // A block that fills up on the last input byte ends the output: no empty trailing block.
                if (b == 0 || i < source.Length - 1)
                {
                    write++;
                }
            }
        }
        if (codeIndex < write)
        {
            destination[codeIndex] = code;
        }
        return write;
    }

    /// <summary>Decodes a block (without its delimiter). Returns the bytes written, or -1 if the block is not valid COBS.</summary>
    /// <remarks>Never throws on bad input: a zero byte, a code running past the end, or a too-small destination give -1.</remarks>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var read = 0;
        var write = 0;
        while (read < source.Length)
        {
            var code = source[read++];
            if (code == 0)
            {
                return -1;
            }
            var run = code - 1;
            if (read + run > source.Length || write + run > destination.Length)
            {
                return -1;
            }
            var chunk = source.Slice(read, run);
            if (chunk.Contains((byte)0))
            {
                return -1;
            }
            chunk.CopyTo(destination[write..]);
            write += run;
            read += run;
            if (code != 0xFF && read < source.Length)
            {
                if (write >= destination.Length)
                {
                    return -1;
                }
                destination[write++] = 0;
            }
        }
        return write;
    }
}
