using System.Globalization;
using System.Text;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Console;

/// <summary>
/// The line-based console a person types at in picocom or screen: parses a line, acts through an
/// <see cref="IConsoleTarget"/> and the <see cref="ParameterTable"/>, and returns the reply text.
/// </summary>
/// <remarks>Replies start with <c>ok</c> or <c>error:</c> so scripts can tell them apart. Never throws on input.</remarks>
public sealed class ConsoleInterpreter(ParameterTable parameters, IConsoleTarget target)
{
    private readonly ParameterConsole _parameters = new(parameters);

    /// <summary>The prompt printed after every reply.</summary>
    public const string Prompt = "mpq> ";

    /// <summary>Help text listing every command.</summary>
    public const string HelpText = """
        commands:
          help                 this list
          status               arm state, faults, link health, loop timing
          list                 every parameter with its value, range and unit
          get NAME             one parameter
          set NAME VALUE       change a parameter (range-checked)
          arm                  allow torque (needs a connected controller)
          disarm               torque to zero, disarmed
          estop                emergency stop: torque zero, latched until 'clear estop'
          clear                clear latched faults (stays disarmed)
          clear estop          release a latched estop too (stays disarmed)
          stream on|off        text telemetry on this console (10 Hz, for people)
          stream csv [HZ]      telemetry for tools: a CSV header, then a line per 1/HZ s (1..100, default 10)
          params               the parameters file: saved, not saved (why), or damaged
          params reset         accept the defaults (a damaged file holds arming until then)
          params save FILE     a backup of the parameters in force (JSON a person can read and edit)
          params diff FILE     what differs between FILE and the parameters in force
          params load FILE     show that difference; 'params load FILE yes' applies it (disarmed only)
          zero J ANGLE         bring-up: joint J reads ANGLE now (rad, or pi, -pi; a pendulum hanging: zero 0 pi)
          direction A [TORQUE] bring-up: a 0.2 s pulse on actuator A (default 20 % of torque_limit), disarmed
                               otherwise; checks that positive torque turns joint A positive
          binary               hand the port to a controller program (frames)
          console              (typed in binary mode) take the port back
        """;

    private static readonly string[] Commands = ["help", "status", "list", "get", "set", "arm", "disarm", "estop", "clear", "stream", "params", "zero", "direction", "binary", "console"];

    /// <summary>Tab's candidates for the word after <paramref name="before"/>: commands, parameter names after get/set, and the verbs' arguments.</summary>
    public IReadOnlyList<string> Complete(string before)
    {
        var words = before.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return words.Length switch
        {
            0 => Commands,
            1 when words[0].Equals("stream", StringComparison.OrdinalIgnoreCase) => ["on", "off", "csv"],
            1 when words[0].Equals("params", StringComparison.OrdinalIgnoreCase) => ["reset", "save", "diff", "load"],
            _ => _parameters.Complete(words) ?? [],
        };
    }

    /// <summary>Executes one line; returns the reply (empty for an empty line).</summary>
    public string Execute(string line)
    {
        if (_parameters.TryExecute(line, out var words) is { } reply)
        {
            return reply;
        }
        var verb = words[0].ToLowerInvariant();
        return verb switch
        {
            "help" or "?" => HelpText,
            "status" => Expect(words, 1, "status") ?? target.Status(),
            "arm" => Expect(words, 1, "arm") ?? target.Arm(),
            "disarm" => Expect(words, 1, "disarm") ?? target.Disarm(),
            "estop" => Expect(words, 1, "estop") ?? target.EStop(),
            "clear" => Clear(words),
            "stream" => Stream(words),
            "params" => words.Length switch
            {
                1 => target.Params(reset: false),
                2 when words[1].Equals("reset", StringComparison.OrdinalIgnoreCase) => target.Params(reset: true),
                3 when words[1].ToLowerInvariant() is "save" or "diff" or "load" => target.ParamsFile(words[1].ToLowerInvariant(), words[2], confirmed: false),
                4 when words[1].Equals("load", StringComparison.OrdinalIgnoreCase) && words[3].Equals("yes", StringComparison.OrdinalIgnoreCase)
                    => target.ParamsFile("load", words[2], confirmed: true),
                _ => "error: usage: params [reset | save FILE | diff FILE | load FILE [yes]]",
            },
            "zero" => words.Length == 3 ? target.Zero(words[1], words[2]) : "error: usage: zero J ANGLE (rad, or pi; a pendulum hanging: zero 0 pi)",
            "direction" => words.Length is 2 or 3 ? target.Direction(words[1], words.Length == 3 ? words[2] : null) : "error: usage: direction A [TORQUE]",
            "binary" => Expect(words, 1, "binary") ?? "ok binary mode: the port now speaks frames; type 'console' to come back",
            "console" => "ok already in console mode",
            _ => $"error: unknown command '{Truncate(words[0])}' (type 'help')",
        };
    }

    /// <summary>Whether a line is the <c>binary</c> command (the owner switches the port after replying).</summary>
    public static bool IsBinaryCommand(string line) => line.Trim().Equals("binary", StringComparison.OrdinalIgnoreCase);

    private string Clear(string[] words) => words.Length switch
    {
        1 => target.ClearFaults(releaseEStop: false),
        2 when words[1].Equals("estop", StringComparison.OrdinalIgnoreCase) => target.ClearFaults(releaseEStop: true),
        _ => "error: usage: clear [estop]",
    };

    /// <summary>The fastest CSV telemetry: the Firmware's housekeeping runs every 10 ms.</summary>
    public const int MaxCsvHz = 100;

    private string Stream(string[] words)
    {
        if (words.Length is 2 or 3 && words[1].Equals("csv", StringComparison.OrdinalIgnoreCase))
        {
            var hz = 10;
            if (words.Length == 3 && (!int.TryParse(words[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out hz) || hz < 1 || hz > MaxCsvHz))
            {
                return $"error: stream csv HZ: HZ must be a whole number from 1 to {MaxCsvHz} (got '{Truncate(words[2])}')";
            }
            return target.StreamCsv(hz);
        }
        if (words.Length != 2 || words[1].ToLowerInvariant() is not ("on" or "off"))
        {
            return "error: usage: stream on|off|csv [HZ]";
        }
        return target.SetStreaming(words[1].Equals("on", StringComparison.OrdinalIgnoreCase));
    }

    private static string? Expect(string[] words, int count, string usage) => ParameterConsole.Usage(words, count, usage);

    private static string Truncate(string text) => ParameterConsole.Truncate(text);
}
