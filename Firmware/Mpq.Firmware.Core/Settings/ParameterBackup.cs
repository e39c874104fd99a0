using System.Globalization;
using System.Text;
using Mpq.Protocol.Console;

namespace Mpq.Firmware.Settings;

/// <summary>
/// <c>params save|diff|load FILE</c> on the Firmware's console: a backup of the parameters in force, in the parameters
/// file's own format (JSON a person can read and edit), compared with what is in force and loaded back.
/// </summary>
/// <remarks>
/// A backup is checked field by field as the parameters file is (a name this firmware lacks, a value outside its range,
/// a missing parameter: refused, naming the field). Its checksum only tells whether it was edited since it was saved; a
/// hand-edited backup may still be loaded, because loading always shows the difference first and needs the person to
/// confirm (<c>params load FILE yes</c>), and is refused while armed: it may loosen a limit, which only a person may do,
/// with the motor off.
/// </remarks>
public static class ParameterBackup
{
    /// <summary>Writes the parameters in force to <paramref name="file"/> (atomically); returns the reply.</summary>
    /// <param name="file">Where the backup goes.</param>
    /// <param name="table">The parameters in force.</param>
    /// <param name="liveFile">The Firmware's own parameters file (never overwritten by a backup), or null.</param>
    public static string Save(string file, ParameterTable table, string? liveFile)
    {
        var full = System.IO.Path.GetFullPath(file);
        if (liveFile is not null && full == System.IO.Path.GetFullPath(liveFile))
        {
            return $"error: {file} is the firmware's own parameters file; save the backup under another name";
        }
        try
        {
            new ParameterStore(full, _ => { }).Save(table);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"error: cannot write {file}: {e.Message}";
        }
        var count = table.Definitions.Count(d => !d.ReadOnly);
        return $"ok {count} parameters saved to {full}";
    }

    /// <summary>What loading <paramref name="file"/> would change: a reply for people, and the file's values (null when it cannot be used).</summary>
    public static (string Reply, IReadOnlyDictionary<string, double>? Values, int Changes) Compare(string file, ParameterTable table)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ($"error: cannot read {file}: {e.Message}", null, 0);
        }
        if (ParameterStore.Read(text, table, checkChecksum: false, out var values, out var checksum, backup: true) is { } problem)
        {
            return ($"error: {file} cannot be loaded: {problem}", null, 0);
        }
        var edited = checksum != ParameterChecksum.Matches;
        var b = new StringBuilder();
        var changes = 0;
        foreach (var d in table.Definitions)
        {
            if (d.ReadOnly || !values!.TryGetValue(d.Name, out var v))
            {
                continue;
            }
            var now = table.Get(d.Name);
            if (now.Equals(v))
            {
                continue;
            }
            changes++;
            // What an armed rig would refuse: a looser limit, or a change that moves the reading or the clock.
            var looser = Mpq.Firmware.Safety.ArmedParameterRules.Refusal(d.Name, now, v) is not null ? "  (looser, or moves the reading)" : "";
            b.Append(CultureInfo.InvariantCulture, $"\n  {d.Name,-20} {d.Format(now),10} -> {d.Format(v),-10} {d.Unit}{looser}");
        }
        var head = changes == 0
            ? $"ok {file} matches the parameters in force"
            : $"{changes} difference(s), in force -> {file}:";
        return (head + b + (edited ? $"\n  note: {file} was edited since it was saved (its checksum differs); every field was checked" : ""), values, changes);
    }
}
