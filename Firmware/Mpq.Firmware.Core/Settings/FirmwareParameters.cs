using System.Globalization;
using Mpq.Firmware.Safety;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Settings;

/// <summary>The firmware's tunable parameters (console <c>list</c>, binary ParamList) and how they feed the safety limits.</summary>
public static class FirmwareParameters
{
    public const string TorqueLimit = "torque_limit";
    public const string SlewRate = "slew_rate";
    public const string WatchdogMs = "watchdog_ms";
    public const string CommandMaxAgeMs = "command_max_age_ms";
    public const string LinkTimeoutMs = "link_timeout_ms";
    public const string LoopRateHz = "loop_rate_hz";
    public const string StateStreamHz = "state_stream_hz";
    public const string TextStream = "text_stream";
    public const string FirmwareVersion = "firmware_version";

    /// <summary>1 once bring-up passed on this rig (every joint zeroed, every actuator's direction checked): a hardware rig
    /// refuses to arm until then. Set only by the console's bring-up, saved with the parameters; a file from before it
    /// existed reads as not done.</summary>
    public const string BringUpDone = "bringup_done";

    public static string PositionMin(int joint) => string.Create(CultureInfo.InvariantCulture, $"pos_min_{joint}");
    public static string PositionMax(int joint) => string.Create(CultureInfo.InvariantCulture, $"pos_max_{joint}");
    public static string VelocityLimit(int joint) => string.Create(CultureInfo.InvariantCulture, $"vel_limit_{joint}");
    public static string CalibrationOffset(int joint) => string.Create(CultureInfo.InvariantCulture, $"cal_offset_{joint}");

    /// <summary>The default slew rate as a multiple of the default torque limit, per second (a reversal in 0.1 s).</summary>
    public const double DefaultSlewPerLimit = 20;

    /// <summary>The table for a rig with the given joints and hardware torque maximum; <paramref name="slewRate"/>: the
    /// hardware's own default (<see cref="Drivers.IRigDriver.SlewRate"/>), else <see cref="DefaultSlewPerLimit"/>.</summary>
    public static ParameterTable Create(int joints, double torqueMax, int loopRateHz = 500, double? slewRate = null, bool bringUpDone = true)
    {
        var slew = Math.Clamp(slewRate ?? DefaultSlewPerLimit * Math.Min(1, torqueMax), 0.1, 1e6);
        var list = new List<ParameterDefinition>
        {
            new(TorqueLimit, ParamKind.Real, 0, torqueMax, Math.Min(1, torqueMax), "N·m", "applied torque is clamped to ±this"),
            // 20 × the default limit per second: a full reversal takes 0.1 s, what a small gearmotor's teeth and an
            // H-bridge's current survive; 1e6 (the maximum) switches slew limiting off.
            new(SlewRate, ParamKind.Real, 0.1, 1e6, slew, "N·m/s", "largest change of torque per second"),
            new(WatchdogMs, ParamKind.Integer, 5, 1000, 50, "ms", "armed without a fresh command this long: zero torque, disarm"),
            new(CommandMaxAgeMs, ParamKind.Integer, 5, 5000, 500, "ms", "a command must answer a State this recent"),
            new(LinkTimeoutMs, ParamKind.Integer, 100, 60000, 1000, "ms", "no valid frame this long: link lost, console mode"),
            new(LoopRateHz, ParamKind.Integer, 50, 2000, loopRateHz, "Hz", "device loop rate"),
            new(StateStreamHz, ParamKind.Integer, 0, 2000, loopRateHz, "Hz", "State frames per second (0: off; at most one per tick)"),
            new(TextStream, ParamKind.Boolean, 0, 1, 0, "", "text telemetry on the console (stream on|off)"),
            new(FirmwareVersion, ParamKind.Integer, 0, 1_000_000, 1, "", "firmware build", ReadOnly: true),
            new(BringUpDone, ParamKind.Boolean, 0, 1, bringUpDone ? 1 : 0, "", "bring-up passed: joints zeroed ('zero'), directions checked ('direction'); arming waits for it"),
        };
        for (var j = 0; j < joints; j++)
        {
            list.Add(new(PositionMin(j), ParamKind.Real, -1e9, 1e9, -1e9, "rad", $"joint {j}: lowest allowed position"));
            list.Add(new(PositionMax(j), ParamKind.Real, -1e9, 1e9, 1e9, "rad", $"joint {j}: highest allowed position"));
            list.Add(new(VelocityLimit(j), ParamKind.Real, 0, 1e4, 50, "rad/s", $"joint {j}: fastest allowed speed"));
            list.Add(new(CalibrationOffset(j), ParamKind.Real, -1e3, 1e3, 0, "rad", $"joint {j}: added to the sensor reading"));
        }
        return new ParameterTable(list);
    }

