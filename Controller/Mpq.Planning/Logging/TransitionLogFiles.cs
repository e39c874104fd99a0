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
        var planner = new Dictionary<string, string>
        {
            ["horizon"] = settings.Horizon.ToString(CultureInfo.InvariantCulture),
            ["samples"] = settings.Samples.ToString(CultureInfo.InvariantCulture),
            ["lambda"] = settings.Lambda.ToString("R", CultureInfo.InvariantCulture),
            ["gamma"] = settings.Gamma.ToString("R", CultureInfo.InvariantCulture),
            ["q"] = qPath ?? "",
        };
        foreach (var (key, value) in extra)
        {
            planner[key] = value;
        }
        return TransitionLog.Create(path, TransitionLogHeader.For(task, stateSize, source, planner));
    }
}
