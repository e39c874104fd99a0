using System.Buffers.Binary;

namespace Mpq.Protocol.Messages;

/// <summary>Either direction: proof of life with the sender's clock.</summary>
/// <remarks>
/// Payload (8 bytes): u64 sender time (µs). A heartbeat never feeds the Firmware's command watchdog:
/// only fresh Commands do, so a live sender thread cannot hide a hung planner.
/// </remarks>
public sealed class Heartbeat : Message
{
    public override MessageType Type => MessageType.Heartbeat;
    public override int PayloadLength => 8;
    public ulong TimeMicroseconds { get; set; }

    public override void Write(Span<byte> payload) => BinaryPrimitives.WriteUInt64LittleEndian(payload, TimeMicroseconds);

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 8)
        {
            return false;
        }
        TimeMicroseconds = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        return true;
    }
}
