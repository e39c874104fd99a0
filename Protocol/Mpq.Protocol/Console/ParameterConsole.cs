using System.Globalization;
using System.Text;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Console;

/// <summary>
/// The parameter verbs every console shares (<c>list</c>, <c>get NAME</c>, <c>set NAME VALUE</c>) over a
/// <see cref="ParameterTable"/>: the same range and type checks and the same replies on the Firmware's
/// console and the Controller's tuning console.
/// </summary>
/// <remarks>Replies start with <c>ok</c> or <c>error:</c>. Never throws on input.</remarks>
public sealed class ParameterConsole(ParameterTable parameters)
{
    /// <summary>
    /// Splits a typed line into words and answers it if it is empty (empty reply) or a parameter verb; returns
    /// null, with the words, when the line is for the console's own verbs.
    /// </summary>
    public string? TryExecute(string line, out string[] words)
    {
        words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? "" : TryExecute(words);
    }

    /// <summary>Answers a parameter verb, or returns null when <paramref name="words"/> is another command.</summary>
    public string? TryExecute(string[] words)
    {
        if (words.Length == 0)
        {
            return null;
        }
        return words[0].ToLowerInvariant() switch
        {
            "list" => Usage(words, 1, "list") ?? List(),
            "get" => Usage(words, 2, "get NAME") ?? Get(words[1]),
            "set" => Usage(words, 3, "set NAME VALUE") ?? Set(words[1], words[2]),
            _ => null,
        };
    }

    /// <summary>
    /// Tab's candidates after the words typed so far, for the verbs every console shares: parameter names after
    /// <c>get</c> or <c>set</c>, <c>estop</c> after <c>clear</c>; null when the words are not one of those.
    /// </summary>
    public IReadOnlyList<string>? Complete(string[] words) => words.Length == 1 ? words[0].ToLowerInvariant() switch
    {
        "get" or "set" => parameters.Definitions.Select(d => d.Name).ToArray(),
        "clear" => ["estop"],
        _ => null,
    } : null;

    /// <summary>Null when <paramref name="words"/> has <paramref name="count"/> words, else the usage error.</summary>
    public static string? Usage(string[] words, int count, string usage) =>
        words.Length == count ? null : $"error: usage: {usage}";

    /// <summary>Shortens user text quoted back in a reply.</summary>
    public static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private string List()
    {
        var b = new StringBuilder();
        for (var i = 0; i < parameters.Count; i++)
        {
            var d = parameters.Definitions[i];
            b.Append(CultureInfo.InvariantCulture, $"{d.Name,-20} {d.Format(parameters[i]),10} {d.Unit,-6} [{d.Format(d.Min)} .. {d.Format(d.Max)}]{(d.ReadOnly ? " read-only" : "")}  {d.Description}");
            if (i < parameters.Count - 1)
            {
                b.Append('\n');
            }
        }
        return b.ToString();
    }

    private string Get(string name)
    {
        var i = parameters.IndexOf(name);
        if (i < 0)
        {
            return UnknownParameter(name);
        }
        var d = parameters.Definitions[i];
        return $"{d.Name} = {d.Format(parameters[i])} {d.Unit}".TrimEnd();
    }

    private string Set(string name, string text)
    {
        var i = parameters.IndexOf(name);
        if (i < 0)
        {
            return UnknownParameter(name);
        }
        var d = parameters.Definitions[i];
        if (!ParameterTable.TryParse(d.Kind, text, out var value))
        {
            var expected = d.Kind switch { ParamKind.Boolean => "on or off", ParamKind.Integer => "a whole number", _ => "a number" };
            return $"error: {d.Name} expects {expected}, got '{Truncate(text)}'";
        }
        return parameters.TrySet(name, value, out var refusal) switch
        {
            ParamStatus.Ok => $"ok {d.Name} = {d.Format(parameters[i])} {d.Unit}".TrimEnd(),
            ParamStatus.ReadOnly => $"error: {d.Name} is read-only",
            ParamStatus.NotAllowedNow => $"error: {refusal}",
            ParamStatus.OutOfRange when d.Kind == ParamKind.Integer && Math.Floor(value) != value => $"error: {d.Name} expects a whole number, got '{Truncate(text)}'",
            ParamStatus.OutOfRange => $"error: {d.Name} must be between {d.Format(d.Min)} and {d.Format(d.Max)} (got {Truncate(text)})",
            var other => $"error: {d.Name}: {other}",
        };
    }

    private static string UnknownParameter(string name) => $"error: unknown parameter '{Truncate(name)}' (type 'list')";
}
