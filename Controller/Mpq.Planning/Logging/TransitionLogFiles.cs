using System.Globalization;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Planning.Logging;

/// <summary>What every program's <c>--log FILE</c> does: refuse an existing file, write the header with the planner's settings, return the log.</summary>
public static class TransitionLogFiles
{
    /// <summary>A new transition log at <paramref name="path"/>, or null when no path was given.</summary>
    /// <exception cref="ArgumentException">The file exists already (a log is never overwritten).</exception>
    public static TransitionLog? OpenNew(string? path, ITask task, int stateSize, string source, MppiSettings settings, string? qPath, params (string Key, string Value)[] extra)
    {
        if (path is null)
        {
            return null;
        }
        if (File.Exists(path))
        {
            throw new ArgumentException($"--log: '{path}' exists already; choose a new file");
        }
        var planner = Describe(settings);
        planner["q"] = qPath ?? "";
        foreach (var (key, value) in extra)
        {
            planner[key] = value;
        }
        return TransitionLog.Create(path, TransitionLogHeader.For(task, stateSize, source, planner));
    }

    /// <summary>What a rig's log header records about the rig: its name and torque limit per actuator (plots draw the limit).</summary>
    public static (string Key, string Value)[] RigEntries(string rigName, ReadOnlySpan<float> torqueLimit)
    {
        var limits = new string[torqueLimit.Length];
        for (var a = 0; a < limits.Length; a++)
        {
            limits[a] = torqueLimit[a].ToString("R", CultureInfo.InvariantCulture);
        }
        return [("rig", rigName), ("torque_limit", string.Join('/', limits))];
    }

    /// <summary>Every planner setting by name, as a log's header and its setting-change events write them.</summary>
    public static Dictionary<string, string> Describe(MppiSettings settings)
    {
        var c = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            ["horizon"] = settings.Horizon.ToString(c),
            ["samples"] = settings.Samples.ToString(c),
            ["lambda"] = settings.Lambda.ToString("R", c),
            ["noise_std"] = string.Join('/', settings.NoiseStd.Select(v => v.ToString("R", c))),
            ["alpha"] = settings.StepSize.ToString("R", c),
            ["gamma"] = settings.Gamma.ToString("R", c),
            ["iterations"] = settings.Iterations.ToString(c),
            ["noise_filter"] = settings.NoiseFilter is { } f ? string.Join('/', f.Select(v => v.ToString("R", c))) : "off",
            ["control_cost"] = settings.ControlCost ? "on" : "off",
            ["action_rate_cost"] = settings.ActionRateCost.ToString("R", c),
            ["terminal_floor"] = settings.TerminalFloor.ToString("R", c),
        };
    }

    /// <summary>One line "name=value name=value …" of <see cref="Describe"/>: a setting-change event's text.</summary>
    public static string DescribeLine(MppiSettings settings) => string.Join(' ', Describe(settings).Select(kv => $"{kv.Key}={kv.Value}"));
}
