using System.Globalization;
using Mpq.Controller.Rig;
using Spectre.Console;

namespace Mpq.Controller.Commands;

/// <summary>
/// <c>controller run --live</c>: a terminal view of the run, redrawn 4 times a second on its own thread (never the
/// control loop's): each joint's angle and velocity, the torque the rig applied against its limit, arm state and
/// faults, link health, planner timing and the last messages.
/// </summary>
/// <remarks>
/// Reads only what the loop already publishes for other threads (the link's latest State, lock-free counters, the
/// planning-time ring). Draws on stderr so <c>--json</c>'s summary on stdout stays clean; the messages that would go
/// to stderr line by line are shown in the view instead while it runs.
/// </remarks>
internal sealed class RunLiveView : IDisposable
{
    private const int Messages = 6;
    private readonly RigClient _client;
    private readonly RigRunner _runner;
    private readonly double _duration;
    private readonly Queue<string> _messages = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly IAnsiConsole _console;
    private readonly float[] _limit;

    public RunLiveView(RigClient client, RigRunner runner, double durationSeconds)
    {
        _client = client;
        _runner = runner;
        _duration = durationSeconds;
        _limit = client.Rig is { } ack ? ack.TorqueLimit.ToArray() : [];
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.Yes });
        _thread = new Thread(Draw) { IsBackground = true, Name = "mpq-live-view" };
    }

    /// <summary>Whether stderr is a terminal a live view can redraw.</summary>
    public static bool Supported => !Console.IsErrorRedirected;

    /// <summary>A message for the view's message pane (thread-safe).</summary>
    public void Message(string line)
    {
        lock (_messages)
        {
            _messages.Enqueue(line);
            while (_messages.Count > Messages)
            {
                _messages.Dequeue();
            }
        }
    }

    public void Start() => _thread.Start();

    private void Draw()
    {
        var started = DateTime.UtcNow;
        var snapshot = new RigSnapshot(_client.Rig?.Joints ?? 1);
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        _console.Live(table).AutoClear(false).Start(ctx =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Fill(table, snapshot, (DateTime.UtcNow - started).TotalSeconds);
                ctx.Refresh();
                _stop.Token.WaitHandle.WaitOne(250);
            }
            Fill(table, snapshot, (DateTime.UtcNow - started).TotalSeconds);
            ctx.Refresh();
        });
    }

    /// <summary>
    /// How many message lines fit below the other rows on a terminal <paramref name="height"/> rows high: the view
    /// grew past 24 rows (long messages wrapping) and Spectre's live display then scrolled the angle, torque and arm
    /// rows off the top of an 80×24 terminal after about 15 s.
    /// </summary>
    internal static int MessageRows(int height, int joints, int actuators) =>
        Math.Clamp(height - (joints + actuators + 3) - 5, 1, Messages);

    /// <summary>The text cut to <paramref name="width"/> characters (an ellipsis marks the cut), so a cell never wraps.</summary>
    internal static string Fit(string text, int width) =>
        text.Length <= width ? text : width <= 1 ? text[..Math.Max(width, 0)] : text[..(width - 1)] + "…";

    private void Fill(Table table, RigSnapshot rig, double elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        // The value column's width on this terminal: the first column ("messages") and the borders take 16.
        var width = Math.Max(20, _console.Profile.Width - 16);
        table.Rows.Clear();
        table.Title = new TableTitle(string.Create(c, $"controller run: {elapsed:F1} / {_duration:F0} s"));
        if (!_client.TryGetLatest(rig))
        {
            table.AddRow("rig", "no State yet");
        }
        else
        {
            for (var j = 0; j < rig.Position.Length; j++)
            {
                var wrapped = Math.Atan2(Math.Sin(rig.Position[j]), Math.Cos(rig.Position[j]));
                table.AddRow(string.Create(c, $"joint {j}"), string.Create(c, $"{wrapped,8:F3} rad   {rig.Velocity[j],8:F3} rad/s"));
            }
            for (var a = 0; a < rig.Torque.Length; a++)
            {
                var limit = a < _limit.Length && _limit[a] > 0 ? _limit[a] : 1;
                table.AddRow(string.Create(c, $"torque {a}"), Markup.Escape(string.Create(c, $"{rig.Torque[a],7:F3} N·m {Bar(rig.Torque[a] / limit)} limit ±{limit:G3}")));
            }
            var arm = rig.Arm.ToString().ToLowerInvariant();
            var colour = rig.Arm == Mpq.Protocol.Messages.RigArmState.Armed ? "green" : rig.Arm == Mpq.Protocol.Messages.RigArmState.EStopped ? "red" : "yellow";
            table.AddRow(new Markup("arm"), new Markup($"[{colour}]{arm}[/]{(rig.Faults != 0 ? Markup.Escape($" faults {rig.Faults}") : "")}"));
        }
        var rt = _client.RoundTrip;
        table.AddRow(new Markup("link"), new Markup(_client.Failure is { } failure
            ? $"[red]LOST[/] {Markup.Escape(Fit(failure, width - 5))}"
            : "[green]up[/]  " + Markup.Escape(Fit(string.Create(c, $"round trip p50 {(rt.Count > 0 ? rt.Percentile(0.5) : double.NaN):F1} ms, p99 {(rt.Count > 0 ? rt.Percentile(0.99) : double.NaN):F1} ms, rejected {_client.Received.DroppedTotal}"), width - 4))));
        var plan = _runner.PlanTimes;
        var (steps, misses) = _runner.Progress;
        table.AddRow("planner", Markup.Escape(Fit(string.Create(c, $"p50 {(plan.Count > 0 ? plan.Percentile(0.5) : double.NaN):F2} ms, p99 {(plan.Count > 0 ? plan.Percentile(0.99) : double.NaN):F2} ms, misses {misses}/{steps}, torque scale {_runner.Tuning.TorqueScaleValue:G3}"), width)));
        string[] lines;
        lock (_messages)
        {
            lines = [.. _messages];
        }
        var rows = MessageRows(_console.Profile.Height, rig.Position.Length, rig.Torque.Length);
        table.AddRow("messages", Markup.Escape(lines.Length == 0 ? "-" : string.Join('\n', lines.TakeLast(rows).Select(l => Fit(l, width)))));
    }

    /// <summary>A 21-character bar, centre = 0, ends = ± the limit.</summary>
    private static string Bar(double fraction)
    {
        var f = Math.Clamp(double.IsFinite(fraction) ? fraction : 0, -1, 1);
        var cells = new char[21];
        Array.Fill(cells, '·');
        cells[10] = '|';
        var n = (int)Math.Round(Math.Abs(f) * 10);
        for (var i = 1; i <= n; i++)
        {
            cells[10 + Math.Sign(f) * i] = '█';
        }
        return $"[{new string(cells)}]";
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
        _stop.Dispose();
    }
}
