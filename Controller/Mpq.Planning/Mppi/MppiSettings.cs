using Mpq.Tasks;

namespace Mpq.Planning.Mppi;

/// <summary>What fills the last slot of the plan after it is shifted.</summary>
public enum TailMode
{
    /// <summary>Zero action (the authors' choice).</summary>
    Zero,

    /// <summary>Repeat the previous last action.</summary>
    Repeat,
}

/// <summary>Settings of the infinite-horizon MPPI planner (DESIGN.md, "The algorithm").</summary>
public sealed record MppiSettings
{
    /// <summary>N: sampled action sequences per iteration.</summary>
    public int Samples { get; init; } = 256;

    /// <summary>H: actions per sequence; H − 1 model steps; H = 1 is pure soft-Q action selection.</summary>
    public int Horizon { get; init; } = 32;

    /// <summary>λ: temperature of the softmax and weight of the control cost.</summary>
    public double Lambda { get; init; } = 0.1;

    /// <summary>Standard deviation of the exploration noise (Σ = diag(std²)), one per action or one for all.</summary>
    public double[] NoiseStd { get; init; } = [1.0];

    /// <summary>α: step size of the plan update.</summary>
    public double StepSize { get; init; } = 1.0;

    /// <summary>γ: discount.</summary>
    public double Gamma { get; init; } = 1.0;

    /// <summary>K: iterations per call (the online controller uses 1).</summary>
    public int Iterations { get; init; } = 1;

    /// <summary>How the plan's tail is filled after a shift.</summary>
    public TailMode Tail { get; init; } = TailMode.Zero;

    /// <summary>
    /// Optional time-correlated noise: ε_t = c0 · raw_t + c1 · ε_{t−1} + c2 · ε_{t−2}. Null for white noise.
    /// </summary>
    public double[]? NoiseFilter { get; init; }

    /// <summary>
    /// Whether each sample's cost carries the control cost λ (½ uᵀΣ⁻¹u + uᵀΣ⁻¹ε) of MPPI's zero-mean prior. On for torque
    /// actuators, where the prior "no torque" is a sensible default; off for position servos, where it pulls every plan
    /// towards the origin (the authors switch it off for their position-controlled tasks). Off, the free energy is that
    /// of the sampling distribution around the plan.
    /// </summary>
    public bool ControlCost { get; init; } = true;

    /// <summary>
    /// Weight w of the action-rate cost w · Σ_d (a_t − a_{t−1})² added to every step of every sample (the first step's
    /// a_{−1} is the action the planner sent last, or the hold action after a reset): smooth commands a gearbox survives
    /// instead of bang-bang chatter. 0 (the default) is off. A Q trained with it is the value given the previous action
    /// (its input a), so acting and targets must use the same weight.
    /// </summary>
    public double ActionRateCost { get; init; }

    /// <summary>
    /// The least terminal Q the planner believes: each sample's Q(s_{H−1}, a_{H−1}) counts as max(Q, floor). A cost-to-go
    /// cannot be below <see cref="QFloor"/> of the task's one-step cost bound, but a learned Q can (where it extrapolates),
    /// and a planner that minimises over samples seeks those errors out; feeding them back into Q's targets, with no
    /// target network, drives Q below any value the task can have (measured on fetch push: targets of mean −1.47 after
    /// 200 updates while every cost is ≥ 0). −∞ (the default): no floor.
    /// </summary>
    public double TerminalFloor { get; init; } = double.NegativeInfinity;

    /// <summary>
    /// The floor a Q of <paramref name="task"/> with discount <paramref name="gamma"/> cannot go below: c_min / (1 − γ)
    /// for the task's least one-step cost c_min (0 when c_min is 0); −∞ when no bound is known or γ = 1 with c_min &lt; 0.
    /// The four tasks' costs are all ≥ 0, so their floor is 0.
    /// </summary>
    public static double QFloor(ITask task, double gamma)
    {
        var c = task.MinimumStepCost;
        if (c == 0)
        {
            return 0;
        }
        if (!double.IsFinite(c))
        {
            return double.NegativeInfinity;
        }
        // With γ = 1 the sum of steps has no finite bound below for c < 0; for c > 0 one step is a bound.
        return gamma < 1 ? c / (1 - gamma) : c > 0 ? c : double.NegativeInfinity;
    }

