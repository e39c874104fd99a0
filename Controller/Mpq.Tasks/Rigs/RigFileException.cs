namespace Mpq.Tasks.Rigs;

/// <summary>A rig file that cannot describe a rig: the message names the file, the field (a JSON path) and what is wrong.</summary>
/// <remarks>A <see cref="FormatException"/>: the programs' error policy reports it as bad input (exit 2), before any port opens.</remarks>
public sealed class RigFileException(string file, string field, string problem)
    : FormatException($"rig file '{file}': {(field.Length == 0 ? "" : $"{field}: ")}{problem}")
{
    /// <summary>The file.</summary>
    public string File { get; } = file;

    /// <summary>The field, as a JSON path (<c>cost[1].weight</c>), or empty for the file as a whole.</summary>
    public string Field { get; } = field;
}
