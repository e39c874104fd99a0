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
    public static int ParseErrors(IEnumerable<string> messages, string program)
    {
        foreach (var message in messages)
        {
            Console.Error.WriteLine($"error: {InWords(FirstLine(message))}");
        }
        Console.Error.WriteLine($"(see '{program} --help')");
        return ExitCodes.Usage;
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
