namespace Mpq.Protocol.Framing;

/// <summary>Why the decoder dropped a chunk of bytes.</summary>
public enum DropReason
{
    /// <summary>Integrity check failed.</summary>
    BadCrc,

    /// <summary>Not valid COBS (a code byte runs past the chunk).</summary>
    BadCobs,

    /// <summary>Type byte names no message.</summary>
    UnknownType,

    /// <summary>Too short for header and CRC, length field disagrees with the frame, or the payload has the wrong size for its type.</summary>
    WrongLength,

    /// <summary>Field values a message cannot have (counts over the maximum, invalid text, unknown enum value).</summary>
    BadPayload,

    /// <summary>Protocol version other than <see cref="Frame.ProtocolVersion"/>.</summary>
    WrongVersion,

    /// <summary>Longer than the largest frame before a delimiter arrived.</summary>
    Oversize,
}

/// <summary>What a decoder has seen: accepted frames, drops by cause, sequence gaps. Counters only grow.</summary>
public sealed class DecoderStats
{
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];

    public long BytesReceived { get; internal set; }
    public long FramesAccepted { get; internal set; }

    /// <summary>Frames missing according to the sender's sequence numbers (gaps between accepted frames).</summary>
    public long FramesLost { get; internal set; }

    /// <summary>Accepted frames whose sequence number went backwards or repeated.</summary>
    public long OutOfOrder { get; internal set; }

    /// <summary>Chunks of plain text (console lines) seen between frames; not errors.</summary>
    public long TextChunks { get; internal set; }

    public long Dropped(DropReason reason) => _dropped[(int)reason];

    public long DroppedTotal
    {
        get
        {
            long sum = 0;
            foreach (var d in _dropped)
            {
                sum += d;
            }
            return sum;
        }
    }

    internal void Drop(DropReason reason) => _dropped[(int)reason]++;

    /// <summary>Drops so far by cause, every cause named (zero included): for summaries and JSON.</summary>
    public Dictionary<string, long> DroppedByCause() => Enum.GetValues<DropReason>().ToDictionary(d => d.ToString(), Dropped);

    public override string ToString() =>
        $"accepted {FramesAccepted}, lost {FramesLost}, out-of-order {OutOfOrder}, dropped {DroppedTotal} " +
        $"(crc {Dropped(DropReason.BadCrc)}, cobs {Dropped(DropReason.BadCobs)}, type {Dropped(DropReason.UnknownType)}, " +
        $"length {Dropped(DropReason.WrongLength)}, payload {Dropped(DropReason.BadPayload)}, version {Dropped(DropReason.WrongVersion)}, " +
        $"oversize {Dropped(DropReason.Oversize)})";
}
