using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

/// <summary>One canonical instance of every message type, for round trips and golden vectors.</summary>
internal static class SampleMessages
{
    public static IEnumerable<Message> All()
    {
        yield return new Hello { ProtocolVersion = 1, Name = "mpq-controller" };
        var ack = new HelloAck { RigName = "pendulum-rig", Joints = 1, Actuators = 1, LoopRateHz = 500 };
        ack.TorqueLimit[0] = 2f;
        ack.PositionMin[0] = -1e9f;
        ack.PositionMax[0] = 1e9f;
        ack.VelocityLimit[0] = 20f;
        yield return ack;
        var state = new State { TimeMicroseconds = 123_456_789, Sequence = 42, ArmState = RigArmState.Armed, Joints = 2, Actuators = 1, Status = StatusFlags.HandshakeDone | StatusFlags.TorqueLimited, CommandEcho = 41, Faults = FaultBits.None };
        state.Position[0] = 3.14159f;
        state.Position[1] = -0.5f;
        state.Velocity[0] = 1.25f;
        state.Velocity[1] = -2f;
        state.Torque[0] = 0.75f;
        yield return state;
        var command = new Command { AnswersState = 42, ValidityMilliseconds = 60, Actuators = 1 };
        command.Torque[0] = -1.5f;
        yield return command;
        yield return new Heartbeat { TimeMicroseconds = 987_654_321 };
        yield return new Arm();
        yield return new Disarm();
        yield return new EStop();
        yield return new ClearFault();
        yield return new ParamGet { Name = "torque_limit" };
        yield return new ParamSet { Name = "torque_limit", Value = 0.5 };
        yield return new ParamList { Index = 3 };
        yield return new ParamValue { Status = ParamStatus.Ok, Kind = ParamKind.Real, Index = 3, Count = 9, Value = 0.5, Min = 0, Max = 5, Name = "torque_limit" };
        yield return new Fault { Faults = FaultBits.WatchdogTimeout, Code = 1, Text = "no valid command for 50 ms" };
        yield return new Log { Level = LogLevel.Warning, Text = "loop overrun: 2.3 ms" };
    }
}
