using System.Globalization;
using Mpq.Tasks;

namespace Mpq.Trainer.Learning;

/// <summary>Which learner.</summary>
public enum Algorithm
{
    /// <summary>MPQ: H-step MPPI acting with the learned Q as terminal cost; targets c + γ V_H(s') on the biased model; no target network.</summary>
    Mpq,

    /// <summary>Soft Q-learning: H = 1 (no model step), V by sampling actions, target network (Polyak).</summary>
    SoftQ,

    /// <summary>MPPI without Q: evaluation only.</summary>
    Mppi,
}

/// <summary>Everything a training run is configured by (written into the run directory).</summary>
public sealed record LearnerSettings
{
    public Algorithm Algorithm { get; init; } = Algorithm.Mpq;
    public int Horizon { get; init; } = 8;
    public int Samples { get; init; } = 256;
    public double Lambda { get; init; } = 0.1;
    public double NoiseStd { get; init; } = 1.0;
    public double StepSize { get; init; } = 1.0;

    /// <summary>Discount of the Q targets and the planner.</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>
    /// λ of the free energy that makes a target (null: the acting λ). A small acting λ makes the free energy nearly a
    /// minimum over the samples, an optimistic estimate that bootstrapping compounds; a larger one averages more.
    /// </summary>
    public double? TargetLambda { get; init; }

    /// <summary>Samples per MPPI batch when computing a target.</summary>
    public int TargetSamples { get; init; } = 64;

    /// <summary>K: MPPI iterations before the target's value batch.</summary>
    public int TargetIterations { get; init; } = 2;

    public int BatchSize { get; init; } = 32;
    public int UpdateEvery { get; init; } = 1;
    public int GradientSteps { get; init; } = 1;

    /// <summary>Transitions collected before the first update.</summary>
    public int Warmup { get; init; } = 200;

    public int ReplayCapacity { get; init; } = 100_000;
    public float LearningRate { get; init; } = 1e-3f;
    public int[] Hidden { get; init; } = [64, 64];

    /// <summary>Soft-Q target network Polyak factor.</summary>
    public float TargetTau { get; init; } = 0.01f;

    /// <summary>Q's output is the network's times this (costs are in the hundreds).</summary>
    public float OutputScale { get; init; } = 100;

    /// <summary>Scale of the output layer's initial weights (1: Glorot; small: the untrained Q starts near zero).</summary>
    public float InitialOutputGain { get; init; } = 1;

