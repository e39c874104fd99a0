namespace Mpq.Protocol.Messages;

/// <summary>Status bits in <see cref="State"/>: what the rig's safety layer is doing right now.</summary>
[Flags]
public enum StatusFlags : ushort
{
    None = 0,
    HandshakeDone = 1 << 0,
    WatchdogTripped = 1 << 1,
    TorqueLimited = 1 << 2,
    SlewLimited = 1 << 3,
    PositionLimit = 1 << 4,
    VelocityLimit = 1 << 5,
    CommandRejected = 1 << 6,
    Lockstep = 1 << 7,
    LoopOverrun = 1 << 8,
    LinkErrors = 1 << 9,
}

/// <summary>Fault bits in <see cref="State"/> and <see cref="Fault"/>; latched until ClearFault.</summary>
[Flags]
public enum FaultBits : uint
{
    None = 0,
    WatchdogTimeout = 1 << 0,
    PositionLimit = 1 << 1,
    VelocityLimit = 1 << 2,
    InvalidCommand = 1 << 3,
    DriverFault = 1 << 4,
    EStop = 1 << 5,
    LinkLost = 1 << 6,
    Exception = 1 << 7,
    SensorFault = 1 << 8,
}

/// <summary>The rig's arming state as sent in <see cref="State"/>. Torque only in <see cref="Armed"/>.</summary>
public enum RigArmState : byte
{
    Disarmed = 0,
    Armed = 1,
    Faulted = 2,
    EStopped = 3,
}
