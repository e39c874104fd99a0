using System.Globalization;
using Mpq.Common;
using Mpq.Protocol.Console;

namespace Mpq.Firmware.Settings;

/// <summary>What loading the parameters file found: how many values were applied, and why arming must wait (null: it need not).</summary>
public sealed record ParameterFileCheck(int Applied, string? Problem);

/// <summary>
/// The parameters file: a JSON object <c>{ "format": 1, "values": { NAME: NUMBER, … }, "crc32c": "…" }</c>, written
/// atomically (a temporary file, flushed to disk, renamed over the old one) so a power cut mid-write leaves the old file.
/// The format's reader and writer are <see cref="ParameterFile"/> (shared with backups); this adds the table's checks.
/// </summary>
/// <remarks>
/// A damaged file never loosens a limit by itself: loading is all or nothing, and a file that fails any check (not JSON,
/// a duplicate key, a value that is not a number, an unknown, read-only or missing parameter, a value outside its range
/// for this rig, a checksum that does not match: a hand edit counts) applies nothing and returns the problem, naming the
/// file and the field; the firmware then refuses to arm until a person accepts the defaults. A missing file is a first
/// start: defaults, armable. A hand edit becomes a valid file with <see cref="Sign"/>, which checks every field first.
/// </remarks>
public sealed class ParameterStore(string path, Action<string> log)
{
    public string Path { get; } = path;

    /// <summary>Loads the stored values into <paramref name="table"/>, all or nothing.</summary>
    public ParameterFileCheck Load(ParameterTable table)
    {
        if (!File.Exists(Path))
        {
            log($"parameters: no file at {Path}, using defaults");
            return new ParameterFileCheck(0, null);
        }
        string? problem;
        Dictionary<string, double>? values;
        try
        {
            problem = Read(File.ReadAllText(Path), table, checkChecksum: true, out values);
        }
        catch (IOException e)
        {
            (problem, values) = ($"cannot be read ({e.Message})", null);
        }
        if (problem is not null)
        {
            var message = $"parameters file {Path} is damaged: {problem}";
            log($"error: {message}; the defaults are in force and arming is refused until a person accepts them ('params reset' on the console, or --reset-params)");
            return new ParameterFileCheck(0, message);
        }
        foreach (var (name, value) in values!)
        {
            table.Load(name, value);
        }
        return new ParameterFileCheck(values.Count, null);
    }

