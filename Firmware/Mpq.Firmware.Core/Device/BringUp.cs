using System.Globalization;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Device;

/// <summary>
/// Bring-up at the console, the steps odrivetool and SimpleFOC take before any controller may drive a motor: zero each
/// joint where it rests (<c>zero J ANGLE</c>: a pendulum hanging reads π), then check each actuator's direction
/// (<c>direction A</c>: a short torque pulse, disarmed otherwise, must turn joint A the way the torque's sign says).
/// When every joint was zeroed and every actuator passed in this session, <c>bringup_done</c> becomes 1 and is saved;
/// a rig that needs bring-up (real hardware) refuses to arm until then. Changing a <c>cal_offset_J</c> any other way
/// undoes it: the zero the controller's model depends on has moved.
/// </summary>
/// <remarks>
/// The pulse itself runs in the safety supervisor (<see cref="SafetySupervisor.StartPulse"/>), timed by the loop's ticks;
/// this class only asks for it through the inbox and reads the published outcome on the housekeeping thread.
/// Actuator A is checked against joint A (a Furuta's motor drives joint 0, the arm).
/// </remarks>
internal sealed class BringUp
{
    /// <summary>How long a direction pulse lasts, and the default torque as a share of <c>torque_limit</c>.</summary>
    public const double PulseSeconds = 0.2;
    public const double DefaultTorqueShare = 0.2;

    /// <summary>Less motion than this (rad) says nothing about the sign: friction held the joint, or it is not connected.</summary>
    public const double MinimumMotion = 0.005;

    private readonly ParameterTable _parameters;
    private readonly SafetySupervisor _supervisor;
    private readonly SupervisorInbox _inbox;
    private readonly Func<double> _clock;
    private readonly bool[] _zeroed;
    private readonly bool[] _checked;
    private PulseOutcome? _seen;
    private bool _writingFlag;
    private bool _zeroing;

    public BringUp(ParameterTable parameters, int joints, int actuators, bool required, SafetySupervisor supervisor, SupervisorInbox inbox, Func<double> clock)
    {
        _parameters = parameters;
        Required = required;
        _supervisor = supervisor;
        _inbox = inbox;
        _clock = clock;
        _zeroed = new bool[joints];
        _checked = new bool[Math.Min(joints, actuators)];
        _seen = supervisor.LastPulse;
    }

    /// <summary>Whether this rig must pass bring-up before it arms (<see cref="Drivers.IRigDriver.NeedsBringUp"/>).</summary>
    public bool Required { get; }

    /// <summary>The calibrated position of a joint now (the device loop's latest reading), set by whoever builds the loop.</summary>
    public Func<int, double>? JointPosition { get; set; }

    private bool Done => _parameters.Get(FirmwareParameters.BringUpDone) >= 1;

    /// <summary>Why arming is held for bring-up, or null.</summary>
    public string? Hold => !Required || Done ? null
        : "bring-up not done: zero every joint ('zero J ANGLE') and check every actuator's direction ('direction A') at the console (Firmware/README.md, Bring-up)";

    /// <summary>The parameter guard's part: <c>bringup_done</c> is raised only by passing bring-up.</summary>
    public string? Guard(string name, double current, double proposed) =>
        name == FirmwareParameters.BringUpDone && proposed > current && !_writingFlag
            ? "bringup_done is set by passing bring-up ('zero J ANGLE' for every joint, then 'direction A' for every actuator), not by hand"
            : null;

