using System.Globalization;
using System.Text;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Device;

/// <summary>
/// What the rig's console verbs do (<see cref="ConsoleInterpreter"/> parses them): status, arming and estop through the
/// <see cref="SupervisorInbox"/>, the parameters file, telemetry and bring-up.
/// </summary>
/// <remarks>
/// Runs on the link's reader thread under its reader lock, like every line typed; nothing here does I/O on the line or
/// waits on the device loop (the loop drains the inbox at its next tick).
/// </remarks>
internal sealed class RigConsole(SafetySupervisor supervisor, SupervisorInbox inbox, ParameterTable parameters, ParameterKeeper keeper,
    SessionParameters session, BringUp bringUp, ConsoleTelemetry telemetry, Func<string> linkStatus, Action<string> log) : IConsoleTarget
{
    /// <summary>The device loop (null until it is attached), for its clock and its lines in <c>status</c>.</summary>
    public IDeviceView? Device { get; set; }

    public string Status()
    {
        var s = supervisor;
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"state: {s.State.ToString().ToLowerInvariant()}  faults: {s.Faults}  handshake: {(s.HandshakeDone ? "yes" : "no")}  last stop: {s.LastStopReason}\n");
        b.Append(linkStatus()).Append('\n');
        b.Append(CultureInfo.InvariantCulture, $"commands: accepted {s.CommandsAccepted}, rejected invalid {s.CommandsRejectedInvalid}, stale {s.CommandsRejectedStale}, ignored (not armed) {s.CommandsIgnoredNotArmed}, expired {s.CommandsExpired}; watchdog trips {s.WatchdogTrips}, limit trips {s.LimitTrips}");
        if (Device is { } device)
        {
            b.Append('\n').Append(device.Describe());
            b.Append('\n').Append(device.DescribeJoints());
            if (device.DriverHealth is { } health)
            {
                b.Append('\n').Append(health);
            }
        }
        b.Append('\n').Append(keeper.Describe());
        return b.ToString();
    }

    public string Params(bool reset)
    {
        if (!reset)
        {
            return keeper.Describe();
        }
        if (supervisor.State == RigArmState.Armed)
        {
            return "error: disarm first: the defaults may be looser than the limits in force";
        }
        var reply = keeper.AcceptDefaults(parameters);
        session.UpdateArmInterlock();
        log($"parameters: a person accepted the defaults at the console ({reply})");
        return reply;
    }

    public string ParamsFile(string verb, string file, bool confirmed)
    {
        switch (verb)
        {
            case "save":
                return ParameterBackup.Save(file, parameters, keeper.FilePath);
            case "diff":
                return ParameterBackup.Compare(file, parameters).Reply;
        }
        if (supervisor.State == RigArmState.Armed)
        {
            return "error: disarm first: a backup may loosen the limits in force";
        }
        var (reply, values, changes) = ParameterBackup.Compare(file, parameters);
        if (values is null || (changes == 0 && keeper.Damage is null))
        {
            return reply;
        }
        if (!confirmed)
        {
            return $"{reply}\nnothing changed yet: type 'params load {file} yes' to apply";
        }
        var accepted = keeper.AcceptValues(parameters, values, file);
        session.UpdateArmInterlock();
        log($"parameters: a person loaded {file} at the console ({changes} change(s); {accepted})");
        return accepted;
    }

    public string Arm()
    {
        var refused = inbox.Arm(Device?.Now() ?? 0);
        return refused is null ? "ok armed" : $"error: {refused}";
    }

    public string Disarm()
    {
        inbox.Disarm("disarm typed at the console");
        return "ok disarmed";
    }

    public string EStop()
    {
        inbox.EStop("estop typed at the console");
        return "ok estop latched: torque zero; 'clear estop' to release";
    }

    public string ClearFaults(bool releaseEStop)
    {
        var result = inbox.ClearFaults(releaseEStop);
        return result.StartsWith("refused: ", StringComparison.Ordinal) ? $"error: {result["refused: ".Length..]}" : $"ok {result}";
    }

    public string SetStreaming(bool on) => telemetry.SetText(on);

    public string StreamCsv(int hz) => telemetry.SetCsv(hz);

    public string Zero(string joint, string angle) => bringUp.Zero(joint, angle);

    public string Direction(string actuator, string? torque) => bringUp.Direction(actuator, torque);

    public void EnterBinary()
    {
    }
}
