namespace Mpq.Protocol.Messages;

/// <summary>Controller → Firmware: allow torque (only after a valid handshake, from Disarmed).</summary>
/// <remarks>Payload: none (0 bytes).</remarks>
public sealed class Arm : EmptyMessage
{
    public override MessageType Type => MessageType.Arm;
}
