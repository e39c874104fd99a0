using System.Globalization;
using Mpq.Firmware.Settings;

namespace Mpq.Firmware.Safety;

/// <summary>Which parameter changes an armed rig accepts: a limit may be tightened at once, never loosened.</summary>
/// <remarks>
/// The rule table (Firmware/README.md, "Armed rule table"), for the console and the binary ParamSet alike:
/// <list type="table">
/// <item><term>torque_limit, slew_rate, watchdog_ms, command_max_age_ms, link_timeout_ms, vel_limit_N</term>
/// <description>lowering allowed; raising refused (status 6, "not allowed now")</description></item>
/// <item><term>pos_min_N</term><description>raising allowed (narrower); lowering refused</description></item>
/// <item><term>pos_max_N</term><description>lowering allowed (narrower); raising refused</description></item>
/// <item><term>cal_offset_N, loop_rate_hz</term><description>any change refused (they move the reading, or the clock, under a live motor)</description></item>
/// <item><term>state_stream_hz, text_stream</term><description>allowed (telemetry only: fewer States can only trip the controller's own timeouts or the watchdog)</description></item>
/// </list>
/// A tighter limit can stop the rig (a watchdog shorter than the controller's period, a position range the joint is
/// already outside): that is a safe outcome, so it is allowed. Disarmed, everything in range is allowed.
/// </remarks>
public static class ArmedParameterRules
{
    /// <summary>Null if <paramref name="name"/> may change from <paramref name="current"/> to <paramref name="proposed"/> while armed; else why not.</summary>
    public static string? Refusal(string name, double current, double proposed)
    {
        if (proposed == current)
        {
            return null;
        }
        return Rule(name) switch
        {
            Direction.Free => null,
            Direction.LowerOnly when proposed < current => null,
            Direction.RaiseOnly when proposed > current => null,
            Direction.LowerOnly => Say(name, "can only be lowered while armed (disarm first to raise it)"),
            Direction.RaiseOnly => Say(name, "can only be raised while armed (disarm first to lower it)"),
            _ => Say(name, "cannot change while armed (disarm first)"),
        };
    }

    private static string Say(string name, string what) => string.Create(CultureInfo.InvariantCulture, $"{name} {what}");

    private enum Direction
    {
        Free,
        LowerOnly,
        RaiseOnly,
        Frozen,
    }

    private static Direction Rule(string name) => name switch
    {
        FirmwareParameters.TorqueLimit or FirmwareParameters.SlewRate or FirmwareParameters.WatchdogMs
            or FirmwareParameters.CommandMaxAgeMs or FirmwareParameters.LinkTimeoutMs => Direction.LowerOnly,
        FirmwareParameters.StateStreamHz or FirmwareParameters.TextStream => Direction.Free,
        FirmwareParameters.LoopRateHz or FirmwareParameters.BringUpDone => Direction.Frozen, // bring-up is done disarmed
        _ when name.StartsWith("vel_limit_", StringComparison.Ordinal) => Direction.LowerOnly,
        _ when name.StartsWith("pos_max_", StringComparison.Ordinal) => Direction.LowerOnly,
        _ when name.StartsWith("pos_min_", StringComparison.Ordinal) => Direction.RaiseOnly,
        _ => Direction.Frozen, // cal_offset_N and anything added later: frozen until someone decides otherwise
    };
}
