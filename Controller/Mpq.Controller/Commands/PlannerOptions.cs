using System.CommandLine;
using System.Globalization;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Controller.Commands;

/// <summary>The planner options shared by every command that plans.</summary>
internal sealed class PlannerOptions
{
    public Option<string> Task { get; } = new("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", DefaultValueFactory = _ => "pendulum" };
    public Option<int?> Horizon { get; } = new("--horizon", "-H") { Description = "H: actions per planned sequence (default: the horizon the --q was trained for, else 32)" };
    public Option<int?> Samples { get; } = new("--samples", "-N") { Description = "N: sampled sequences per iteration (default: the task's)" };
    public Option<double?> Lambda { get; } = new("--lambda") { Description = "temperature λ (default: the task's)" };
    public Option<double?> NoiseStd { get; } = new("--noise-std") { Description = "exploration noise std (default: the task's)" };
    public Option<double?> StepSize { get; } = new("--alpha") { Description = "plan update step size α in (0, 1] (default: the task's)" };
    public Option<double?> Gamma { get; } = new("--gamma") { Description = "discount γ in (0, 1] (default: the task's)" };
    public Option<int?> Iterations { get; } = new("--iterations", "-K") { Description = "MPPI iterations per control step (default: the task's)" };
    public Option<string?> NoiseFilter { get; } = new("--noise-filter") { Description = "time-correlated noise coefficients c0,c1,c2 (e.g. 1,0.6,0.3; default: the task's; off: white noise)" };
    public Option<double?> ActionRateCost { get; } = new("--action-rate-cost") { Description = "weight w of the action-rate cost w·Σ(a_t − a_{t−1})² (default: the task's; 0: off)" };
    public Option<int> Threads { get; } = new("--threads", "-T") { Description = "rollout threads (including the caller)", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "seed of initial states, model draws and noise", DefaultValueFactory = _ => 1UL };
    public Option<string?> Q { get; } = new("--q") { Description = "learned Q (ONNX, from the trainer) as MPPI's terminal cost" };
    public Option<string?> Prior { get; } = new("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... (mean bias × true, half-width sigma × true), e.g. mass=1.5:0.1" };

    public void AddTo(Command command)
    {
        foreach (var o in (Option[])[Task, Horizon, Samples, Lambda, NoiseStd, StepSize, Gamma, Iterations, NoiseFilter, ActionRateCost, Threads, Seed, Prior, Q, AllowOtherRig])
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The task named by --task, with any --prior overrides.</summary>
    public ITask CreateTask(ParseResult r) =>
        TaskCatalog.Create(r.GetValue(Task)!, r.GetValue(Prior) is { } text ? TaskCatalog.ParsePriors(text) : null);

    /// <summary>The --q terminal cost, validated against the task, or null.</summary>
    /// <summary><c>--allow-other-rig</c>: load a Q learned for another version of the rig's files.</summary>
    public Option<bool> AllowOtherRig { get; } = new("--allow-other-rig") { Description = "load a Q learned for another version of the rig's files (its hash differs): only when you know the change does not matter" };

    public Onnx.OnnxTerminalCost? LoadQ(ParseResult r, ITask task)
    {
        if (r.GetValue(Q) is not { } path)
        {
            return null;
        }
        var q = Onnx.OnnxTerminalCost.Load(path, task, r.GetValue(AllowOtherRig));
        if (q.RigWarning is { } warning)
        {
            Console.Error.WriteLine($"warning: {warning}");
        }
        return q;
    }

    public MppiSettings Settings(ParseResult r, ITask task, Onnx.OnnxTerminalCost? q = null)
    {
        var horizon = r.GetValue(Horizon) ?? q?.TrainedHorizon ?? 32;
        if (q?.TrainedHorizon is { } trained && trained != horizon)
        {
            // Q is the value of the tail a planner of the trained horizon leaves; another horizon uses it off its training.
            Console.Error.WriteLine($"warning: the Q '{q.Path}' was trained for H={trained}; planning with H={horizon}");
        }
        // The action-rate cost, step size and noise filter are the acting planner's (the task's defaults), not part of the
        // task's cost Q values; γ and the floor are the Q's own.
        var d = MppiSettings.ForTask(task, horizon);
        var settings = d with
        {
            Samples = r.GetValue(Samples) ?? d.Samples,
            Iterations = r.GetValue(Iterations) ?? d.Iterations,
            Lambda = r.GetValue(Lambda) ?? d.Lambda,
            NoiseStd = r.GetValue(NoiseStd) is { } std ? [std] : d.NoiseStd,
            StepSize = r.GetValue(StepSize) ?? d.StepSize,
            Gamma = r.GetValue(Gamma) ?? q?.TrainedGamma ?? d.Gamma,
            NoiseFilter = ParseNoiseFilter(r.GetValue(NoiseFilter)) ?? d.NoiseFilter,
            ActionRateCost = r.GetValue(ActionRateCost) ?? d.ActionRateCost,
            // The floor the Q was trained under (none for files that do not say).
            TerminalFloor = q?.TrainedTerminalFloor ?? double.NegativeInfinity,
            Seed = r.GetValue(Seed),
        };
        settings.Validate(task.ActionSize);
        return settings;
    }

    public int ThreadCount(ParseResult r)
    {
        var t = r.GetValue(Threads);
        return t is >= 1 and <= 256 ? t : throw new ArgumentException($"--threads must be between 1 and 256 (got {t})");
    }

    /// <summary>--noise-filter: "c0,c1,c2", or "off" for white noise (null: the task's default).</summary>
    private static double[]? ParseNoiseFilter(string? text) =>
        text is "off" or "none" ? [1, 0, 0] : ParseList(text, "--noise-filter");

    /// <summary>Parses "a,b,c" into numbers, or null for null text.</summary>
    public static double[]? ParseList(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new FormatException($"{option}: '{parts[i]}' is not a number");
            }
        }
        return values;
    }
}
