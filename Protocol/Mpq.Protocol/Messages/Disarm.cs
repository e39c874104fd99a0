namespace Mpq.Protocol.Messages;

/// <summary>Either side's request to drop torque to zero and disarm.</summary>
/// <remarks>Payload: none (0 bytes).</remarks>
public sealed class Disarm : EmptyMessage
{
    public override MessageType Type => MessageType.Disarm;
}
