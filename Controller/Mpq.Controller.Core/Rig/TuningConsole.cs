using Mpq.Common;
using Mpq.Controller.Onnx;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Controller.Rig;

/// <summary>
/// The Controller's live-tuning console (stdin, or a second pty with <c>run --console PATH</c>): get/set the
/// planner's λ, σ, H, N, α and torque scale, arm/disarm/estop the rig, reload the Q.
/// </summary>
/// <remarks>
/// Runs on its own thread. It never sends a Command and never touches the planner: settings and Q files are
/// published to the <see cref="RigRunner"/>, which applies them between two steps. Arm, Disarm, EStop and
/// ClearFault go straight to the rig (they are not Commands; an estop must not wait for a planning step).
/// Replies start with <c>ok</c> or <c>error:</c>, like the Firmware's console. Input is read byte by byte through a
/// <see cref="LineEditor"/>: a CR, an LF or a CR LF ends a line at once (picocom sends a lone CR), with echo on a raw
/// pty, backspace, Ctrl-U, Ctrl-L, Ctrl-C, history and tab completion of commands and parameter names.
/// </remarks>
public sealed class TuningConsole
{
    public const string Prompt = "mpq-controller> ";

    public const string HelpText = """
        commands:
          help                 this list
          status               planner settings, timing (p50/p99/max), rig state
          list                 every tunable parameter with its value and range
          get NAME             one parameter
          set NAME VALUE       change a parameter; applied between two planning steps
          arm                  set the rig's watchdog for this controller and arm it
          disarm               torque to zero, disarmed (the loop keeps planning)
          estop                emergency stop on the rig: torque zero, latched until 'clear estop'
          clear                clear the rig's latched faults (stays disarmed)
          clear estop          release the rig's latched estop too (stays disarmed)
          reload [FILE]        load a Q file (default: the one in use), check it, swap it in
          rig list             the rig's own parameters (the Firmware's table, over the link)
          rig get NAME         one of them
          rig set NAME VALUE   change one on the rig (range-checked there; some only while disarmed)
          rig save FILE        a backup of the rig's parameters (the Firmware's 'params load' reads it)
          rig diff FILE        what differs between FILE and the rig
          rig load FILE [yes]  show that difference; with 'yes' set it on the rig (disarmed; this session only)
          watch                a live line, 4 times a second: angle, velocity, applied torque, arm state,
                               link, planner timing; any key stops it
        """;

    private readonly RigRunner _runner;
    private readonly RigClient _client;
    private readonly QReloader? _reloader;
    private static readonly string[] Commands = ["help", "status", "list", "get", "set", "arm", "disarm", "estop", "clear", "reload", "rig", "watch"];
    private static readonly TimeSpan RigTimeout = TimeSpan.FromSeconds(1);

    private readonly ParameterConsole _parameters;
    private readonly Stream _input;
    private readonly TextWriter _output;
    private readonly LineEditor _editor;
    private readonly Lock _writeGate = new();
    private Thread? _thread;
    private Timer? _watch;
    private string[]? _rigNames;

    /// <param name="runner">The loop the settings are published to.</param>
    /// <param name="client">The rig's link (arm, disarm, estop, clear go straight to it).</param>
    /// <param name="reloader">Loads Q files for <c>reload</c>, or null.</param>
    /// <param name="input">The person's keystrokes: a raw pty, or stdin.</param>
    /// <param name="output">Where replies and echo go.</param>
    /// <param name="echo">Echo what is typed (a raw pty: yes; a terminal in cooked mode echoes by itself: no).</param>
    public TuningConsole(RigRunner runner, RigClient client, QReloader? reloader, Stream input, TextWriter output, bool echo)
    {
        _runner = runner;
        _client = client;
        _reloader = reloader;
        _parameters = new ParameterConsole(runner.Tuning.Table);
        _input = input;
        _output = output;
        _editor = new LineEditor(Prompt, Complete, echo);
    }

    /// <summary>Tab's candidates: commands first, then parameter names after get/set, <c>estop</c> after clear.</summary>
    private IReadOnlyList<string> Complete(string before)
    {
        var words = before.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length switch
        {
            0 => Commands,
            1 when words[0].Equals("rig", StringComparison.OrdinalIgnoreCase) => ["list", "get", "set", "save", "diff", "load"],
            2 when words[0].Equals("rig", StringComparison.OrdinalIgnoreCase) && words[1].ToLowerInvariant() is "get" or "set" => RigNames(),
            _ => _parameters.Complete(words) ?? [],
        };
    }

