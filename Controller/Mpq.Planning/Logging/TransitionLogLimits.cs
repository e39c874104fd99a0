using System.Globalization;

namespace Mpq.Planning.Logging;

/// <summary>The action limit a log's run had at each moment: the header's, then each live <c>torque_limit=X</c> event.</summary>
public static class TransitionLogLimits
{
    /// <summary>
    /// The limits over time: from the start, the rig's torque limit when the log recorded it (header planner field
    /// <c>torque_limit</c>, "a/b" per actuator), else <paramref name="taskLimits"/> (the task's own bounds, low and
    /// high), then each logged <c>torque_limit=X</c> change from its moment on (±X).
    /// </summary>
    /// <param name="header">The log's header.</param>
    /// <param name="taskLimits">The task's action bounds when the header has none (null: unknown).</param>
    /// <param name="events">The log's events as (seconds from the first record, text).</param>
    public static IReadOnlyList<(double From, double[] Limits)> Steps(TransitionLogHeader header, IEnumerable<double>? taskLimits, IEnumerable<(double Time, string Text)> events)
    {
        var steps = new List<(double From, double[] Limits)> { (double.NegativeInfinity, Initial(header, taskLimits).ToArray()) };
        foreach (var (time, text) in events)
        {
            const string key = "torque_limit=";
            if (text.StartsWith(key, StringComparison.Ordinal)
                && double.TryParse(text[key.Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0)
            {
                steps.Add((time, [v, -v]));
            }
        }
        return steps;
    }

    /// <summary>The largest limit in force at <paramref name="time"/> (NaN when the log does not say).</summary>
    public static double At(IReadOnlyList<(double From, double[] Limits)> steps, double time)
    {
        var limits = steps[0].Limits;
        foreach (var (from, l) in steps)
        {
            if (from <= time)
            {
                limits = l;
            }
        }
        return limits.Length == 0 ? double.NaN : limits.Max();
    }

    private static IEnumerable<double> Initial(TransitionLogHeader h, IEnumerable<double>? taskLimits)
    {
        if (h.Planner.TryGetValue("torque_limit", out var text))
        {
            foreach (var part in text.Split('/'))
            {
                if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    yield return v;
                    yield return -v;
                }
            }
            yield break;
        }
        foreach (var v in taskLimits ?? [])
        {
            yield return v;
        }
    }
}