    /// <summary>
    /// Re-signs a file edited by hand: every field is checked as <see cref="Load"/> checks it, except the checksum, which
    /// is then written anew (atomically). Returns a line for people.
    /// </summary>
    /// <exception cref="InvalidDataException">A field fails its check (the message names the file and the field); the file is left as it was.</exception>
    /// <exception cref="IOException">The file is missing or cannot be written.</exception>
    public string Sign(ParameterTable table)
    {
        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"parameters file {Path} does not exist");
        }
        if (Read(File.ReadAllText(Path), table, checkChecksum: false, out var values) is { } problem)
        {
            throw new InvalidDataException($"parameters file {Path}: {problem}; not signed");
        }
        var saved = new double[table.Count];
        for (var i = 0; i < table.Count; i++)
        {
            saved[i] = values!.TryGetValue(table.Definitions[i].Name, out var v) ? v : table[i];
        }
        Save(table, saved);
        return $"ok {Path}: {values!.Count} values checked and signed";
    }

    /// <summary>Moves the file aside (<c>NAME.LABEL-YYYYMMDD-HHMMSS</c>) for a person to look at; returns where, or null if there was none.</summary>
    public string? MoveAside(string label)
    {
        if (!File.Exists(Path))
        {
            return null;
        }
        var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var target = $"{Path}.{label}-{stamp}";
        for (var n = 2; File.Exists(target); n++)
        {
            target = $"{Path}.{label}-{stamp}-{n}";
        }
        File.Move(Path, target);
        return target;
    }

    /// <summary>Removes temporary files a killed or failed save of this file left (those of processes no longer running); returns how many.</summary>
    public int CleanStaleTemporaryFiles()
    {
        var removed = AtomicFile.RemoveStaleTemporaryFiles(Path);
        if (removed > 0)
        {
            log($"parameters: removed {removed} temporary file(s) a killed or failed save of {Path} left behind");
        }
        return removed;
    }

    /// <summary>Writes every writable value atomically.</summary>
    /// <exception cref="IOException">The file could not be written (the old file stays intact).</exception>
    public void Save(ParameterTable table) => Save(table, null);

    /// <summary>Writes every writable parameter atomically, with <paramref name="savedValues"/> (by index) instead of the table's when given.</summary>
    /// <exception cref="IOException">The file could not be written (the old file stays intact).</exception>
    public void Save(ParameterTable table, IReadOnlyList<double>? savedValues)
    {
        var pairs = new List<(string, double)>();
        for (var i = 0; i < table.Count; i++)
        {
            if (!table.Definitions[i].ReadOnly)
            {
                pairs.Add((table.Definitions[i].Name, savedValues?[i] ?? table[i]));
            }
        }
        AtomicFile.Write(Path, ParameterFile.Write(pairs));
    }

    /// <summary>Checks a file's text against <paramref name="table"/>; null and the values when every check passes, else the first problem.</summary>
    internal static string? Read(string text, ParameterTable table, bool checkChecksum, out Dictionary<string, double>? values) =>
        Read(text, table, checkChecksum, out values, out _);

    /// <summary>As the overload above, also saying whether the checksum matches.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="table">The parameters this firmware has, with their ranges.</param>
    /// <param name="checkChecksum">Whether a checksum that does not match is a problem (not when signing a hand edit).</param>
    /// <param name="values">The values, when every check passed.</param>
    /// <param name="backup">A backup (<c>params load</c>): read-only values (a controller's <c>rig save</c> keeps
    /// firmware_version for the record) are skipped instead of refused.</param>
    /// <param name="checksum">Whether the file's checksum matches its values (for a backup's "edited since saved").</param>
    internal static string? Read(string text, ParameterTable table, bool checkChecksum, out Dictionary<string, double>? values, out ParameterChecksum checksum, bool backup = false)
    {
        values = null;
        if (ParameterFile.Read(text, "firmware", out var found, out checksum) is { } structure)
        {
            return structure;
        }
        foreach (var (name, value) in found!)
        {
            var index = table.IndexOf(name);
            if (index < 0)
            {
                return $"'{name}' is not a parameter of this firmware";
            }
            var d = table.Definitions[index];
            if (d.ReadOnly)
            {
                if (backup)
                {
                    continue;
                }
                return $"'{name}' is read-only";
            }
            if (!d.Accepts(value))
            {
                return string.Create(CultureInfo.InvariantCulture, $"'{name}' = {value:R} is outside {d.Format(d.Min)} .. {d.Format(d.Max)}{(d.Unit.Length > 0 ? " " + d.Unit : "")} for this rig{(d.Kind == Mpq.Protocol.Messages.ParamKind.Integer ? " (a whole number)" : "")}");
            }
        }
        foreach (var d in table.Definitions)
        {
            // A file from before bring-up existed lacks its flag: it keeps the default (on hardware: not done), never damage.
            if (!d.ReadOnly && !found.ContainsKey(d.Name) && d.Name != FirmwareParameters.BringUpDone)
            {
                return $"'{d.Name}' is missing";
            }
        }
        // Last: a field's own problem names it; a checksum that does not match says only that something changed.
        if (checkChecksum && checksum != ParameterChecksum.Matches)
        {
            return checksum == ParameterChecksum.Missing
                ? "no 'crc32c' checksum"
                : "checksum mismatch: the file was damaged or edited by hand (after a hand edit, check and sign it: firmware --driver … --params FILE --sign-params)";
        }
        values = found;
        return null;
    }
}
