using System.Buffers.Binary;
using System.Text;

namespace Mpq.Protocol.Messages;

/// <summary>Firmware → Controller, answer to <see cref="Hello"/>: what the rig is and its limits.</summary>
/// <remarks>
/// Payload (38 + 4k + 12n bytes): u16 protocol version, rig name[32], u8 joints n, u8 actuators k,
/// u16 loop rate (Hz), f32 torque limit[k], f32 position min[n], f32 position max[n], f32 velocity limit[n].
/// </remarks>
public sealed class HelloAck : Message
{
    private readonly float[] _torqueLimit = new float[Framing.Frame.MaxJoints];
    private readonly float[] _positionMin = new float[Framing.Frame.MaxJoints];
    private readonly float[] _positionMax = new float[Framing.Frame.MaxJoints];
    private readonly float[] _velocityLimit = new float[Framing.Frame.MaxJoints];
    private readonly byte[] _storage = new byte[NameField];
    private string _rigName = "";
    private int _joints;
    private int _actuators;

    public override MessageType Type => MessageType.HelloAck;
    public override int PayloadLength => 38 + 4 * _actuators + 12 * _joints;

    public ushort ProtocolVersion { get; set; } = Framing.Frame.ProtocolVersion;
    public string RigName { get => _rigName; set => _rigName = CheckName(value, "rig name"); }
    public int Joints { get => _joints; set => _joints = CheckCount(value, "joints"); }
    public int Actuators { get => _actuators; set => _actuators = CheckCount(value, "actuators"); }
    public ushort LoopRateHz { get; set; }
    public Span<float> TorqueLimit => _torqueLimit.AsSpan(0, _actuators);
    public Span<float> PositionMin => _positionMin.AsSpan(0, _joints);
    public Span<float> PositionMax => _positionMax.AsSpan(0, _joints);
    public Span<float> VelocityLimit => _velocityLimit.AsSpan(0, _joints);

    public override void Write(Span<byte> payload)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(payload, ProtocolVersion);
        WriteName(payload[2..], _rigName);
        payload[34] = (byte)_joints;
        payload[35] = (byte)_actuators;
        BinaryPrimitives.WriteUInt16LittleEndian(payload[36..], LoopRateHz);
        var o = 38;
        WriteFloats(payload[o..], TorqueLimit); o += 4 * _actuators;
        WriteFloats(payload[o..], PositionMin); o += 4 * _joints;
        WriteFloats(payload[o..], PositionMax); o += 4 * _joints;
        WriteFloats(payload[o..], VelocityLimit);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 38 || payload[34] > Framing.Frame.MaxJoints || payload[35] > Framing.Frame.MaxJoints)
        {
            return false;
        }
        _joints = payload[34];
        _actuators = payload[35];
        if (payload.Length != PayloadLength)
        {
            return false;
        }
        if (!TryReadName(payload[2..], _storage, out var length))
        {
            return false;
        }
        ProtocolVersion = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        _rigName = Encoding.UTF8.GetString(_storage, 0, length);
        LoopRateHz = BinaryPrimitives.ReadUInt16LittleEndian(payload[36..]);
        var o = 38;
        ReadFloats(payload[o..], TorqueLimit); o += 4 * _actuators;
        ReadFloats(payload[o..], PositionMin); o += 4 * _joints;
        ReadFloats(payload[o..], PositionMax); o += 4 * _joints;
        ReadFloats(payload[o..], VelocityLimit);
        return true;
    }
}
