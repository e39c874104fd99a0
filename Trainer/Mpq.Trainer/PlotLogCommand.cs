using System.CommandLine;
using Mpq.Planning.Logging;

namespace Mpq.Trainer;

/// <summary><c>plot-log FILE --out PNG</c>: a transition log's trajectory over time (angle or first position, and the actions).</summary>
internal static class PlotLogCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a transition log (controller run/sim --log, or train --rig's rig.mpqlog)" };
        var output = new Option<string>("--out") { Description = "PNG to write", Required = true };
        var command = new Command("plot-log", "Plot a transition log: the angle (or first position) and the applied actions against time.") { file, output };
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
            Plot(log, r.GetValue(output)!);
            Console.WriteLine($"wrote {r.GetValue(output)} ({log.Records.Count} transitions)");
            return 0;
        }));
        return command;
    }

    /// <summary>Angle from the (cos θ, sin θ) observation pair when the task has one, else the first position of the state.</summary>
    private static void Plot(TransitionLogReader log, string path)
    {
        var layout = log.Header.ObservationLayout;
        var cos = Array.FindIndex(layout, n => n.StartsWith("cos_", StringComparison.Ordinal));
        var sin = cos < 0 ? -1 : Array.IndexOf(layout, "sin_" + layout[cos][4..]);
        var records = log.Records;
        var t0 = records[0].Time;
        var time = records.Select(r => r.Time - t0).ToArray();
        double[] position;
        string positionLabel;
        if (sin >= 0)
        {
            position = records.Select(r => Math.Atan2(r.NextObservation[sin], r.NextObservation[cos])).ToArray();
            positionLabel = $"{layout[cos][4..]} (rad, 0 = target)";
        }
        else
        {
            position = records.Select(r => r.NextState[0]).ToArray();
            positionLabel = "first position (state[0])";
        }
        var plot = new ScottPlot.Plot();
        var angle = plot.Add.Scatter(time, position);
        angle.LegendText = positionLabel;
        angle.MarkerSize = 0;
        angle.LineWidth = 2;
        for (var a = 0; a < log.Header.ActionSize; a++)
        {
            var action = plot.Add.Scatter(time, records.Select(r => (double)r.Action[a]).ToArray());
            action.LegendText = log.Header.ActionSize == 1 ? "action (torque)" : $"action {a}";
            action.MarkerSize = 0;
            action.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title($"{log.Header.Task} ({log.Header.Source}): {records.Count} steps");
        plot.XLabel("time (s)");
        plot.Axes.Left.Label.Text = positionLabel;
        plot.Axes.Right.Label.Text = "action";
        plot.ShowLegend();
        plot.SavePng(path, 1000, 500);
    }
}
