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
/// <c>cost</c>, <c>done</c> (0/1), the state entries (the model's qpos then qvel, named by joint where the task is known:
/// <c>qpos_hinge [rad]</c>, <c>qvel_hinge [rad/s]</c>; <c>state_i</c> otherwise), each hinge's angle wrapped to (−π, π]
/// (<c>hinge_wrapped [rad]</c>) and <c>setting</c>:
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
        var joints = StateJoints(task, h.StateSize);
        for (var i = 0; i < h.StateSize; i++)
        {
            columns.Add(joints.Names[i] ?? string.Create(CultureInfo.InvariantCulture, $"state_{i}"));
        }
        foreach (var (name, _) in joints.Hinges)
        {
            columns.Add($"{name}_wrapped [rad]");
        }
        columns.Add("setting");
        return columns;
    }

    /// <summary>
    /// The state's entries by the model's names where the task's model lays the state out as qpos then qvel (hinges and
    /// slides: <c>qpos_JOINT [rad]</c>, <c>qvel_JOINT [rad/s]</c>; null for other entries), and each hinge's qpos index for a
    /// column of its angle wrapped to (−π, π] (the state keeps the unwrapped angle a rig's encoder counts).
    /// </summary>
    private static (string?[] Names, (string Name, int Index)[] Hinges) StateJoints(ITask? task, int stateSize)
    {
        var names = new string?[stateSize];
        if (task is null)
        {
            return (names, []);
        }
        using var model = MuJoCo.MjModel.FromXmlString(task.ModelXml);
        if (model.Nq + model.Nv != stateSize && model.StateSize != stateSize)
        {
            return (names, []);
        }
        var hinges = new List<(string, int)>();
        for (var j = 0; j < model.NJoint; j++)
        {
            var type = model.JointType(j);
            var name = model.Name(MuJoCo.MjObjectType.Joint, j);
            if (type is not (2 or 3) || string.IsNullOrEmpty(name))
            {
                continue;
            }
            var (q, v) = (model.JointQposAddress(j), model.Nq + model.JointDofAddress(j));
            var hinge = type == 3;
            if (q < stateSize)
            {
                names[q] = $"qpos_{name} [{(hinge ? "rad" : "m")}]";
            }
            if (v < stateSize)
            {
                names[v] = $"qvel_{name} [{(hinge ? "rad/s" : "m/s")}]";
            }
            if (hinge && q < stateSize)
            {
                hinges.Add((name, q));
            }
        }
        return (names, [.. hinges]);
    }

    /// <summary>Writes <paramref name="log"/> as CSV.</summary>
    /// <returns>The rows written after the header: one per transition and one per event at a step without a transition.</returns>
    public static int Write(TransitionLogReader log, TextWriter writer)
    {
        var c = CultureInfo.InvariantCulture;
        var h = log.Header;
        var columns = Columns(h);
        writer.WriteLine(string.Join(',', columns.Select(Csv.Quote)));
        var hinges = StateJoints(TaskCatalog.Names.Contains(h.Task) ? TaskCatalog.Create(h.Task) : null, h.StateSize).Hinges;
        // An event joins the transition of its step; one at a step no transition has (a setting made before the first
        // step, a disarm after an episode's last) gets a row of its own at its time, with only time, episode, step and
        // the text: none is dropped.
        var steps = log.Records.Select(r => (r.Episode, (long)r.Step)).ToHashSet();
        var events = log.Events.Where(e => steps.Contains((e.Episode, e.Step))).GroupBy(e => (e.Episode, e.Step)).ToDictionary(g => g.Key, g => string.Join("; ", g.Select(e => e.Text)));
        var rows = log.Records.Count;
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
                rows++;
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
            row.AddRange(hinges.Select(x => Math.Atan2(Math.Sin(r.State[x.Index]), Math.Cos(r.State[x.Index])).ToString("R", c)));
            row.Add(events.TryGetValue((r.Episode, r.Step), out var text) ? Csv.Quote(text) : "");
            writer.WriteLine(string.Join(',', row));
        }
        WriteAlone(double.PositiveInfinity);
        return rows;
    }

    private static string ActionName(ITask? task, int a) =>
        task is not null && a < task.ActionLayout.Count ? task.ActionLayout[a] : string.Create(CultureInfo.InvariantCulture, $"action_{a}");
}
