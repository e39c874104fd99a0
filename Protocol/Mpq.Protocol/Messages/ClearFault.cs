namespace Mpq.Protocol.Messages;

/// <summary>Clears latched faults and an emergency stop; the rig stays disarmed until armed again.</summary>
/// <remarks>Payload: none (0 bytes).</remarks>
public sealed class ClearFault : EmptyMessage
{
    public override MessageType Type => MessageType.ClearFault;
}
