using System.CommandLine;
using System.Globalization;
using Mpq.Common.Text;
using Mpq.Planning.Logging;

namespace Mpq.Controller.Commands;

/// <summary><c>log inspect FILE</c>: what a transition log holds.</summary>
internal static class LogCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "a transition log" };
        var inspect = new Command("inspect", "Summarise a transition log: header, episodes, costs, damage.") { file };
        inspect.SetAction(r => ControllerCli.Run(() =>
        {
            var path = r.GetValue(file)!;
            var log = Open(path);
            var h = log.Header;
            var c = CultureInfo.InvariantCulture;
            // The header is the file's text: control characters are shown, never sent to the terminal.
            Console.WriteLine(TerminalText.Printable(string.Create(c, $"{path}: format {h.Format}, task {h.Task}, source {h.Source}, created {h.CreatedUtc:u}")));
            Console.WriteLine(log.HeaderChecked ? "  header: checksum ok" : string.Create(c, $"  header: unchecked (a format-{h.Format} log carries no header checksum)"));
            Console.WriteLine(TerminalText.Printable(string.Create(c, $"  state {h.StateSize}, observation {h.ObservationSize} [{string.Join(", ", h.ObservationLayout)}], action {h.ActionSize}")));
            Console.WriteLine(TerminalText.Printable($"  planner: {string.Join(", ", h.Planner.Select(kv => $"{kv.Key}={kv.Value}"))}"));
            Console.WriteLine(TerminalText.Printable($"  priors: {string.Join(", ", h.Priors.Select(kv => string.Create(c, $"{kv.Key} bias {kv.Value[0]} sigma {kv.Value[1]}")))}"));
            var episodes = log.Records.GroupBy(x => x.Episode).ToList();
            Console.WriteLine(string.Create(c, $"  {log.Records.Count} transitions in {episodes.Count} episode(s); {log.Records.Count(x => x.Done)} ended"));
            foreach (var e in episodes)
            {
                Console.WriteLine(string.Create(c, $"    episode {e.Key,3}: {e.Count(),4} steps, cost {e.Sum(x => x.Cost),10:F2}"));
            }
            foreach (var e in log.Events)
            {
                Console.WriteLine(TerminalText.Printable(string.Create(c, $"  episode {e.Episode} step {e.Step}: {e.Text}")));
            }
            Console.WriteLine(log.SkippedBytes == 0
                ? "  intact: no damaged or truncated tail"
                : string.Create(c, $"  {log.SkippedBytes} byte(s) after the last intact record skipped ({(log.DamagedRecords > 0 ? "damaged record" : "truncated write")})"));
            return 0;
        }));
        var exportFile = new Argument<string>("file") { Description = "a transition log" };
        var csv = new Option<string>("--csv") { Description = "the CSV file to write ('-': standard output)", Required = true };
        var export = new Command("export", "Write a transition log as CSV (pandas, PlotJuggler): one column per field, units in the header.") { exportFile, csv };
        export.SetAction(r => ControllerCli.Run(() =>
        {
            var log = Open(r.GetValue(exportFile)!);
            var target = r.GetValue(csv)!;
            if (target == "-")
            {
                TransitionLogCsv.Write(log, Console.Out);
                return 0;
            }
            int rows;
            using (var writer = new StreamWriter(target, append: false, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                rows = TransitionLogCsv.Write(log, writer);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {target}: {rows} rows ({log.Records.Count} transitions, {rows - log.Records.Count} events on rows of their own), {TransitionLogCsv.Columns(log.Header).Count} columns, {log.Events.Count} events and setting changes in all"));
            return 0;
        }));
        var viewFile = new Argument<string>("file") { Description = "a transition log" };
        var viewAt = new Option<string?>("--dashboard") { Description = $"HOST:PORT to serve the page on (default {Dashboard.DashboardServer.DefaultAddress}, this machine only)" };
        var view = new Command("view", "Review a transition log in the browser: the run's angle, commanded and applied torque with the limit in force, and its events.") { viewFile, viewAt };
        view.SetAction(r => ControllerCli.Run(() =>
        {
            var path = r.GetValue(viewFile)!;
            var log = Open(path);
            if (log.Records.Count == 0)
            {
                throw new InvalidDataException($"'{path}' holds no transitions");
            }
            var task = Mpq.Tasks.TaskCatalog.Names.Contains(log.Header.Task) ? Mpq.Tasks.TaskCatalog.Create(log.Header.Task) : null;
            var limits = task is null ? null : task.ActionLow.ToArray().Concat(task.ActionHigh.ToArray()).Distinct().ToArray();
            using var server = new Dashboard.DashboardServer(r.GetValue(viewAt), Dashboard.DashboardData.Review(path, log, limits), sample: null, Console.Error.WriteLine);
            using var stop = new ManualResetEventSlim();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Set();
            };
            server.Start();
            Console.Error.WriteLine("open it in a browser; Ctrl-C stops");
            stop.Wait();
            return 0;
        }));
        return new Command("log", "Transition logs.") { inspect, export, view };
    }

    private static TransitionLogReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"transition log '{path}' does not exist");
        }
        try
        {
            return TransitionLogReader.Read(path);
        }
        catch (InvalidDataException e)
        {
            throw new FormatException(e.Message, e);
        }
    }
}
