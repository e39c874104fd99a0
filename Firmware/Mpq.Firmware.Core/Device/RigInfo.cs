namespace Mpq.Firmware.Device;

/// <summary>What HelloAck tells a controller about the rig, and whether it must pass bring-up before it arms (real hardware).</summary>
public sealed record RigInfo(string Name, int Joints, int Actuators, double TorqueMax, bool NeedsBringUp = false);
