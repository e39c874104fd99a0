using System.Buffers.Binary;

namespace Mpq.Protocol.Messages;

/// <summary>Firmware → Controller, every tick (or at the stream rate): time, joints, torques, safety status.</summary>
/// <remarks>
/// Payload (24 + 8n + 4k bytes): u64 rig time (µs), u32 state sequence, u8 arm state, u8 joints n,
/// u8 actuators k, u8 reserved, u16 status flags, u16 command echo, u32 fault bits,
/// f32 position[n] (rad or m), f32 velocity[n], f32 applied torque[k].
/// </remarks>
public sealed class State : Message
{
    private readonly float[] _position = new float[Framing.Frame.MaxJoints];
    private readonly float[] _velocity = new float[Framing.Frame.MaxJoints];
    private readonly float[] _torque = new float[Framing.Frame.MaxJoints];
    private int _joints;
    private int _actuators;

    public override MessageType Type => MessageType.State;
    public override int PayloadLength => 24 + 8 * _joints + 4 * _actuators;

    public ulong TimeMicroseconds { get; set; }

    /// <summary>Increments with every State; a Command echoes it so the link's round trip can be measured.</summary>
    public uint Sequence { get; set; }
    public RigArmState ArmState { get; set; }
    public int Joints { get => _joints; set => _joints = CheckCount(value, "joints"); }
    public int Actuators { get => _actuators; set => _actuators = CheckCount(value, "actuators"); }
    public StatusFlags Status { get; set; }

    /// <summary>
    /// Low 16 bits of the State sequence that the last fresh Command answered, armed or not (0 before any): the
    /// Controller times its link round trip from sending a Command to seeing it echoed here.
    /// </summary>
    public ushort CommandEcho { get; set; }
    public FaultBits Faults { get; set; }
    public Span<float> Position => _position.AsSpan(0, _joints);
    public Span<float> Velocity => _velocity.AsSpan(0, _joints);
    public Span<float> Torque => _torque.AsSpan(0, _actuators);

    public override void Write(Span<byte> payload)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(payload, TimeMicroseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[8..], Sequence);
        payload[12] = (byte)ArmState;
        payload[13] = (byte)_joints;
        payload[14] = (byte)_actuators;
        payload[15] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(payload[16..], (ushort)Status);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[18..], CommandEcho);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[20..], (uint)Faults);
        var o = 24;
        WriteFloats(payload[o..], Position); o += 4 * _joints;
        WriteFloats(payload[o..], Velocity); o += 4 * _joints;
        WriteFloats(payload[o..], Torque);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 24 || payload[13] > Framing.Frame.MaxJoints || payload[14] > Framing.Frame.MaxJoints || payload[12] > (byte)RigArmState.EStopped)
        {
            return false;
        }
        _joints = payload[13];
        _actuators = payload[14];
        if (payload.Length != PayloadLength)
        {
            return false;
        }
        TimeMicroseconds = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        Sequence = BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]);
        ArmState = (RigArmState)payload[12];
        Status = (StatusFlags)BinaryPrimitives.ReadUInt16LittleEndian(payload[16..]);
        CommandEcho = BinaryPrimitives.ReadUInt16LittleEndian(payload[18..]);
        Faults = (FaultBits)BinaryPrimitives.ReadUInt32LittleEndian(payload[20..]);
        var o = 24;
        ReadFloats(payload[o..], Position); o += 4 * _joints;
        ReadFloats(payload[o..], Velocity); o += 4 * _joints;
        ReadFloats(payload[o..], Torque);
        return true;
    }
}
