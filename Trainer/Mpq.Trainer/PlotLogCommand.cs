using System.CommandLine;
using System.Globalization;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.Trainer;

/// <summary><c>plot-log FILE --out PNG</c>: a transition log's trajectory over time (angle or first position, and the actions).</summary>
internal static class PlotLogCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a transition log (controller run/sim --log, or train --rig's rig.mpqlog)" };
        var output = new Option<string>("--out") { Description = "PNG to write", Required = true };
        var command = new Command("plot-log", "Plot a transition log: the angle (or first position) and the commanded and applied actions against time, with the limits and the log's events.") { file, output };
        command.SetAction(r => TrainerCli.Run(() =>
        {
            var path = r.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"transition log '{path}' does not exist");
            }
            var log = TransitionLogReader.Read(path);
            if (log.Records.Count == 0)
            {
                throw new InvalidDataException($"'{path}' holds no transitions");
            }
            var segments = Plot(log, r.GetValue(output)!);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {r.GetValue(output)} ({log.Records.Count} transitions in {segments} unbroken stretch(es), {log.Events.Count} event(s))"));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Draws the plot and returns how many unbroken stretches it has. A line is broken (a gap, never a joining
    /// line) where the log is: a new episode, a missing step (the rig was not live: disarmed, estopped), and for an
    /// angle where it wraps at ±π.
    /// </summary>
    internal static int Plot(TransitionLogReader log, string path)
    {
        var h = log.Header;
        var task = TaskCatalog.Names.Contains(h.Task) ? TaskCatalog.Create(h.Task) : null;
        var layout = h.ObservationLayout;
        var cos = Array.FindIndex(layout, n => n.StartsWith("cos_", StringComparison.Ordinal));
        var sin = cos < 0 ? -1 : Array.IndexOf(layout, "sin_" + layout[cos][4..]);
        var records = log.Records;
        var t0 = records[0].Time;
        var time = records.Select(r => r.Time - t0).ToArray();
        double[] position;
        string positionLabel;
        if (sin >= 0)
        {
            position = records.Select(r => Math.Atan2(r.Observation[sin], r.Observation[cos])).ToArray();
            positionLabel = $"{layout[cos][4..]} (rad, 0 = target)";
        }
        else
        {
            position = records.Select(r => r.State[0]).ToArray();
            positionLabel = "first position (state[0])";
        }
        var unit = task?.ActionUnit ?? "";
        string ActionName(int a) => task is not null && a < task.ActionLayout.Count ? task.ActionLayout[a] : $"action {a}";
        var breaks = Breaks(records);

        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        AddBroken(plot, time, position, i => breaks[i] || Math.Abs(position[i] - position[i - 1]) > Math.PI, positionLabel, palette.GetColor(0), 2, right: false);
        for (var a = 0; a < h.ActionSize; a++)
        {
            var axis = a;
            var commanded = records.Select(r => (double)r.Action[axis]).ToArray();
            AddBroken(plot, time, commanded, i => breaks[i], $"{ActionName(a)} commanded ({unit})", palette.GetColor(1 + 2 * a), 3, right: true);
            if (records[0].Measured is not null)
            {
                var applied = records.Select(r => (double)r.Measured![axis]).ToArray();
                AddBroken(plot, time, applied, i => breaks[i], $"{ActionName(a)} applied ({unit})", palette.GetColor(2 + 2 * a), 1, right: true);
            }
        }
        // The limits as they were at each moment: a live 'torque_limit=0.9' moves the dashed lines from then on.
        var end = time[^1];
        var steps = LimitSteps(h, task, log.Events.Select(e => (e.Time - t0, e.Text)));
        for (var k = 0; k < steps.Count; k++)
        {
            var from = Math.Max(steps[k].From, 0);
            var to = k + 1 < steps.Count ? steps[k + 1].From : end;
            foreach (var limit in steps[k].Limits)
            {
                var line = plot.Add.Line(from, limit, Math.Max(to, from), limit);
                line.Axes.YAxis = plot.Axes.Right;
                line.Color = ScottPlot.Colors.Gray;
                line.LinePattern = ScottPlot.LinePattern.Dashed;
                line.LineWidth = 1;
            }
        }
        // Events: a number on the line and the text in the legend (forty characters of text on each line overlapped
        // each other and the axis); close neighbours alternate between the bottom and the top edge.
        var shown = 0;
        var lastLabel = double.NegativeInfinity;
        var bottom = true;
        foreach (var e in log.Events)
        {
            var at = e.Time - t0;
            var line = plot.Add.VerticalLine(at);
            line.Color = e.Text.StartsWith("stop", StringComparison.Ordinal) || e.Text.Contains("estop", StringComparison.OrdinalIgnoreCase) ? ScottPlot.Colors.Red : ScottPlot.Colors.DarkGreen;
            line.LineWidth = 1;
            line.LinePattern = ScottPlot.LinePattern.Dotted;
            shown++;
            line.Text = shown.ToString(CultureInfo.InvariantCulture);
            bottom = at - lastLabel > 0.03 * Math.Max(end, 1e-9) || !bottom;
            line.LabelOppositeAxis = !bottom;
            lastLabel = at;
            if (shown <= MaxEventsInLegend)
            {
                var text = e.Text.Length > 48 ? e.Text[..48] + "…" : e.Text;
                line.LegendText = string.Create(CultureInfo.InvariantCulture, $"{shown}: {text} ({at:F1} s)");
            }
            else if (shown == MaxEventsInLegend + 1)
            {
                line.LegendText = $"{log.Events.Count - MaxEventsInLegend} more event(s): controller log inspect";
            }
        }
        // Axes apart: the dashed ±1 N·m limits lay exactly on ±π of the angle's axis (both autoscaled to the same
        // height), easy to read as the angle's bounds.
        if (sin >= 0)
        {
            plot.Axes.SetLimitsY(-3.6, 3.6, plot.Axes.Left);
        }
        var reach = steps.SelectMany(k => k.Limits).Select(Math.Abs).DefaultIfEmpty(0).Max();
        var dataReach = records.SelectMany(r => r.Measured is null ? r.Action : r.Action.Concat(r.Measured)).Select(v => Math.Abs((double)v)).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        reach = Math.Max(reach, dataReach);
        if (reach > 0)
        {
            plot.Axes.SetLimitsY(-1.3 * reach, 1.3 * reach, plot.Axes.Right);
        }
        plot.Title($"{h.Task} ({h.Source}): {records.Count} steps{(log.Events.Count > 0 ? $", {log.Events.Count} event(s)" : "")}");
        plot.XLabel("time (s)");
        plot.Axes.Left.Label.Text = positionLabel;
        plot.Axes.Right.Label.Text = unit.Length > 0 ? $"action ({unit}); dashed: limits" : "action; dashed: limits";
        plot.ShowLegend(ScottPlot.Edge.Right);
        plot.SavePng(path, 1200, 500);
        return breaks.Count(b => b) + 1;
    }

    /// <summary>Where the log itself breaks: a new episode or a step missing before record i.</summary>
    private static bool[] Breaks(IReadOnlyList<LoggedTransition> records)
    {
        var breaks = new bool[records.Count];
        for (var i = 1; i < records.Count; i++)
        {
            breaks[i] = records[i].Episode != records[i - 1].Episode || records[i].Step != records[i - 1].Step + 1;
        }
        return breaks;
    }

    private const int MaxEventsInLegend = 12;

    /// <summary>The action limits over time (<see cref="TransitionLogLimits.Steps"/>), the task's bounds where the log has none.</summary>
    internal static IReadOnlyList<(double From, double[] Limits)> LimitSteps(TransitionLogHeader h, ITask? task, IEnumerable<(double Time, string Text)> events) =>
        TransitionLogLimits.Steps(h, task is null ? null : task.ActionLow.ToArray().Concat(task.ActionHigh.ToArray()).Distinct().ToArray(), events);

    /// <summary>One scatter per unbroken stretch, in one colour, with the legend entry on the first.</summary>
    private static void AddBroken(ScottPlot.Plot plot, double[] x, double[] y, Func<int, bool> breakBefore, string label, ScottPlot.Color color, float width, bool right)
    {
        var start = 0;
        var first = true;
        for (var i = 1; i <= x.Length; i++)
        {
            if (i < x.Length && !breakBefore(i))
            {
                continue;
            }
            var line = plot.Add.Scatter(x[start..i], y[start..i]);
            line.Color = color;
            line.MarkerSize = i - start == 1 ? 3 : 0;
            line.LineWidth = width;
            line.LegendText = first ? label : "";
            if (right)
            {
                line.Axes.YAxis = plot.Axes.Right;
            }
            first = false;
            start = i;
        }
    }
}
