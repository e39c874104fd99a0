namespace Mpq.Firmware.Device;

/// <summary>What HelloAck tells a controller about the rig.</summary>
public sealed record RigInfo(string Name, int Joints, int Actuators, double TorqueMax);
