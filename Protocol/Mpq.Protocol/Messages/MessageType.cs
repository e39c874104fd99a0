namespace Mpq.Protocol.Messages;

/// <summary>Message type byte of a frame.</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    HelloAck = 0x02,
    State = 0x10,
    Command = 0x11,
    Heartbeat = 0x12,
    Arm = 0x20,
    Disarm = 0x21,
    EStop = 0x22,
    ClearFault = 0x23,
    ParamGet = 0x30,
    ParamSet = 0x31,
    ParamList = 0x32,
    ParamValue = 0x33,
    Fault = 0x40,
    Log = 0x41,
}
