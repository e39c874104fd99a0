using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mpq.Common.Cli;

/// <summary>The exit codes of the project's three programs (controller, trainer, firmware).</summary>
public static class ExitCodes
{
    /// <summary>Done as asked.</summary>
    public const int Ok = 0;

    /// <summary>A runtime failure: the environment (a missing native library, an unsupported platform) or a bug.</summary>
    public const int Failure = 1;

    /// <summary>A usage error: an argument, option value, file or port that is wrong, missing or malformed.</summary>
    public const int Usage = 2;

    /// <summary>A safety stop: the run ended because the rig or its link needs someone to look at it.</summary>
    public const int SafetyStop = 3;
}

/// <summary>
/// One error policy for the three programs: every failure is one line on stderr starting with <c>error:</c> and an
/// exit code from <see cref="ExitCodes"/>, never a stack trace.
/// </summary>
/// <remarks>
/// Usage errors (exit 2): parse errors, <see cref="ArgumentException"/>, <see cref="FormatException"/>,
/// <see cref="IOException"/> (a file or port that is missing or cannot be opened), <see cref="UnauthorizedAccessException"/>,
/// <see cref="InvalidDataException"/>, <see cref="JsonException"/>, and the exceptions a program names as bad input
/// (a malformed MuJoCo model, a malformed ONNX file, a run directory that exists). A <see cref="SafetyStopException"/>
/// (the rig broke its own handshake's rules) is a safety stop (exit 3). Everything else is a runtime
/// failure (exit 1); an unexpected exception also names its type, as it is most likely a bug.
/// </remarks>
public static class CliErrors
{
    /// <summary>Runs a command's body under the policy.</summary>
    /// <param name="body">The command; returns its own exit code (0, or 3 for a safety stop).</param>
    /// <param name="badInput">Further exception types this program counts as usage errors.</param>
    public static int Run(Func<int> body, params Type[] badInput)
    {
        try
        {
            return body();
        }
        catch (SafetyStopException e)
        {
            Console.Error.WriteLine($"error: {FirstLine(e.Message)}");
            return ExitCodes.SafetyStop;
        }
        catch (Exception e) when (IsUsageError(e, badInput))
        {
            Console.Error.WriteLine($"error: {Describe(e)}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is DllNotFoundException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"error: {FirstLine(e.Message)}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {FirstLine(e.Message)}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Reports a command line that did not parse: one <c>error:</c> line per problem, a hint, exit 2.</summary>
    /// <param name="messages">The parser's messages.</param>
    /// <param name="program">The program's name, for the hint.</param>
    /// <param name="words">The subcommands and options the command in context accepts: an unknown word close to one
    /// of them gets "(did you mean '...'?)".</param>
    public static int ParseErrors(IEnumerable<string> messages, string program, IEnumerable<string>? words = null)
    {
        var list = messages.ToList();
        var unknown = list.Any(m => UnknownWord(m) is not null);
        var known = words?.ToList() ?? [];
        foreach (var message in list)
        {
            // 'controller rnu' is one mistake: the missing command is the word that was not recognised.
            if (unknown && message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            {
                continue;
            }
            var text = InWords(WithList(message));
            if (UnknownWord(message) is { } word && Nearest(word, known) is { } meant)
            {
                text = $"{text.TrimEnd('.')} (did you mean '{meant}'?)";
            }
            Console.Error.WriteLine($"error: {text}");
        }
        Console.Error.WriteLine($"(see '{program} --help')");
        return ExitCodes.Usage;
    }

    private static string? UnknownWord(string message)
    {
        var m = Regex.Match(message, @"^Unrecognized command or argument '(?<word>.*)'\.?$");
        return m.Success ? m.Groups["word"].Value : null;
    }

    /// <summary>"Must be one of:" followed by the values a line each: the values on the same line.</summary>
    private static string WithList(string message)
    {
        var lines = message.Split('\n');
        var first = lines[0].Trim();
        if (!first.EndsWith("one of:", StringComparison.Ordinal) || lines.Length < 2)
        {
            return FirstLine(message);
        }
        return $"{first} {string.Join(", ", lines.Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0))}";
    }

    /// <summary>
    /// The known word closest to <paramref name="word"/>: within 2 edits (a swap of neighbours is one) and fewer than
    /// half its letters, or the one known word that starts with it; null when nothing is that close or two tie.
    /// </summary>
    public static string? Nearest(string word, IReadOnlyCollection<string> known)
    {
        if (word.Length == 0)
        {
            return null;
        }
        var best = known.Select(k => (Word: k, Distance: Edits(word, k)))
            .Where(c => c.Distance <= 2 && 2 * c.Distance < c.Word.Length)
            .OrderBy(c => c.Distance).ToList();
        if (best.Count > 0 && (best.Count == 1 || best[1].Distance > best[0].Distance))
        {
            return best[0].Word;
        }
        var prefixed = known.Where(k => word.Length >= 3 && k.StartsWith(word, StringComparison.Ordinal)).ToList();
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    /// <summary>Edits from one word to the other: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Edits(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>
    /// System.CommandLine's "Cannot parse argument 'abc' for option '-N' as expected type 'System.Nullable`1[System.Int32]'"
    /// in the words of the project: "-N: 'abc' is not a whole number". Other messages are kept as they are.
    /// </summary>
    private static string InWords(string message)
    {
        var m = Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?:System\.Nullable`1\[)?System\.(?<type>\w+)\]?'\.?$");
        if (!m.Success)
        {
            return message;
        }
        var kind = m.Groups["type"].Value switch
        {
            "Int32" or "Int64" or "Int16" => "a whole number",
            "UInt32" or "UInt64" or "UInt16" or "Byte" => "a whole number ≥ 0",
            "Double" or "Single" or "Decimal" => "a number",
            "Boolean" => "true or false",
            _ => null,
        };
        return kind is null ? message : $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {kind}";
    }

    /// <summary>Whether <paramref name="e"/> is a usage error under the policy.</summary>
    public static bool IsUsageError(Exception e, params Type[] badInput)
    {
        if (e is ArgumentException or FormatException or IOException or UnauthorizedAccessException or InvalidDataException or JsonException)
        {
            return true;
        }
        foreach (var type in badInput)
        {
            if (type.IsInstanceOfType(e))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The first line of the message, without .NET's " (Parameter 'name')" suffix: a person never sees a C# parameter name.</summary>
    public static string Describe(Exception e)
    {
        var text = FirstLine(e.Message);
        if (e is ArgumentException { ParamName: { } name })
        {
            var suffix = $" (Parameter '{name}')";
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                text = text[..^suffix.Length];
            }
        }
        return text;
    }

    private static string FirstLine(string text)
    {
        var i = text.IndexOf('\n', StringComparison.Ordinal);
        return (i < 0 ? text : text[..i]).Trim();
    }
}
