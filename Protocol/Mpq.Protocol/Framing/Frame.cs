namespace Mpq.Protocol.Framing;

/// <summary>Constants of the frame format (see Protocol/README.md, "Framing").</summary>
/// <remarks>
/// Raw frame: version (u8), type (u8), sequence (u16 LE), payload length (u16 LE), payload,
/// CRC-32C (u32 LE) over everything before it. On the wire: 0x00, COBS(raw frame), 0x00.
/// </remarks>
public static class Frame
{
    /// <summary>The protocol version this library speaks.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>Bytes before the payload.</summary>
    public const int HeaderSize = 6;

    /// <summary>Bytes of the CRC after the payload.</summary>
    public const int CrcSize = 4;

    /// <summary>Largest payload accepted.</summary>
    public const int MaxPayload = 512;

    /// <summary>Largest raw (un-stuffed) frame.</summary>
    public const int MaxRawFrame = HeaderSize + MaxPayload + CrcSize;

    /// <summary>Largest frame on the wire, both delimiters included.</summary>
    public static readonly int MaxWireFrame = Cobs.MaxEncodedLength(MaxRawFrame) + 2;

    /// <summary>The frame delimiter.</summary>
    public const byte Delimiter = 0x00;

    /// <summary>Most joints (and actuators) a message can describe.</summary>
    public const int MaxJoints = 16;
}
