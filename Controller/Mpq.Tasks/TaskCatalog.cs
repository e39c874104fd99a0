namespace Mpq.Tasks;

/// <summary>The tasks the command lines know by name.</summary>
public static class TaskCatalog
{
    /// <summary>Every task name, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["pendulum", "ballincup", "fetchpush", "frankadrawer"];

    /// <summary>Creates a task by CLI name, optionally with other biased priors (by parameter name).</summary>
    /// <exception cref="ArgumentException">Unknown task or parameter name; the message lists the known ones.</exception>
    public static ITask Create(string name, IReadOnlyDictionary<string, ParameterPrior>? priors = null)
    {
        ITask task = name switch
        {
            "pendulum" => new PendulumSwingup(Prior(priors, "mass"), Prior(priors, "length")),
            "ballincup" => new BallInCupSparse(Prior(priors, "ball_mass"), Prior(priors, "ball_inertia"), Prior(priors, "string_stiffness")),
            "fetchpush" => new FetchPushBlock(Prior(priors, "block_mass"), Prior(priors, "block_inertia"), Prior(priors, "block_friction"), Prior(priors, "block_size")),
            "frankadrawer" => new FrankaDrawerOpen(Prior(priors, "arm_damping"), Prior(priors, "arm_frictionloss"), Prior(priors, "drawer_damping"), Prior(priors, "drawer_frictionloss")),
            _ => throw new ArgumentException($"unknown task '{name}'; known tasks: {string.Join(", ", Names)}", nameof(name)),
        };
        foreach (var key in priors?.Keys ?? [])
        {
            if (!task.Parameters.Any(p => p.Name == key))
            {
                throw new ArgumentException($"task '{name}' has no parameter '{key}'; it has: {string.Join(", ", task.Parameters.Select(p => p.Name))}");
            }
        }
        return task;
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

    private static ParameterPrior? Prior(IReadOnlyDictionary<string, ParameterPrior>? priors, string name) =>
        priors is not null && priors.TryGetValue(name, out var p) ? p : null;
}
