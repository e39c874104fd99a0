using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mpq.Common;

namespace Mpq.Protocol.Console;

/// <summary>Whether a parameters file's checksum matches its values.</summary>
public enum ParameterChecksum
{
    /// <summary>The file has no <c>crc32c</c> field.</summary>
    Missing,

    /// <summary>The values are those the checksum was written for.</summary>
    Matches,

    /// <summary>Something changed after the checksum was written (damage, or a hand edit).</summary>
    Differs,
}

/// <summary>
/// The parameters file's format, reader and writer side by side: <c>{ "format": 1, "values": { NAME: NUMBER, … },
/// "crc32c": "…" }</c>, indented, one value per line, so a person can read and edit it. The Firmware's own parameters
/// file and the backups of <c>params save</c> (Firmware console) and <c>rig save</c> (controller console) share it.
/// </summary>
/// <remarks>
/// This checks the structure only (JSON, one object, the format number, unique keys, numbers); what the values mean
/// (known names, ranges) is checked by the side that knows the table: the Firmware.
/// </remarks>
public static class ParameterFile
{
    /// <summary>The format this build reads and writes.</summary>
    public const int FormatVersion = 1;

    /// <summary>The file's text for these values, with their checksum.</summary>
    public static string Write(IReadOnlyList<(string Name, double Value)> pairs)
    {
        var values = new JsonObject();
        foreach (var (name, value) in pairs)
        {
            values[name] = value;
        }
        var root = new JsonObject { ["format"] = FormatVersion, ["values"] = values, ["crc32c"] = Checksum(pairs) };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a file's structure: null and the values when it is sound, else the first problem in words.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="program">Who reads it, for a format this build does not read ("this firmware reads format 1").</param>
    /// <param name="values">The values by name, in the file's order.</param>
    /// <param name="checksum">Whether the checksum matches the values.</param>
    public static string? Read(string text, string program, out Dictionary<string, double>? values, out ParameterChecksum checksum)
    {
        values = null;
        checksum = ParameterChecksum.Missing;
        if (text.Trim().Length == 0)
        {
            return "the file is empty";
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})";
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "not a JSON object";
            }
            if (Duplicate(root, "the file") is { } duplicate)
            {
                return duplicate;
            }
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.Number || !format.TryGetInt32(out var version))
            {
                return "no 'format' number";
            }
            if (version != FormatVersion)
            {
                return $"format {version}; this {program} reads format {FormatVersion}";
            }
            if (!root.TryGetProperty("values", out var stored) || stored.ValueKind != JsonValueKind.Object)
            {
                return "no 'values' object";
            }
            if (Duplicate(stored, "'values'") is { } duplicateValue)
            {
                return duplicateValue;
            }
            var found = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var field in stored.EnumerateObject())
            {
                if (field.Value.ValueKind != JsonValueKind.Number)
                {
                    return $"'{field.Name}' is a {field.Value.ValueKind}, not a number";
                }
                found[field.Name] = field.Value.GetDouble();
            }
            checksum = !root.TryGetProperty("crc32c", out var crc) || crc.ValueKind != JsonValueKind.String
                ? ParameterChecksum.Missing
                : string.Equals(crc.GetString(), Checksum(found.Select(kv => (kv.Key, kv.Value))), StringComparison.OrdinalIgnoreCase)
                    ? ParameterChecksum.Matches
                    : ParameterChecksum.Differs;
            values = found;
            return null;
        }
    }

    /// <summary>CRC-32C of the values sorted by name, <c>NAME=VALUE\n</c> each (round-trip formatting), as 8 hex digits.</summary>
    public static string Checksum(IEnumerable<(string Name, double Value)> pairs)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in pairs.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(name).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        return Crc32C.Compute(Encoding.UTF8.GetBytes(text.ToString())).ToString("x8", CultureInfo.InvariantCulture);
    }

    /// <summary>A key that appears twice in <paramref name="obj"/>, as a problem; null when every key is unique.</summary>
    private static string? Duplicate(JsonElement obj, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in obj.EnumerateObject())
        {
            if (!seen.Add(field.Name))
            {
                return $"'{field.Name}' appears twice in {where}";
            }
        }
        return null;
    }
}
