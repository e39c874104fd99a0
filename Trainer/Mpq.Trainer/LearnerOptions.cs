using System.CommandLine;
using System.Globalization;

namespace Mpq.Trainer;

/// <summary>
/// The learner-settings options every trainer command that learns takes: the planner's, named as in the controller
/// (<c>--samples/-N</c>, <c>--lambda</c>, <c>--noise-std</c>, <c>--alpha</c>, <c>--gamma</c>, <c>--noise-filter</c>,
/// <c>--action-rate-cost</c>), and <c>--set NAME=VALUE,…</c> for everything else.
/// </summary>
/// <remarks>
/// The planner options become <c>--set</c> assignments (a run directory records one string, and a resumed run gets
/// the same settings); naming a setting both ways is refused rather than one silently winning.
/// </remarks>
internal sealed class LearnerOptions
{
    private readonly (Option Option, string Setting, Func<ParseResult, string?> Value)[] _planner;

    public LearnerOptions()
    {
        var samples = new Option<int?>("--samples", "-N") { Description = "N: sampled sequences per MPPI iteration when acting (default: the task's)" };
        var lambda = new Option<double?>("--lambda") { Description = "temperature λ (default: the task's)" };
        var noiseStd = new Option<double?>("--noise-std") { Description = "exploration noise std (default: the task's)" };
        var alpha = new Option<double?>("--alpha") { Description = "plan update step size α in (0, 1] (default: 1)" };
        var gamma = new Option<double?>("--gamma") { Description = "discount γ of the targets and the planner (default: 0.99)" };
        var filter = new Option<string?>("--noise-filter") { Description = "time-correlated noise coefficients c0,c1,c2 (default: white noise; off: white noise)" };
        var rate = new Option<double?>("--action-rate-cost") { Description = "weight w of the action-rate cost w·Σ(a_t − a_{t−1})² (default: 0, off)" };
        var c = CultureInfo.InvariantCulture;
        _planner =
        [
            (samples, "Samples", r => r.GetValue(samples)?.ToString(c)),
            (lambda, "Lambda", r => r.GetValue(lambda)?.ToString("R", c)),
            (noiseStd, "NoiseStd", r => r.GetValue(noiseStd)?.ToString("R", c)),
            (alpha, "StepSize", r => r.GetValue(alpha)?.ToString("R", c)),
            (gamma, "Gamma", r => r.GetValue(gamma)?.ToString("R", c)),
            (filter, "NoiseFilter", r => r.GetValue(filter) is { } f ? (f is "off" or "none" ? "null" : f.Replace(',', '/')) : null),
            (rate, "ActionRateCost", r => r.GetValue(rate)?.ToString("R", c)),
        ];
    }

    public Option<string?> Set { get; } = TrainCommand.SetOption();

    public void AddTo(Command command)
    {
        foreach (var (option, _, _) in _planner)
        {
            command.Options.Add(option);
        }
        command.Options.Add(Set);
    }

    /// <summary>The planner options and <c>--set</c> as one <c>NAME=VALUE,…</c> string (null when none was given).</summary>
    /// <exception cref="ArgumentException">A setting named by an option and in <c>--set</c> too.</exception>
    public string? Assignments(ParseResult r)
    {
        var parts = new List<string>();
        var set = r.GetValue(Set);
        var named = (set ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.Split('=')[0].Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (option, setting, value) in _planner)
        {
            if (value(r) is not { } v)
            {
                continue;
            }
            if (named.Contains(setting))
            {
                throw new ArgumentException($"{option.Name} and --set {setting}= name the same setting: give it once");
            }
            parts.Add($"{setting}={v}");
        }
        if (!string.IsNullOrWhiteSpace(set))
        {
            parts.Add(set);
        }
        return parts.Count == 0 ? null : string.Join(',', parts);
    }
}
