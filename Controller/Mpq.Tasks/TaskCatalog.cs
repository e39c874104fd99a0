namespace Mpq.Tasks;

/// <summary>The tasks the command lines know by name.</summary>
public static class TaskCatalog
{
    /// <summary>The rig folders shipped beside the programs (<c>rigs/NAME/rig.json</c>).</summary>
    public static string ShippedRigs => Path.Combine(AppContext.BaseDirectory, "rigs");

    /// <summary>Every task name (the shipped rig folders), in the order help texts list them.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        .. (Directory.Exists(ShippedRigs)
            ? Directory.GetDirectories(ShippedRigs).Where(d => File.Exists(Path.Combine(d, "rig.json"))).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>()),
    ];

    /// <summary>
    /// Creates a task by name (a shipped rig folder) or by path (a rig folder, or its
    /// <c>rig.json</c>: <c>--task ./my-rig</c>), optionally with other biased priors (by parameter name).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown task or parameter name; the message lists the known ones.</exception>
    /// <exception cref="Rigs.RigFileException">A rig folder whose files cannot describe a rig (file, field and problem named).</exception>
    public static ITask Create(string name, IReadOnlyDictionary<string, ParameterPrior>? priors = null)
    {
        var shipped = Path.Combine(ShippedRigs, name);
        if (name.Length > 0 && name.IndexOfAny(['/', '\\']) < 0 && !name.StartsWith('.') && File.Exists(Path.Combine(shipped, "rig.json")))
        {
            return Rigs.RigTask.Load(shipped, priors);
        }
        if (name.IndexOfAny(['/', '\\']) >= 0 || name.EndsWith(".json", StringComparison.Ordinal) || Directory.Exists(name))
        {
            return Rigs.RigTask.Load(name, priors);
        }
        throw new ArgumentException($"unknown task '{name}'; known tasks: {string.Join(", ", Names)}, or a rig folder's path", nameof(name));
    }

    /// <summary>Parses "mass=1.5:0.1,length=1.2:0.1" (paper form: bias × true, ± sigma × true).</summary>
    /// <exception cref="FormatException">Malformed text.</exception>
    public static Dictionary<string, ParameterPrior> ParsePriors(string text)
    {
        var priors = new Dictionary<string, ParameterPrior>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.Split('=');
            var values = eq.Length == 2 ? eq[1].Split(':') : [];
            if (values.Length != 2
                || !double.TryParse(values[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var bias)
                || !double.TryParse(values[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var sigma))
            {
                throw new FormatException($"prior '{part}' is not NAME=BIAS:SIGMA (e.g. mass=1.3:0.1)");
            }
            priors[eq[0]] = ParameterPrior.FromPaper(bias, sigma);
        }
        return priors;
    }
}
