using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Mpq.Tasks.Rigs;

namespace Mpq.Trainer.Identification;

/// <summary>
/// Writes a new version of a rig folder from a fit: the rig file's prior centred on each estimate with a half-width of
/// two standard errors (at least 1 % of the estimate), and the fitted damping and friction written into the model's
/// joints. The old folder is never touched; the new one must not exist (or be empty).
/// </summary>
/// <remarks>
/// The parameters' <c>true</c> values (the reference the model file's numbers are at, and the virtual rig's plant) stay
/// as they were: the prior is in the paper's form, mean = bias × true, so an estimate of 1.25 kg for a rig written at
/// 1 kg is a bias of 1.25. The new folder is a new rig version: its fingerprint differs, so a Q learned on the old
/// prior is refused on it (as for any edit) unless a person says <c>--allow-other-rig</c>.
/// </remarks>
public static class IdentifiedRig
{
    /// <summary>Friction below this share of the largest actuator torque is not written into the model.</summary>
    public const double NegligibleFriction = 0.01;

    /// <summary>Writes the folder and returns the rig loaded from it (so a file the loader refuses is never left looking valid), and what was left out.</summary>
    public static (RigTask Rig, IReadOnlyList<string> LeftOut) Write(RigTask rig, IdentificationResult result, string outDir, IReadOnlyList<string> logs)
    {
        var leftOut = new List<string>();
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            throw new IOException($"'{outDir}' exists and is not empty: an identified rig is written to a new folder, never over one");
        }
        var source = Path.GetFullPath(rig.Folder);
        CopyFolder(source, outDir);
        var specPath = Path.Combine(outDir, "rig.json");
        var spec = RigSpec.Read(Path.Combine(source, "rig.json"));
        var json = JsonNode.Parse(File.ReadAllText(specPath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        if (json["$schema"]?.GetValue<string>() is { } schema && !Path.IsPathRooted(schema))
        {
            var original = Path.GetFullPath(Path.Combine(source, schema));
            if (File.Exists(original))
            {
                json["$schema"] = Path.GetRelativePath(Path.GetFullPath(outDir), original); // still found if both folders move together
            }
            else
            {
                json.Remove("$schema");
            }
        }
        var summary = new List<string>();
        foreach (var p in result.Parameters)
        {
            summary.Add(string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Estimate:G5} ± {p.StdError:G2}{(p.Unit.Length > 0 ? " " + p.Unit : "")}"));
            if (p.Kind != IdentifiedKind.Rig)
            {
                continue;
            }
            var reference = spec.Parameters.First(s => s.Name == p.Name).TrueValue;
            var entry = json["parameters"]!.AsArray().First(n => n?["name"]?.GetValue<string>() == p.Name)!;
            var halfWidth = Math.Max(2 * p.StdError, 0.01 * p.Estimate);
            entry["prior"] = new JsonObject
            {
                ["bias"] = Round(p.Estimate / reference),
                ["sigma"] = Round(halfWidth / reference),
            };
        }
        json["description"] = string.Create(CultureInfo.InvariantCulture,
            $"{json["description"]?.GetValue<string>()} Identified {DateTime.UtcNow:yyyy-MM-dd} from {logs.Count} log(s), {result.Samples} steps ({result.Seconds:F1} s: {string.Join(", ", logs.Select(Path.GetFileName))}): {string.Join("; ", summary)}.");
        File.WriteAllText(specPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");

        var joints = result.Parameters.Where(p => p.Kind is IdentifiedKind.Damping or IdentifiedKind.Friction).ToArray();
        if (joints.Length > 0)
        {
            var modelPath = Path.Combine(outDir, spec.ModelFile);
            var document = XDocument.Load(modelPath, LoadOptions.PreserveWhitespace);
            // Coulomb friction is a constraint MuJoCo solves every step: one too small to matter (under 1 % of the largest
            // actuator torque) would cost the planner a constraint solve per rollout step for nothing (measured: pendulum
            // demo 9 -> 14 ms a step for 2.5e-5 N·m), so it is left out and said so.
            var torqueMax = RigIdentifier.LargestAction(rig);
            foreach (var p in joints)
            {
                if (p.Kind == IdentifiedKind.Friction && p.ModelValue == 0 && p.Estimate < NegligibleFriction * torqueMax)
                {
                    leftOut.Add(string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.Estimate:G3} (under {NegligibleFriction:P0} of {torqueMax:G3}: not written, the planner's model stays without friction there)"));
                    continue;
                }
                var joint = document.Descendants("joint").FirstOrDefault(e => (string?)e.Attribute("name") == p.Joint)
                    ?? throw new InvalidDataException($"'{modelPath}' has no <joint name=\"{p.Joint}\"> to write {p.Name} into (a joint from an <include>d file?)");
                var value = Math.Max(0, p.ModelValue + p.Estimate);
                joint.SetAttributeValue(p.Kind == IdentifiedKind.Damping ? "damping" : "frictionloss", value.ToString("G6", CultureInfo.InvariantCulture));
            }
            document.Save(modelPath, SaveOptions.DisableFormatting);
        }
        try
        {
            return (RigTask.Load(outDir), leftOut);
        }
        catch (RigFileException e)
        {
            throw new InvalidDataException($"the identified rig written to '{outDir}' does not load ({e.Message}); it is left there to inspect");
        }
    }

    private static double Round(double value) => double.Parse(value.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            CopyFolder(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
