namespace Mpq.Protocol.Messages;

/// <summary>One reusable instance of every message type, for decoding in place.</summary>
public sealed class MessageSet
{
    public Hello Hello { get; } = new();
    public HelloAck HelloAck { get; } = new();
    public State State { get; } = new();
    public Command Command { get; } = new();
    public Heartbeat Heartbeat { get; } = new();
    public Arm Arm { get; } = new();
    public Disarm Disarm { get; } = new();
    public EStop EStop { get; } = new();
    public ClearFault ClearFault { get; } = new();
    public ParamGet ParamGet { get; } = new();
    public ParamSet ParamSet { get; } = new();
    public ParamList ParamList { get; } = new();
    public ParamValue ParamValue { get; } = new();
    public Fault Fault { get; } = new();
    public Log Log { get; } = new();

    /// <summary>The instance for a type byte, or null for an unknown type.</summary>
    public Message? For(byte type) => (MessageType)type switch
    {
        MessageType.Hello => Hello,
        MessageType.HelloAck => HelloAck,
        MessageType.State => State,
        MessageType.Command => Command,
        MessageType.Heartbeat => Heartbeat,
        MessageType.Arm => Arm,
        MessageType.Disarm => Disarm,
        MessageType.EStop => EStop,
        MessageType.ClearFault => ClearFault,
        MessageType.ParamGet => ParamGet,
        MessageType.ParamSet => ParamSet,
        MessageType.ParamList => ParamList,
        MessageType.ParamValue => ParamValue,
        MessageType.Fault => Fault,
        MessageType.Log => Log,
        _ => null,
    };
}