    /// <summary>
    /// The acting planner <paramref name="task"/> suggests (<see cref="ITask.PlannerDefaults"/>) at
    /// <paramref name="horizon"/>: what <c>controller sim</c> and <c>run</c> plan with unless told otherwise. Callers that
    /// have a Q put its γ and terminal floor over these.
    /// </summary>
    public static MppiSettings ForTask(ITask task, int horizon)
    {
        var d = task.PlannerDefaults;
        return new MppiSettings
        {
            Samples = d.Samples,
            Iterations = d.Iterations,
            Horizon = horizon,
            Lambda = d.Lambda,
            NoiseStd = [d.NoiseStd],
            StepSize = d.StepSize,
            Gamma = d.Gamma,
            NoiseFilter = d.NoiseFilter,
            ControlCost = d.ControlCost,
            ActionRateCost = d.ActionRateCost,
        };
    }

    /// <summary>Seed of the noise streams.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with a readable message for any bad value.</summary>
    public void Validate(int actionSize)
    {
        Require(Samples >= 1, nameof(Samples), Samples, "samples must be at least 1");
        Require(Samples <= 1 << 20, nameof(Samples), Samples, "samples must be at most 1048576");
        Require(Horizon >= 1, nameof(Horizon), Horizon, "horizon must be at least 1");
        Require(Horizon <= 4096, nameof(Horizon), Horizon, "horizon must be at most 4096");
        Require(double.IsFinite(Lambda) && Lambda > 0, nameof(Lambda), Lambda, "lambda must be a positive finite number");
        Require(double.IsFinite(StepSize) && StepSize > 0 && StepSize <= 1, nameof(StepSize), StepSize, "step size (alpha) must be in (0, 1]");
        Require(double.IsFinite(Gamma) && Gamma > 0 && Gamma <= 1, nameof(Gamma), Gamma, "gamma must be in (0, 1]");
        Require(double.IsFinite(ActionRateCost) && ActionRateCost >= 0, nameof(ActionRateCost), ActionRateCost, "action-rate cost must be a finite number ≥ 0");
        Require(!double.IsNaN(TerminalFloor) && TerminalFloor < double.PositiveInfinity, nameof(TerminalFloor), TerminalFloor, "terminal floor must be a number below +∞ (−∞: none)");
        Require(Iterations >= 1, nameof(Iterations), Iterations, "iterations must be at least 1");
        Require(NoiseStd is not null && (NoiseStd.Length == 1 || NoiseStd.Length == actionSize), nameof(NoiseStd), NoiseStd?.Length ?? 0, $"noise std needs 1 or {actionSize} entries");
        foreach (var s in NoiseStd!)
        {
            Require(double.IsFinite(s) && s > 0, nameof(NoiseStd), s, "noise std must be a positive finite number");
        }
        if (NoiseFilter is not null)
        {
            Require(NoiseFilter.Length == 3, nameof(NoiseFilter), NoiseFilter.Length, "noise filter needs 3 coefficients (c0, c1, c2)");
            foreach (var c in NoiseFilter)
            {
                Require(double.IsFinite(c), nameof(NoiseFilter), c, "noise filter coefficients must be finite");
            }
        }
    }

    /// <summary>Noise standard deviation of action entry <paramref name="d"/>.</summary>
    public double Std(int d) => NoiseStd.Length == 1 ? NoiseStd[0] : NoiseStd[d];

    private static void Require(bool ok, string name, object value, string message)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException($"{message} (got {value})", innerException: null) { Data = { ["setting"] = name } };
        }
    }
}