    /// <summary>Copies the limits the supervisor enforces out of the table (cheap; once per tick).</summary>
    public static void ApplyTo(ParameterTable table, SafetyLimits limits, ParameterIndex index, double torqueMax)
    {
        limits.TorqueLimit = table[index.TorqueLimit];
        limits.TorqueMax = torqueMax;
        limits.SlewRate = table[index.SlewRate];
        limits.WatchdogSeconds = table[index.WatchdogMs] / 1000;
        limits.CommandMaxAgeSeconds = table[index.CommandMaxAgeMs] / 1000;
        for (var j = 0; j < limits.PositionMin.Length; j++)
        {
            limits.PositionMin[j] = table[index.PositionMin[j]];
            limits.PositionMax[j] = table[index.PositionMax[j]];
            limits.VelocityLimit[j] = table[index.VelocityLimit[j]];
        }
    }
}

/// <summary>Indices of the parameters the loop reads every tick (looked up once, so the tick does no string work).</summary>
public sealed class ParameterIndex
{
    public ParameterIndex(ParameterTable table, int joints)
    {
        TorqueLimit = Require(table, FirmwareParameters.TorqueLimit);
        SlewRate = Require(table, FirmwareParameters.SlewRate);
        WatchdogMs = Require(table, FirmwareParameters.WatchdogMs);
        CommandMaxAgeMs = Require(table, FirmwareParameters.CommandMaxAgeMs);
        LinkTimeoutMs = Require(table, FirmwareParameters.LinkTimeoutMs);
        LoopRateHz = Require(table, FirmwareParameters.LoopRateHz);
        StateStreamHz = Require(table, FirmwareParameters.StateStreamHz);
        TextStream = Require(table, FirmwareParameters.TextStream);
        PositionMin = Enumerable.Range(0, joints).Select(j => Require(table, FirmwareParameters.PositionMin(j))).ToArray();
        PositionMax = Enumerable.Range(0, joints).Select(j => Require(table, FirmwareParameters.PositionMax(j))).ToArray();
        VelocityLimit = Enumerable.Range(0, joints).Select(j => Require(table, FirmwareParameters.VelocityLimit(j))).ToArray();
        CalibrationOffset = Enumerable.Range(0, joints).Select(j => Require(table, FirmwareParameters.CalibrationOffset(j))).ToArray();
    }

    public int TorqueLimit { get; }
    public int SlewRate { get; }
    public int WatchdogMs { get; }
    public int CommandMaxAgeMs { get; }
    public int LinkTimeoutMs { get; }
    public int LoopRateHz { get; }
    public int StateStreamHz { get; }
    public int TextStream { get; }
    public int[] PositionMin { get; }
    public int[] PositionMax { get; }
    public int[] VelocityLimit { get; }
    public int[] CalibrationOffset { get; }

    private static int Require(ParameterTable table, string name)
    {
        var i = table.IndexOf(name);
        return i >= 0 ? i : throw new InvalidOperationException($"parameter table lacks '{name}'");
    }
}