    /// <summary>Observation scaling into the network (one per entry; null: 1).</summary>
    public float[]? ObservationScale { get; init; }

    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Whether the planner's samples carry MPPI's control cost (the task's default: off for position servos;
    /// <see cref="Planning.Mppi.MppiSettings.ControlCost"/>). Acting and targets use the same.
    /// </summary>
    public bool ControlCost { get; init; } = true;

    /// <summary>
    /// Plan on the true parameters instead of a draw from the biased prior: the reference that shows how much the
    /// bias costs (Figure 1's "MPPI long, true model" row). Never what a learner on a real rig could do.
    /// </summary>
    public bool TrueModel { get; init; }

    /// <summary>
    /// Weight of the planner's action-rate cost w · Σ (a_t − a_{t−1})² for acting and targets (0, the default: off).
    /// The Q learned with it is the value given the previous action (recorded in the Q file as <c>mpq.action_rate_cost</c>).
    /// </summary>
    public double ActionRateCost { get; init; }

    /// <summary>
    /// The least terminal Q the planners believe, acting and targets (<see cref="Planning.Mppi.MppiSettings.TerminalFloor"/>);
    /// <see cref="For"/> sets the task's bound (0: its costs are ≥ 0) for ball-in-cup and fetch push, where it was
    /// measured to help; elsewhere null (none). <c>--set TerminalFloor=0</c> or <c>=null</c> overrides it. Recorded in the Q
    /// file (<c>mpq.terminal_floor</c>), so the controller plans with the floor the Q was trained under.
    /// </summary>
    public double? TerminalFloor { get; init; }

    /// <summary>
    /// Models drawn from the biased prior for every MPPI iteration, acting and targets (an ensemble: sample i rolls draw
    /// i mod draws, as the authors' code gives each rollout worker its own draw); 1: one draw per episode (acting) and
    /// per target batch (targets).
    /// </summary>
    public int ModelDraws { get; init; } = 1;

    /// <summary>Time-correlated exploration noise (c0, c1, c2) for acting and targets; null: white noise (<c>--set NoiseFilter=1/0.6/0.3</c>).</summary>
    public double[]? NoiseFilter { get; init; }

    /// <summary>
    /// Domain randomisation instead of the true system: the simulated plant's parameters are re-drawn before every
    /// step, uniform around the prior's mean with this half-width as a fraction of it (null: act on the true system).
    /// </summary>
    public double? DomainRandomization { get; init; }

    /// <summary>The plant's distributions under <see cref="DomainRandomization"/>, one per task parameter.</summary>
    public IReadOnlyList<ParameterPrior>? PlantDistributions(ITask task) => DomainRandomization is { } w
        ? task.Parameters.Select(p => ParameterPrior.FromPaper(p.Prior.MeanFactor, w * p.Prior.MeanFactor)).ToList()
        : null;

    /// <summary>
    /// These settings for learning on a rig: the terminal floor at the task's bound (0 where every cost is ≥ 0; c/(1−γ)
    /// for a least step cost c &lt; 0 and γ &lt; 1) unless the task's defaults or <paramref name="assignments"/> name one
    /// (<c>--set TerminalFloor=null</c> switches it off). The floor is this project's addition, not the paper's: in simulation
    /// MPQ H=8 beat MPPI H=32 on the pendulum only with it (results/fig1-pendulum-floor), and the rig's figures
    /// (results/online-pendulum) were made with it.
    /// </summary>
    public LearnerSettings ForRig(ITask task, string? assignments)
    {
        if (TerminalFloor is not null || (assignments ?? "").Contains(nameof(TerminalFloor), StringComparison.OrdinalIgnoreCase))
        {
            return this;
        }
        var c = task.MinimumStepCost;
        return c >= 0 ? this with { TerminalFloor = 0 }
            : double.IsFinite(c) && Gamma < 1 ? this with { TerminalFloor = c / (1 - Gamma) }
            : this;
    }

    /// <summary>The planner settings these learner settings imply, with the given sample count, discount and seed.</summary>
    public Planning.Mppi.MppiSettings Planner(int samples, double gamma, ulong seed) => new()
    {
        Samples = samples,
        Horizon = Horizon,
        Lambda = Lambda,
        NoiseStd = [NoiseStd],
        StepSize = StepSize,
        Gamma = gamma,
        Iterations = 1,
        NoiseFilter = NoiseFilter,
        ControlCost = ControlCost,
        ActionRateCost = ActionRateCost,
        TerminalFloor = TerminalFloor ?? double.NegativeInfinity,
        Seed = seed,
    };

    /// <summary>
    /// These settings with some replaced by name, from <c>NAME=VALUE[,NAME=VALUE...]</c> (property names, any case;
    /// <c>Hidden=64/64</c>): for tuning from the command line without a rebuild.
    /// </summary>
    public LearnerSettings WithOverrides(string? assignments)
    {
        if (string.IsNullOrWhiteSpace(assignments))
        {
            return this;
        }
        var copy = this with { };
        foreach (var assignment in assignments.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = assignment.IndexOf('=');
            if (eq <= 0)
            {
                throw new ArgumentException($"--set: '{assignment}' is not NAME=VALUE");
            }
            var name = assignment[..eq].Trim();
            var text = assignment[(eq + 1)..].Trim();
            var property = typeof(LearnerSettings).GetProperty(name, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            if (property is null || !IsOverridable(property))
            {
                var names = typeof(LearnerSettings).GetProperties().Where(IsOverridable).Select(p => p.Name);
                throw new ArgumentException($"--set: no setting '{name}' (settable: {string.Join(", ", names)}; algorithm, horizon, seed and DR have their own options)");
            }
            property.SetValue(copy, ParseValue(property.PropertyType, name, text));
        }
        copy.Validate();
        return copy;
    }

    // Algorithm, horizon, seed and DR are options of their own on every command that takes --set.
    private static bool IsOverridable(System.Reflection.PropertyInfo p) =>
        p.CanWrite && p.Name is not (nameof(Algorithm) or nameof(Horizon) or nameof(Seed) or nameof(DomainRandomization));

    private static object? ParseValue(Type type, string name, string text)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var style = System.Globalization.NumberStyles.Float;
        var ok = true;
        object? value = null;
        if (type == typeof(int))
        {
            ok = int.TryParse(text, c, out var v);
            value = v;
        }
        else if (type == typeof(ulong))
        {
            ok = ulong.TryParse(text, c, out var v);
            value = v;
        }
        else if (type == typeof(double) || type == typeof(double?))
        {
            if (type == typeof(double?) && text is "" or "null")
            {
                return null;
            }
            ok = double.TryParse(text, style, c, out var v) && double.IsFinite(v);
            value = v;
        }
        else if (type == typeof(float))
        {
            ok = float.TryParse(text, style, c, out var v) && float.IsFinite(v);
            value = v;
        }
        else if (type == typeof(bool))
        {
            ok = bool.TryParse(text, out var v);
            value = v;
        }
        else if (type == typeof(double[]))
        {
            return text is "" or "null" ? null : Slashed<double>(text, name, static t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null);
        }
        else if (type == typeof(float[]))
        {
            return text is "" or "null" ? null : Slashed<float>(text, name, static t => float.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v : null);
        }
        else if (type == typeof(int[]))
        {
            return Slashed<int>(text, name, static t => int.TryParse(t, CultureInfo.InvariantCulture, out var v) ? v : null);
        }
        else
        {
            throw new ArgumentException($"--set: '{name}' cannot be set from the command line");
        }
        return ok ? value : throw new ArgumentException($"--set: '{text}' is not a valid value for {name}");
    }

    /// <summary>A list written with '/' between its values (Hidden=128/128, ObservationScale=1/1/0.125).</summary>
    private static T[] Slashed<T>(string text, string name, Func<string, T?> parse) where T : struct =>
        [.. text.Split('/').Select(part => parse(part) ?? throw new ArgumentException($"--set: '{text}' is not a valid value for {name}"))];

    /// <summary>Defaults that suit a task (one SGD step per transition for every task: UpdateEvery = 4 cost ball-in-cup
    /// two thirds of its catches, Trainer/results).</summary>
    /// <remarks>
    /// The task's smoothing (action-rate cost, correlated noise) is the acting controller's, not the learner's: under it
    /// the pendulum's Q never learned to swing up (Trainer/results/pendulum-planner-defaults). Set them with --set.
    /// </remarks>
    public static LearnerSettings For(ITask task)
    {
        // The task's own learner settings are data (ITask.LearnerDefaults), so a task wrapped for a rig's torque limit, or
        // one described by files, learns as its own: a switch on the task's type once sent the wrapped pendulum to λ 1.
        LearnerSettings s;
        try
        {
            s = new LearnerSettings { Lambda = task.PlannerDefaults.Lambda, NoiseStd = task.PlannerDefaults.NoiseStd }.WithOverrides(task.LearnerDefaults);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"task '{task.Name}': its learner defaults '{task.LearnerDefaults}' are not valid: {e.Message}", e);
        }
        // TerminalFloor=0 in a task's defaults marks it as floored: the floor goes at the task's own bound.
        return s with { ControlCost = task.PlannerDefaults.ControlCost, TerminalFloor = s.TerminalFloor is null ? null : Planning.Mppi.MppiSettings.QFloor(task, s.Gamma) };
    }

