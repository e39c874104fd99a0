using System.Globalization;
using Mpq.Common;
using Mpq.Tasks;

namespace Mpq.Planning.Logging;

/// <summary>
/// A transition log as CSV that pandas, PlotJuggler and spreadsheets read: one header line, one row per transition,
/// one column per field, units in brackets in the header.
/// </summary>
/// <remarks>
/// Columns, in order: <c>time [s]</c> (since the log was opened), <c>episode</c>, <c>step</c>, the task's observation
/// entries (e.g. <c>theta_dot [rad/s]</c>), for each actuator the commanded action (<c>torque [N·m]</c>) and the one the
/// plant reports it applied (<c>torque_applied [N·m]</c>, after a rig's clamp and slew limit; empty in a format-1 log),
/// <c>cost</c>, <c>done</c> (0/1), the state entries (<c>state_0</c> …, the model's qpos then qvel) and <c>setting</c>:
/// the live setting change or event at that step (empty otherwise; quoted). An event at a step with no transition (a
/// setting before the first step, a disarm after the last) has a row of its own, in time order, with only time, episode,
/// step and setting filled: every event of the log is in the CSV. Numbers use '.' and round-trip.
/// </remarks>
public static class TransitionLogCsv
{
    /// <summary>The header's column names for a log (units from the task when the log's task is known).</summary>
    public static IReadOnlyList<string> Columns(TransitionLogHeader h)
    {
        var task = TaskCatalog.Names.Contains(h.Task) ? TaskCatalog.Create(h.Task) : null;
        string Named(string name, string unit) => unit.Length == 0 ? name : $"{name} [{unit}]";
        var columns = new List<string> { "time [s]", "episode", "step" };
        for (var i = 0; i < h.ObservationSize; i++)
        {
            var name = i < h.ObservationLayout.Length ? h.ObservationLayout[i] : $"obs_{i}";
            columns.Add(Named(name, task is not null && i < task.ObservationUnits.Count ? task.ObservationUnits[i] : ""));
        }
        var unit = task?.ActionUnit ?? "";
        for (var a = 0; a < h.ActionSize; a++)
        {
            columns.Add(Named(ActionName(task, a), unit));
        }
        for (var a = 0; a < h.ActionSize; a++)
        {
            columns.Add(Named(ActionName(task, a) + "_applied", unit));
        }
        columns.Add("cost");
        columns.Add("done");
        for (var i = 0; i < h.StateSize; i++)
        {
            columns.Add(string.Create(CultureInfo.InvariantCulture, $"state_{i}"));
        }
        columns.Add("setting");
        return columns;
    }

    /// <summary>Writes <paramref name="log"/> as CSV.</summary>
    public static void Write(TransitionLogReader log, TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        var h = log.Header;
        var columns = Columns(h);
        writer.WriteLine(string.Join(',', columns.Select(Csv.Quote)));
        // An event joins the transition of its step; one at a step no transition has (a setting made before the first
        // step, a disarm after an episode's last) gets a row of its own at its time, with only time, episode, step and
        // the text: none is dropped.
        var steps = log.Records.Select(r => (r.Episode, (long)r.Step)).ToHashSet();
        var events = log.Events.Where(e => steps.Contains((e.Episode, e.Step))).GroupBy(e => (e.Episode, e.Step)).ToDictionary(g => g.Key, g => string.Join("; ", g.Select(e => e.Text)));
        var alone = new Queue<LoggedEvent>(log.Events.Where(e => !steps.Contains((e.Episode, e.Step))));
        void WriteAlone(double until)
        {
            while (alone.Count > 0 && alone.Peek().Time <= until)
            {
                var e = alone.Dequeue();
                var cells = new string[columns.Count];
                Array.Fill(cells, "");
                (cells[0], cells[1], cells[2], cells[^1]) = (e.Time.ToString("R", c), e.Episode.ToString(c), e.Step.ToString(c), Csv.Quote(e.Text));
                writer.WriteLine(string.Join(',', cells));
            }
        }
        var row = new List<string>();
        foreach (var r in log.Records)
        {
            WriteAlone(r.Time);
            row.Clear();
            row.Add(r.Time.ToString("R", c));
            row.Add(r.Episode.ToString(c));
            row.Add(r.Step.ToString(c));
            row.AddRange(r.Observation.Select(v => v.ToString("R", c)));
            row.AddRange(r.Action.Select(v => v.ToString("R", c)));
            row.AddRange(r.Measured is { } m ? m.Select(v => v.ToString("R", c)) : Enumerable.Repeat("", h.ActionSize));
            row.Add(r.Cost.ToString("R", c));
            row.Add(r.Done ? "1" : "0");
            row.AddRange(r.State.Select(v => v.ToString("R", c)));
            row.Add(events.TryGetValue((r.Episode, r.Step), out var text) ? Csv.Quote(text) : "");
            writer.WriteLine(string.Join(',', row));
        }
        WriteAlone(double.PositiveInfinity);
    }

    private static string ActionName(ITask? task, int a) =>
        task is not null && a < task.ActionLayout.Count ? task.ActionLayout[a] : string.Create(CultureInfo.InvariantCulture, $"action_{a}");
}