    /// <summary>The rig's parameter names for tab, read once over the link (none if it does not answer).</summary>
    private string[] RigNames()
    {
        if (_rigNames is null)
        {
            try
            {
                _rigNames = _client.ListParameters(RigTimeout).Select(p => p.Name).ToArray();
            }
            catch (IOException)
            {
                return [];
            }
        }
        return _rigNames;
    }

    /// <summary>
    /// Starts reading lines on a background thread; it ends when the input closes (or with the process: it may sit
    /// in ReadLine, which nothing can interrupt, so it holds nothing that needs disposing).
    /// </summary>
    public void Start()
    {
        Write($"tuning console; type 'help'\r\n{Prompt}");
        _thread = new Thread(ReadLoop) { IsBackground = true, Name = "controller-console" };
        _thread.Start();
    }

    /// <summary>Writes a line from elsewhere (rig log, reports) without tearing a reply.</summary>
    /// <remarks>While <c>watch</c> runs, the live line is cleared first, so the line starts at column 0 and the next
    /// tick redraws the live line below it (a timing report landed inside it: "misses 1/278timing:").</remarks>
    public void WriteLine(string text) =>
        Write((Volatile.Read(ref _watch) is null ? "" : "\r\x1b[K") + text.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n");

    /// <summary>Executes one line and returns the reply (empty for an empty line). Never throws on input.</summary>
    public string Execute(string line)
    {
        if (_parameters.TryExecute(line, out var words) is { } reply)
        {
            return reply;
        }
        return words[0].ToLowerInvariant() switch
        {
            "help" or "?" => HelpText,
            "status" => ParameterConsole.Usage(words, 1, "status") ?? Status(),
            "arm" => ParameterConsole.Usage(words, 1, "arm") ?? Arm(),
            "disarm" => ParameterConsole.Usage(words, 1, "disarm") ?? SendToRig(new Disarm(), "ok disarm sent"),
            "estop" => ParameterConsole.Usage(words, 1, "estop") ?? EStop(),
            "clear" => Clear(words),
            "reload" when words.Length <= 2 => _reloader is null ? "error: no Q reloading in this run" : _reloader.Reload(words.Length == 2 ? words[1] : null),
            "reload" => "error: usage: reload [FILE]",
            "rig" => Rig(words),
            "watch" => ParameterConsole.Usage(words, 1, "watch") ?? StartWatch(),
            _ => $"error: unknown command '{ParameterConsole.Truncate(words[0])}' (type 'help')",
        };
    }

    private string Status()
    {
        var rig = new RigSnapshot(_client.Rig?.Joints ?? 1);
        var state = _client.TryGetLatest(rig) ? $"rig: {rig.Arm.ToString().ToLowerInvariant()}, faults {rig.Faults}, State {rig.Sequence}" : "rig: no State yet";
        var link = _client.Failure is { } f ? $"link lost: {f}" : $"link: {_client.StatesReceived} States, {_client.Received.DroppedTotal} frames rejected";
        var q = _reloader?.CurrentPath is { } path ? $"Q: {path} ({_reloader.Reloads} reloads, {_reloader.Refusals} refused)" : "Q: none (running cost)";
        return $"{state}; {link}\n{q}\n{_runner.DescribeTiming()}";
    }

    /// <summary><c>rig list|get|set</c>: the Firmware's own parameters through the protocol's Param messages.</summary>
    private string Rig(string[] words)
    {
        try
        {
            switch (words.Length >= 2 ? words[1].ToLowerInvariant() : "")
            {
                case "list" when words.Length == 2:
                    var all = _client.ListParameters(RigTimeout);
                    _rigNames = all.Select(p => p.Name).ToArray();
                    return all.Count == 0 ? "error: the rig listed no parameters" : string.Join('\n', all.Select(p => $"{p.Name,-20} {Format(p),10}   [{Format(p, p.Min)} .. {Format(p, p.Max)}]"));
                case "get" when words.Length == 3:
                    return Reply(_client.GetParameter(words[2], RigTimeout), words[2]);
                case "set" when words.Length == 4:
                    if (!double.TryParse(words[3], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    {
                        return $"error: '{ParameterConsole.Truncate(words[3])}' is not a number";
                    }
                    var (status, inForce) = _client.SetParameter(words[2], value, RigTimeout);
                    if (status == ParamStatus.Ok && words[2].Equals("torque_limit", StringComparison.OrdinalIgnoreCase))
                    {
                        // The Firmware's name (Firmware/README.md): the planner follows the limit the rig now enforces.
                        _runner.OfferTorqueLimit(inForce);
                    }
                    return status == ParamStatus.Ok
                        ? $"ok rig {words[2]} = {inForce.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}"
                        : $"error: the rig refused {ParameterConsole.Truncate(words[2])} = {words[3]}: {Describe(status)} (in force: {inForce.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)})";
                case "save" when words.Length == 3:
                    return RigSave(words[2]);
                case "diff" when words.Length == 3:
                    return RigDiff(words[2], apply: false);
                case "load" when words.Length == 3:
                    var shown = RigDiff(words[2], apply: false);
                    return shown.StartsWith("error", StringComparison.Ordinal) || shown.StartsWith("ok", StringComparison.Ordinal)
                        ? shown
                        : $"{shown}\nnothing changed yet: type 'rig load {words[2]} yes' to apply";
                case "load" when words.Length == 4 && words[3].Equals("yes", StringComparison.OrdinalIgnoreCase):
                    return RigDiff(words[2], apply: true);
                default:
                    return "error: usage: rig list | rig get NAME | rig set NAME VALUE | rig save FILE | rig diff FILE | rig load FILE [yes]";
            }
        }
        catch (IOException e)
        {
            return $"error: {e.Message}";
        }
    }

    /// <summary><c>rig save FILE</c>: the rig's parameters in force, in the parameters file's format (the Firmware's
    /// <c>params load</c> reads it too; read-only ones are kept for the record and skipped on loading).</summary>
    private string RigSave(string file)
    {
        var all = _client.ListParameters(RigTimeout);
        if (all.Count == 0)
        {
            return "error: the rig listed no parameters";
        }
        try
        {
            AtomicFile.Write(file, ParameterFile.Write(all.Select(p => (p.Name, p.Value)).ToList()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"error: cannot write {file}: {e.Message}";
        }
        return $"ok {all.Count} rig parameters saved to {Path.GetFullPath(file)}";
    }

    /// <summary><c>rig diff FILE</c>, and with <paramref name="apply"/> <c>rig load FILE yes</c>: what differs between
    /// the file and the rig, then each difference sent as a ParamSet (the rig checks range and armed rules itself).</summary>
    private string RigDiff(string file, bool apply)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"error: cannot read {file}: {e.Message}";
        }
        if (ParameterFile.Read(text, "controller", out var values, out var checksum) is { } problem)
        {
            return $"error: {file} cannot be loaded: {problem}";
        }
        var rig = _client.ListParameters(RigTimeout).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var unknown = values!.Keys.Where(n => !rig.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
        {
            return $"error: {file} cannot be loaded: '{unknown[0]}' is not a parameter of this rig (a backup of another rig or firmware?)";
        }
        var changes = values.Where(kv => !rig[kv.Key].Value.Equals(kv.Value) && kv.Key != "firmware_version").ToList();
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var lines = changes.Select(kv => $"  {kv.Key,-20} {Format(rig[kv.Key]),10} -> {Format(rig[kv.Key], kv.Value)}").ToList();
        var note = checksum == ParameterChecksum.Matches ? "" : $"\n  note: {file} was edited since it was saved (its checksum {(checksum == ParameterChecksum.Missing ? "is missing" : "differs")})";
        if (changes.Count == 0)
        {
            return $"ok {file} matches the rig's parameters{note}";
        }
        var shown = $"{changes.Count} difference(s), rig -> {file}:\n{string.Join('\n', lines)}{note}";
        if (!apply)
        {
            return shown;
        }
        var latest = new RigSnapshot(_client.Rig?.Joints ?? 1);
        if (!_client.TryGetLatest(latest) || latest.Arm == RigArmState.Armed)
        {
            return "error: disarm first ('disarm'): a backup may loosen the limits in force";
        }
        var refused = new List<string>();
        foreach (var (name, value) in changes)
        {
            var (status, inForce) = _client.SetParameter(name, value, RigTimeout);
            if (status != ParamStatus.Ok)
            {
                refused.Add($"{name} ({Describe(status)})");
            }
            else if (name == "torque_limit")
            {
                _runner.OfferTorqueLimit(inForce);
            }
        }
        return (refused.Count == 0 ? $"ok {changes.Count} rig parameter(s) set from {file}" : $"error: {changes.Count - refused.Count} of {changes.Count} set from {file}; refused: {string.Join(", ", refused)}")
            + string.Create(c, $"; for this controller's session (the rig's saved values return when it disconnects; to keep them, 'params load {file} yes' at the rig's own console)");
    }

    private static string Reply(RigParameter p, string asked) => p.Status == ParamStatus.Ok
        ? $"ok rig {p.Name} = {Format(p)}   [{Format(p, p.Min)} .. {Format(p, p.Max)}]"
        : $"error: rig parameter '{ParameterConsole.Truncate(asked)}': {Describe(p.Status)}";

    private static string Format(RigParameter p, double? value = null) =>
        new ParameterDefinition(p.Name, p.Kind, p.Min, p.Max, 0, "", "").Format(value ?? p.Value);

    private static string Describe(ParamStatus status) => status switch
    {
        ParamStatus.UnknownName => "unknown parameter (type 'rig list')",
        ParamStatus.OutOfRange => "out of range",
        ParamStatus.WrongType => "wrong type",
        ParamStatus.ReadOnly => "read-only",
        ParamStatus.NotAllowedNow => "not allowed while armed: disarm first",
        _ => status.ToString(),
    };

    /// <summary>Starts the live line; the next key typed stops it (<see cref="ReadLoop"/>).</summary>
    private string StartWatch()
    {
        var snapshot = new RigSnapshot(_client.Rig?.Joints ?? 1);
        var timer = new Timer(_ => Write("\r\x1b[K" + WatchLine(snapshot)), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
        (Interlocked.Exchange(ref _watch, timer))?.Dispose();
        return "ok watching (any key stops)";
    }

    private bool StopWatch()
    {
        if (Interlocked.Exchange(ref _watch, null) is not { } timer)
        {
            return false;
        }
        timer.Dispose();
        return true;
    }

    /// <summary>
    /// The live line: wrapped angles, torques, arm state, then link, misses and plan time while they fit in
    /// <see cref="WatchWidth"/> columns (a 125-character line wrapped on an 80-column terminal and its carriage
    /// return then redrew only the second half).
    /// </summary>
    internal string WatchLine(RigSnapshot rig)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        if (!_client.TryGetLatest(rig))
        {
            return "rig: no State yet";
        }
        var b = new System.Text.StringBuilder();
        for (var j = 0; j < rig.Position.Length; j++)
        {
            b.Append(c, $"q{j} {Angles.Wrap(rig.Position[j]),6:+0.000;-0.000} v{j} {rig.Velocity[j],6:+0.00;-0.00} ");
        }
        for (var a = 0; a < rig.Torque.Length; a++)
        {
            b.Append(c, $"τ{a} {rig.Torque[a],6:+0.000;-0.000} ");
        }
        b.Append(c, $"{rig.Arm.ToString().ToLowerInvariant()}{(rig.Faults != 0 ? $" ({rig.Faults})" : "")}");
        var plan = _runner.PlanTimes;
        var (steps, misses) = _runner.Progress;
        var rejected = _client.Received.DroppedTotal;
        string[] optional =
        [
            _client.Failure is null
                ? string.Create(c, $" link {(_client.RoundTrip.Count > 0 ? _client.RoundTrip.Percentile(0.5) : double.NaN):F1}ms{(rejected > 0 ? $" rej {rejected}" : "")}")
                : " link LOST",
            string.Create(c, $" miss {misses}/{steps}"),
            string.Create(c, $" plan {(plan.Count > 0 ? plan.Percentile(0.5) : double.NaN):F1}/{(plan.Count > 0 ? plan.Percentile(0.99) : double.NaN):F1}ms"),
        ];
        foreach (var part in optional)
        {
            if (b.Length + part.Length <= WatchWidth)
            {
                b.Append(part);
            }
        }
        return b.ToString();
    }

    /// <summary>Columns the live line may use: one less than a classic 80-column terminal, so it never wraps.</summary>
    internal const int WatchWidth = 79;

    /// <summary>A latched estop is released only when the person says so: <c>clear estop</c>.</summary>
    private string Clear(string[] words)
    {
        var release = words.Length == 2 && words[1].Equals("estop", StringComparison.OrdinalIgnoreCase);
        if (words.Length > 2 || (words.Length == 2 && !release))
        {
            return "error: usage: clear [estop]";
        }
        var rig = new RigSnapshot(_client.Rig?.Joints ?? 1);
        if (!release && _client.TryGetLatest(rig) && rig.Arm == RigArmState.EStopped)
        {
            return "error: the rig's estop is latched: type 'clear estop' to release it (the rig stays disarmed)";
        }
        return SendToRig(new ClearFault(), release ? "ok clear estop sent" : "ok clear sent");
    }

    private string Arm()
    {
        try
        {
            return _runner.RequestArm() is { } refused ? $"error: {refused}" : "ok arm sent";
        }
        catch (IOException e)
        {
            return $"error: {e.Message}";
        }
    }

    /// <summary>
    /// Sends the estop and says "ok" only when a State from the rig reports it EStopped. A frame can be lost on the
    /// line, so the EStop is repeated every 50 ms (it is idempotent) until the rig confirms or <see cref="EStopConfirmTimeout"/> passes.
    /// </summary>
    private string EStop()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rig = new RigSnapshot(_client.Rig?.Joints ?? 1);
        var estop = new EStop();
        var sent = 0;
        try
        {
            while (clock.Elapsed < EStopConfirmTimeout && _client.Failure is null)
            {
                sent += _client.Send(estop) ? 1 : 0;
                var repeatAt = clock.Elapsed + TimeSpan.FromMilliseconds(50);
                while (clock.Elapsed < repeatAt)
                {
                    if (_client.TryGetLatest(rig) && rig.Arm == RigArmState.EStopped)
                    {
                        return $"ok estop: the rig reports EStopped ({clock.Elapsed.TotalMilliseconds:F0} ms); zero torque, latched until 'clear estop'";
                    }
                    Thread.Sleep(1);
                }
            }
        }
        catch (IOException e)
        {
            return $"error: could not reach the rig: {e.Message}";
        }
        var link = _client.Failure is { } failure ? $"link lost: {failure}" : $"link up, sent {sent} times";
        return $"error: the rig has not confirmed the estop within {clock.Elapsed.TotalSeconds:F1} s ({link}); treat the rig as live and cut its power";
    }

    private static readonly TimeSpan EStopConfirmTimeout = TimeSpan.FromSeconds(0.5);

    private string SendToRig(Message message, string ok)
    {
        try
        {
            return _client.Send(message) ? ok : $"error: the link's writer is behind (its queue is full); {message.Type} was not sent";
        }
        catch (IOException e)
        {
            return $"error: could not reach the rig: {e.Message}";
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[256];
        var echo = new System.Text.StringBuilder();
        try
        {
            int n;
            while ((n = _input.Read(buffer)) > 0)
            {
                for (var i = 0; i < n; i++)
                {
                    if (StopWatch())
                    {
                        Write($"\r\n{Prompt}"); // the key that stopped the live line is not typed into the next line
                        continue;
                    }
                    var line = _editor.Feed(buffer[i], echo);
                    if (echo.Length > 0)
                    {
                        Write(echo.ToString());
                        echo.Clear();
                    }
                    if (line is not null)
                    {
                        var reply = Execute(line);
                        Write(reply.Length == 0 ? Prompt : $"{reply.Replace("\n", "\r\n", StringComparison.Ordinal)}\r\n{Prompt}");
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The console's terminal went away; the run goes on without it.
        }
    }

    private void Write(string text)
    {
        lock (_writeGate)
        {
            try
            {
                _output.Write(text);
                _output.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Nobody is listening; never let that reach the loop.
            }
        }
    }
}
