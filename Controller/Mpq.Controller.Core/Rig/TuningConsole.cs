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
        """;

    private readonly RigRunner _runner;
    private readonly RigClient _client;
    private readonly QReloader? _reloader;
    private static readonly string[] Commands = ["help", "status", "list", "get", "set", "arm", "disarm", "estop", "clear", "reload"];

    private readonly ParameterConsole _parameters;
    private readonly Stream _input;
    private readonly TextWriter _output;
    private readonly LineEditor _editor;
    private readonly Lock _writeGate = new();
    private Thread? _thread;

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
            1 when words[0].ToLowerInvariant() is "get" or "set" => _runner.Tuning.Table.Definitions.Select(d => d.Name).ToArray(),
            1 when words[0].Equals("clear", StringComparison.OrdinalIgnoreCase) => ["estop"],
            _ => [],
        };
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
    public void WriteLine(string text) => Write(text.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n");

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
            "estop" => ParameterConsole.Usage(words, 1, "estop") ?? SendToRig(new EStop(), "ok estop sent: the rig latches zero torque until 'clear'"),
            "clear" => Clear(words),
            "reload" when words.Length <= 2 => _reloader is null ? "error: no Q reloading in this run" : _reloader.Reload(words.Length == 2 ? words[1] : null),
            "reload" => "error: usage: reload [FILE]",
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

    private string SendToRig(Message message, string ok)
    {
        try
        {
            _client.Send(message);
            return ok;
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
