using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Bench;

/// <summary>Messages of every type with random (valid) field values.</summary>
public sealed class RandomMessages(Random rng)
{
    private readonly MessageSet _set = new();

    public Message Next()
    {
        switch (rng.Next(15))
        {
            case 0:
                _set.Hello.ProtocolVersion = (ushort)rng.Next(3);
                _set.Hello.Name = Name();
                return _set.Hello;
            case 1:
                var ack = _set.HelloAck;
                ack.RigName = Name();
                ack.Joints = rng.Next(Frame.MaxJoints + 1);
                ack.Actuators = rng.Next(Frame.MaxJoints + 1);
                ack.LoopRateHz = (ushort)rng.Next(65536);
                Fill(ack.TorqueLimit);
                Fill(ack.PositionMin);
                Fill(ack.PositionMax);
                Fill(ack.VelocityLimit);
                return ack;
            case 2:
            case 3:
            case 4:
                var s = _set.State;
                s.TimeMicroseconds = (ulong)rng.NextInt64();
                s.Sequence = (uint)rng.Next();
                s.ArmState = (RigArmState)rng.Next(4);
                s.Joints = rng.Next(Frame.MaxJoints + 1);
                s.Actuators = rng.Next(Frame.MaxJoints + 1);
                s.Status = (StatusFlags)rng.Next(65536);
                s.Faults = (FaultBits)rng.Next();
                Fill(s.Position);
                Fill(s.Velocity);
                Fill(s.Torque);
                return s;
            case 5:
            case 6:
                var c = _set.Command;
                c.AnswersState = (uint)rng.Next();
                c.ValidityMilliseconds = (ushort)rng.Next(65536);
                c.Actuators = rng.Next(Frame.MaxJoints + 1);
                Fill(c.Torque);
                return c;
            case 7:
                _set.Heartbeat.TimeMicroseconds = (ulong)rng.NextInt64();
                return _set.Heartbeat;
            case 8:
                return rng.Next(4) switch { 0 => _set.Arm, 1 => _set.Disarm, 2 => _set.EStop, _ => _set.ClearFault };
            case 9:
                _set.ParamGet.Name = Name();
                return _set.ParamGet;
            case 10:
                _set.ParamSet.Name = Name();
                _set.ParamSet.Value = rng.NextDouble() * 1e6 - 5e5;
                return _set.ParamSet;
            case 11:
                _set.ParamList.Index = (ushort)rng.Next(65536);
                return _set.ParamList;
            case 12:
                var v = _set.ParamValue;
                v.Status = (ParamStatus)rng.Next(7);
                v.Kind = (ParamKind)rng.Next(3);
                v.Index = (ushort)rng.Next(65536);
                v.Count = (ushort)rng.Next(65536);
                v.Value = rng.NextDouble();
                v.Min = -rng.NextDouble();
                v.Max = rng.NextDouble() + 1;
                v.Name = Name();
                return v;
            case 13:
                _set.Fault.Faults = (FaultBits)rng.Next();
                _set.Fault.Code = (ushort)rng.Next(65536);
                _set.Fault.Text = Text(rng.Next(TextMessage.MaxText + 1));
                return _set.Fault;
            default:
                _set.Log.Level = (LogLevel)rng.Next(4);
                _set.Log.Text = Text(rng.Next(TextMessage.MaxText + 1));
                return _set.Log;
        }
    }

    private void Fill(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() * 200 - 100);
        }
    }

    private string Name()
    {
        var text = Text(rng.Next(Message.NameField));
        while (System.Text.Encoding.UTF8.GetByteCount(text) > Message.NameField - 1)
        {
            text = text[..^1];
        }
        return text;
    }

    private string Text(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = rng.Next(20) == 0 ? 'é' : (char)rng.Next(0x20, 0x7F);
        }
        return new string(chars);
    }
}