    /// <summary>A parameter changed: a calibration moved by anything but <c>zero</c> undoes bring-up. Returns a line to say, or null.</summary>
    public string? OnParameterChanged(string name)
    {
        if (_zeroing || !name.StartsWith("cal_offset_", StringComparison.Ordinal) || !int.TryParse(name["cal_offset_".Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var j))
        {
            return null;
        }
        if (j >= 0 && j < _zeroed.Length)
        {
            _zeroed[j] = false;
        }
        if (!Required || !Done)
        {
            return null;
        }
        _parameters.TrySet(FirmwareParameters.BringUpDone, 0);
        return $"{name} changed: the zero the controller's model relies on has moved, so bring-up must be done again (bringup_done = 0; the rig will not arm until it passes)";
    }

    /// <summary><c>zero J ANGLE</c>: moves joint J's calibration offset so that it reads ANGLE where it is now.</summary>
    public string Zero(string jointText, string angleText)
    {
        if (!int.TryParse(jointText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var j) || j < 0 || j >= _zeroed.Length)
        {
            return $"error: zero: joint '{ParameterConsole.Truncate(jointText)}' does not exist (0 .. {_zeroed.Length - 1})";
        }
        if (ParseAngle(angleText) is not { } angle)
        {
            return $"error: zero: angle '{ParameterConsole.Truncate(angleText)}' is not a number of radians (or pi, -pi) within +-1000";
        }
        if (_supervisor.State == RigArmState.Armed || _supervisor.PulseActive)
        {
            return "error: zero: disarm first (and let any direction pulse end): the controller's model would jump under it";
        }
        if (JointPosition is not { } read)
        {
            return "error: zero: no device loop: nothing to read";
        }
        var reading = read(j);
        if (!double.IsFinite(reading))
        {
            return $"error: zero: joint {j} reads {reading}: check its encoder first";
        }
        var name = FirmwareParameters.CalibrationOffset(j);
        var old = _parameters.Get(name);
        var offset = old + (angle - reading);
        _zeroing = true;
        ParamStatus status;
        try
        {
            status = _parameters.TrySet(name, offset, out var refusal);
            if (status != ParamStatus.Ok)
            {
                return $"error: zero: {name} = {offset:G6} was refused ({refusal ?? status.ToString()})";
            }
        }
        finally
        {
            _zeroing = false;
        }
        _zeroed[j] = true;
        return string.Create(CultureInfo.InvariantCulture,
            $"ok joint {j} now reads {angle:G6} rad ({name} {old:G6} -> {offset:G6}, saved). {Remaining()}{Complete()}");
    }

    /// <summary><c>direction A [TORQUE]</c>: asks the supervisor for a pulse; the outcome comes from <see cref="Poll"/>.</summary>
    public string Direction(string actuatorText, string? torqueText)
    {
        if (!int.TryParse(actuatorText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) || a < 0 || a >= _checked.Length)
        {
            return $"error: direction: actuator '{ParameterConsole.Truncate(actuatorText)}' does not exist here (0 .. {_checked.Length - 1}, each checked against the joint of its number)";
        }
        var limit = _parameters.Get(FirmwareParameters.TorqueLimit);
        var torque = DefaultTorqueShare * limit;
        if (torqueText is not null && (!double.TryParse(torqueText, NumberStyles.Float, CultureInfo.InvariantCulture, out torque) || !double.IsFinite(torque) || torque == 0 || Math.Abs(torque) > limit))
        {
            return string.Create(CultureInfo.InvariantCulture, $"error: direction: TORQUE must be a non-zero number within torque_limit ({limit:G4} Nm), got '{ParameterConsole.Truncate(torqueText)}'");
        }
        if (torque <= 0)
        {
            return "error: direction: torque_limit is 0: nothing can move (set torque_limit first)";
        }
        var refused = _inbox.Pulse(_clock(), a, torque, PulseSeconds);
        return refused is null
            ? string.Create(CultureInfo.InvariantCulture, $"ok pulse of {torque:+0.###;-0.###} Nm on actuator {a} for {PulseSeconds} s ('estop' stops it); the result follows")
            : $"error: direction: {refused}";
    }

    /// <summary>Whether a pulse ended since the last <see cref="Poll"/>: a lock-free peek, so housekeeping takes the reader's lock
    /// only when there is an outcome to judge (holding it every 10 ms at normal priority, preempted by a busy machine's
    /// real-time threads, would make the real-time reader wait behind it).</summary>
    public bool HasNews => !ReferenceEquals(_supervisor.LastPulse, _seen);

    /// <summary>On the housekeeping thread: the outcome of a pulse that ended since the last call, as a line to say; null when none.</summary>
    public string? Poll()
    {
        var outcome = _supervisor.LastPulse;
        if (outcome is null || ReferenceEquals(outcome, _seen))
        {
            return null;
        }
        _seen = outcome;
        var a = outcome.Actuator;
        var moved = outcome.Displacement;
        var c = CultureInfo.InvariantCulture;
        if (outcome.Aborted is { } why)
        {
            return $"direction {a}: stopped early ({why}): no result; run it again";
        }
        if (!double.IsFinite(moved) || Math.Abs(moved) < MinimumMotion)
        {
            return string.Create(c, $"direction {a}: joint {a} moved only {moved:+0.0000;-0.0000} rad for {outcome.Torque:+0.###;-0.###} Nm: too little to tell; free the joint, or give more torque ('direction {a} TORQUE')");
        }
        if (Math.Sign(moved) != Math.Sign(outcome.Torque))
        {
            if (a < _checked.Length)
            {
                _checked[a] = false;
            }
            return string.Create(c,
                $"direction {a}: REVERSED: {outcome.Torque:+0.###;-0.###} Nm turned joint {a} by {moved:+0.000;-0.000} rad: positive torque must turn the encoder positive. Swap the motor's leads (or the encoder's A and B), then check again; the rig will not arm until it passes");
        }
        _checked[a] = true;
        return string.Create(c, $"direction {a}: ok: {outcome.Torque:+0.###;-0.###} Nm turned joint {a} by {moved:+0.000;-0.000} rad, the same sign. {Remaining()}{Complete()}");
    }

    /// <summary>Once every joint is zeroed and every actuator checked in this session: <c>bringup_done</c> = 1. Returns what to add to the reply.</summary>
    private string Complete()
    {
        if (!Required || Done || !_zeroed.All(z => z) || !_checked.All(k => k))
        {
            return "";
        }
        _writingFlag = true;
        try
        {
            _parameters.TrySet(FirmwareParameters.BringUpDone, 1);
        }
        finally
        {
            _writingFlag = false;
        }
        return " Bring-up passed: bringup_done = 1 (saved); the rig may arm.";
    }

    /// <summary>What is left to do, for the replies.</summary>
    private string Remaining()
    {
        var zero = Enumerable.Range(0, _zeroed.Length).Where(j => !_zeroed[j]).ToArray();
        var direction = Enumerable.Range(0, _checked.Length).Where(a => !_checked[a]).ToArray();
        if (zero.Length == 0 && direction.Length == 0)
        {
            return Required && !Done ? "Every step done." : "Bring-up complete.";
        }
        var parts = new List<string>();
        if (zero.Length > 0)
        {
            parts.Add($"zero joint(s) {string.Join(", ", zero)}");
        }
        if (direction.Length > 0)
        {
            parts.Add($"check direction of actuator(s) {string.Join(", ", direction)}");
        }
        return $"Still to do this session: {string.Join("; ", parts)}.";
    }

    private static double? ParseAngle(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        double? value = t switch
        {
            "pi" or "+pi" => Math.PI,
            "-pi" => -Math.PI,
            _ => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null,
        };
        return value is { } x && double.IsFinite(x) && Math.Abs(x) <= 1000 ? x : null;
    }
}
