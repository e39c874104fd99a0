using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mpq.Common;
using Mpq.Protocol.Console;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Settings;

/// <summary>
/// Persists a <see cref="ParameterTable"/> to a JSON file, atomically (write a temporary file, flush to
/// disk, rename over the old one) with a CRC-32C checksum, so a power cut mid-write leaves the old file.
/// </summary>
/// <remarks>
/// A missing file means defaults. A corrupt file (bad JSON, wrong checksum) means defaults and a logged
/// error, never a crash; a stored value that is unknown or out of range is skipped with a logged error.
/// </remarks>
public sealed class ParameterStore(string path, Action<string> log)
{
    private const int FormatVersion = 1;

    public string Path { get; } = path;

    /// <summary>Loads stored values into <paramref name="table"/>; returns how many were applied.</summary>
    public int Load(ParameterTable table)
    {
        if (!File.Exists(Path))
        {
            log($"parameters: no file at {Path}, using defaults");
            return 0;
        }
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(Path)) as JsonObject ?? throw new FormatException("not a JSON object");
            var version = root["format"]?.GetValue<int>() ?? throw new FormatException("no 'format'");
            if (version != FormatVersion)
            {
                throw new FormatException($"format {version}, expected {FormatVersion}");
            }
            var values = root["values"] as JsonObject ?? throw new FormatException("no 'values'");
            var stored = root["crc32c"]?.GetValue<string>() ?? throw new FormatException("no 'crc32c'");
            var pairs = values.Select(kv => (kv.Key, kv.Value?.GetValue<double>() ?? double.NaN)).ToList();
            if (!string.Equals(stored, Checksum(pairs), StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("checksum mismatch (file damaged or edited by hand)");
            }
            var applied = 0;
            foreach (var (name, value) in pairs)
            {
                var index = table.IndexOf(name);
                if (index >= 0 && table.Definitions[index].ReadOnly)
                {
                    continue;
                }
                var status = table.Load(name, value);
                if (status == ParamStatus.Ok)
                {
                    applied++;
                }
                else
                {
                    log($"parameters: stored {name} = {value.ToString(CultureInfo.InvariantCulture)} skipped ({status})");
                }
            }
            return applied;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or IOException)
        {
            log($"error: parameters file {Path} is unusable ({e.Message}); using defaults");
            return 0;
        }
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
        var values = new JsonObject();
        foreach (var (name, value) in pairs)
        {
            values[name] = value;
        }
        var root = new JsonObject { ["format"] = FormatVersion, ["values"] = values, ["crc32c"] = Checksum(pairs) };
        AtomicFile.Write(Path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string Checksum(IEnumerable<(string Name, double Value)> pairs)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in pairs.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(name).Append('=').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        return Crc32C.Compute(Encoding.UTF8.GetBytes(text.ToString())).ToString("x8", CultureInfo.InvariantCulture);
    }
}