    public void Validate()
    {
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(message, innerException: null);
            }
        }
        Check(Horizon >= 1 && Samples >= 1 && TargetSamples >= 1 && TargetIterations >= 0, "horizon, samples and target samples must be at least 1, target iterations at least 0");
        Check(ModelDraws is >= 1 and <= 256, $"model draws must be between 1 and 256 (got {ModelDraws})");
        Check(TargetLambda is null || (double.IsFinite(TargetLambda.Value) && TargetLambda > 0), $"target lambda must be positive (got {TargetLambda})");
        Check(double.IsFinite(Lambda) && Lambda > 0 && double.IsFinite(NoiseStd) && NoiseStd > 0, $"lambda and noise std must be positive (got {Lambda}, {NoiseStd})");
        Check(Gamma is > 0 and < 1, $"gamma for learning must be in (0, 1) (got {Gamma})");
        Check(TerminalFloor is null || double.IsFinite(TerminalFloor.Value), $"terminal floor must be a finite number, or null for none (got {TerminalFloor})");
        Check(BatchSize >= 1 && UpdateEvery >= 1 && GradientSteps >= 0 && Warmup >= 0, "batch size and update interval must be at least 1");
        Check(float.IsFinite(LearningRate) && LearningRate > 0, "learning rate must be positive");
        Check(float.IsFinite(InitialOutputGain) && InitialOutputGain is >= 0 and <= 1, "initial output gain must be in [0, 1]");
        Check(Hidden.Length >= 1 && Hidden.All(h => h is >= 1 and <= 4096), "hidden layer sizes must be 1-4096");
        Check(Algorithm != Algorithm.SoftQ || Horizon == 1, "soft Q-learning plans with horizon 1");
        Check(NoiseFilter is null || (NoiseFilter.Length == 3 && NoiseFilter.All(double.IsFinite)), "noise filter needs 3 finite coefficients c0/c1/c2");
        Check(DomainRandomization is null or (> 0 and < 1), $"domain randomisation half-width must be in (0, 1) of the prior's mean (got {DomainRandomization})");
    }
}
