namespace Mpq.Protocol.Messages;

/// <summary>Emergency stop: torque zero on the next tick, latched until ClearFault.</summary>
/// <remarks>Payload: none (0 bytes).</remarks>
public sealed class EStop : EmptyMessage
{
    public override MessageType Type => MessageType.EStop;
}
