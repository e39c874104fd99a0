using System.Buffers.Binary;

namespace Mpq.Protocol.Messages;

/// <summary>Controller → Firmware: torques to apply, the State they answer, and how long they stay valid.</summary>
/// <remarks>
/// Payload (8 + 4k bytes): u32 answered state sequence, u16 validity (ms), u8 actuators k, u8 reserved, f32 torque[k].
/// Values are passed through as sent (NaN included): judging them is the Firmware's safety layer's job.
/// </remarks>
public sealed class Command : Message
{
    private readonly float[] _torque = new float[Framing.Frame.MaxJoints];
    private int _actuators;

    public override MessageType Type => MessageType.Command;
    public override int PayloadLength => 8 + 4 * _actuators;

    /// <summary>Sequence of the State this command was planned from.</summary>
    public uint AnswersState { get; set; }

    /// <summary>How long after arrival the torques may be applied, in milliseconds.</summary>
    public ushort ValidityMilliseconds { get; set; }
    public int Actuators { get => _actuators; set => _actuators = CheckCount(value, "actuators"); }
    public Span<float> Torque => _torque.AsSpan(0, _actuators);

    public override void Write(Span<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(payload, AnswersState);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[4..], ValidityMilliseconds);
        payload[6] = (byte)_actuators;
        payload[7] = 0;
        WriteFloats(payload[8..], Torque);
    }

    public override bool TryRead(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8 || payload[6] > Framing.Frame.MaxJoints)
        {
            return false;
        }
        _actuators = payload[6];
        if (payload.Length != PayloadLength)
        {
            return false;
        }
        AnswersState = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        ValidityMilliseconds = BinaryPrimitives.ReadUInt16LittleEndian(payload[4..]);
        ReadFloats(payload[8..], Torque);
        return true;
    }
}
