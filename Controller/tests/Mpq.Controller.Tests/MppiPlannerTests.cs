using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class MppiPlannerTests
{
    private static readonly double[] Low = [-2];
    private static readonly double[] High = [2];

    private static MppiPlanner Create(IDynamicsModel dynamics, IRunningCost cost, MppiSettings settings, WorkerPool pool, ITerminalCost? terminal = null) =>
        new(dynamics, cost, Low, High, settings, pool, terminal);

    [Test]
    public void Optimize_ReturnsFreeEnergyOfSampleCosts()
    {
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 64, Horizon = 5, Lambda = 0.7, NoiseStd = [0.5] };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 1), settings, pool);
        var value = planner.Optimize([0.3], 1);
        var costs = planner.SampleCosts.ToArray();
        var expected = -0.7 * Math.Log(costs.Select(s => Math.Exp(-s / 0.7)).Average());
        Assert.That(value, Is.EqualTo(expected).Within(1e-9));
    }

    [Test]
    public void Optimize_ManyIterations_ConvergesTowardTheMinimiser()
    {
        using var pool = new WorkerPool(2);
        // H = 1: S = c(s, a0) only, minimised at a0 = 0.8.
        var settings = new MppiSettings { Samples = 256, Horizon = 1, Lambda = 0.01, NoiseStd = [0.5], StepSize = 0.5 };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 100, preferred: 0.8, actionWeight: 1), settings, pool);
        planner.Optimize([0.0], 40);
        Assert.That(planner.Plan.Values[0], Is.EqualTo(0.8).Within(0.05));
    }

    [Test]
    public void Optimize_HorizonOne_NeverStepsTheModel()
    {
        using var pool = new WorkerPool(1);
        var dynamics = new IntegratorDynamics();
        var terminal = new QuadraticTerminal(preferred: 0.5);
        using var planner = Create(dynamics, new QuadraticCost(), new MppiSettings { Samples = 32, Horizon = 1 }, pool, terminal);
        planner.Optimize([0.0], 3);
        Assert.That(dynamics.StepCalls, Is.Zero);
        Assert.That(terminal.Calls, Is.EqualTo(3));
    }

    [Test]
    public void Optimize_RollsHorizonMinusOneSteps()
    {
        using var pool = new WorkerPool(2);
        var dynamics = new IntegratorDynamics();
        using var planner = Create(dynamics, new QuadraticCost(), new MppiSettings { Samples = 10, Horizon = 6 }, pool);
        planner.Optimize([0.0], 1);
        Assert.That(dynamics.StepCalls, Is.EqualTo(10 * 5));
    }

    [Test]
    public void Optimize_TerminalCost_PullsFirstActionWhenHorizonIsOne()
    {
        using var pool = new WorkerPool(1);
        var terminal = new QuadraticTerminal(preferred: -1.2, scale: 10);
        var settings = new MppiSettings { Samples = 256, Horizon = 1, Lambda = 0.05, NoiseStd = [0.6], StepSize = 0.5 };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(), settings, pool, terminal);
        planner.Optimize([0.0], 40);
        Assert.That(planner.Plan.Values[0], Is.EqualTo(-1.2).Within(0.05));
    }

    [Test]
    public void Optimize_AddsDiscountedTerminalCost()
    {
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 8, Horizon = 3, Gamma = 0.5, Lambda = 1, NoiseStd = [1] };
        using var zero = Create(new IntegratorDynamics(), new QuadraticCost(), settings, pool, new QuadraticTerminal(0, scale: 0) { Offset = 0 });
        using var five = Create(new IntegratorDynamics(), new QuadraticCost(), settings, pool, new QuadraticTerminal(0, scale: 0) { Offset = 5 });
        zero.Optimize([0.5], 1);
        five.Optimize([0.5], 1);
        // Same noise (same seed and call), so S differs by exactly γ^(H−1) · 5 = 1.25.
        var diffs = five.SampleCosts.ToArray().Zip(zero.SampleCosts.ToArray(), (a, b) => a - b);
        Assert.That(diffs, Has.All.EqualTo(1.25).Within(1e-6));
    }

    [Test]
    public void Step_PlanStaysWithinActionLimits()
    {
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 64, Horizon = 8, NoiseStd = [5], Lambda = 0.01 };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 1000), settings, pool);
        var action = new double[1];
        for (var i = 0; i < 20; i++)
        {
            planner.Step([0.0], action);
            Assert.That(planner.Plan.Values.ToArray(), Has.All.InRange(-2.0, 2.0));
            Assert.That(action[0], Is.InRange(-2.0, 2.0));
        }
        Assert.That(planner.Plan.Values[0], Is.EqualTo(2.0), "pushing toward a far target saturates the plan");
    }

    [Test]
    public void Shift_MovesPlanAndZeroesTail()
    {
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 64, Horizon = 4, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 5), settings, pool);
        planner.Optimize([0.0], 3);
        var before = planner.Plan.Values.ToArray();
        planner.Shift();
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { before[1], before[2], before[3], 0.0 }));
    }

    [Test]
    public void ResetPlan_PositionServo_PlanStartsAtTheHoldActionOfTheNextState()
    {
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 16, Horizon = 4, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(positionServo: true), new QuadraticCost(target: 0), settings, pool);
        planner.Optimize([1.5], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 1.5, 1.5, 1.5, 1.5 }), "a new planner holds where the system is, not at the origin");
        planner.ResetPlan();
        planner.Optimize([3.0], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 2.0, 2.0, 2.0, 2.0 }), "the hold action, clamped to the limits");
        planner.Optimize([-0.5], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 2.0, 2.0, 2.0, 2.0 }), "only a reset (or a shift's tail) takes the hold action");
        planner.Shift();
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 2.0, 2.0, 2.0, 0.0 }), "until the next state is known the tail is zero");
        planner.Optimize([0.25], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 2.0, 2.0, 2.0, 0.25 }));
    }

    [Test]
    public void EstimateValue_PositionServo_TargetPlanStartsAtTheHoldAction()
    {
        // Issue 14, bug 3: EstimateValue loaded the state (hold plan) and then reset the plan (zero), so every
        // target of a position-servo task began by driving to the origin.
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 16, Horizon = 4, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(positionServo: true), new QuadraticCost(target: 0), settings, pool);
        planner.EstimateValue([1.5], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 1.5, 1.5, 1.5, 1.5 }), "the value batch is scored around 'stay', not around 'go to 0'");
        planner.Optimize([0.2], 3); // a used plan, then another target from elsewhere
        planner.EstimateValue([-0.75], 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { -0.75, -0.75, -0.75, -0.75 }));
    }

    // Free energy of c(a) = k·a per step with a ~ N(0, σ²) (MPPI's prior), H steps, γ = 1:
    // F = −λ log E[exp(−Σ k a_t / λ)] = −H k² σ² / (2λ), whatever the plan u the samples are drawn around.
    [TestCase(1, 0.0)]
    [TestCase(1, 1.0)]
    [TestCase(3, 1.0)]
    [TestCase(2, -0.6)]
    public void Optimize_GaussianLinearCost_FreeEnergyMatchesTheClosedForm(int horizon, double u)
    {
        // Issue 14, bug 4: without λ/2 uᵀΣ⁻¹u the estimate was optimistic by H λ u² / (2σ²) (−0.625 for H = 1, u = 1).
        const double k = 0.5, sigma = 1.0, lambda = 1.0;
        var wide = new[] { -100.0 };
        var high = new[] { 100.0 };
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 200_000, Horizon = horizon, NoiseStd = [sigma], Lambda = lambda, Seed = 11 };
        // A new plan starts at a position servo's hold action, u (the state): the samples are drawn around u, not 0,
        // and Optimize returns the free energy of that first batch, before its update.
        using var planner = new MppiPlanner(new IntegratorDynamics(positionServo: true), new LinearActionCost(k), wide, high, settings, pool);
        var value = planner.Optimize([u], 1);
        var expected = -horizon * k * k * sigma * sigma / (2 * lambda);
        Assert.That(value, Is.EqualTo(expected).Within(0.02), $"plan at {u}");
    }

    [Test]
    public void Optimize_NoControlCost_IsTheFreeEnergyOfTheSamplingDistribution()
    {
        // Off (position servos): F = −λ log E_{a ~ N(u, σ²)}[exp(−k a / λ)] = k u − k² σ² / (2λ).
        const double k = 0.5, sigma = 1.0, lambda = 1.0, u = 1.0;
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 200_000, Horizon = 1, NoiseStd = [sigma], Lambda = lambda, Seed = 12, ControlCost = false };
        using var planner = new MppiPlanner(new IntegratorDynamics(positionServo: true), new LinearActionCost(k), [-100.0], [100.0], settings, pool);
        Assert.That(planner.Optimize([u], 1), Is.EqualTo(k * u - k * k * sigma * sigma / (2 * lambda)).Within(0.02));
    }

    // Action-rate cost alone, H = 1, a ~ N(0, σ²) around the reset plan, p the previous action, β = w/λ:
    // F = −λ log E[exp(−β (a − p)²)] = (λ/2) ln(1 + 2βσ²) + w p² / (1 + 2βσ²).
    [TestCase(0.0)]
    [TestCase(0.7)]
    [TestCase(-1.5)]
    public void EstimateValue_ActionRateCost_FreeEnergyMatchesTheClosedForm(double previous)
    {
        const double w = 0.5, sigma = 1.0, lambda = 1.0;
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 200_000, Horizon = 1, NoiseStd = [sigma], Lambda = lambda, Seed = 13, ControlCost = false, ActionRateCost = w };
        using var planner = new MppiPlanner(new IntegratorDynamics(), new LinearActionCost(0), [-100.0], [100.0], settings, pool);
        var value = planner.EstimateValue([0.3], 0, [previous]);
        var r = 1 + 2 * w * sigma * sigma / lambda;
        Assert.That(value, Is.EqualTo(lambda / 2 * Math.Log(r) + w * previous * previous / r).Within(0.01));
        Assert.That(planner.EstimateValue([0.3], 0), Is.EqualTo(lambda / 2 * Math.Log(r)).Within(0.01), "no previous action: the hold action (zero torque)");
    }

    [Test]
    public void Step_ActionRateCost_ComparesTheFirstStepWithTheActionSentLast()
    {
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 64, Horizon = 3, NoiseStd = [0.5], Lambda = 0.1, ActionRateCost = 1 };
        using var planner = Create(new IntegratorDynamics(positionServo: true), new QuadraticCost(target: 1), settings, pool);
        var action = new double[1];
        planner.Step([0.4], action);
        Assert.That(planner.PreviousAction.ToArray(), Is.EqualTo(action), "what the next step's first change is measured from");
        planner.Fallback([0.5], action);
        Assert.That(planner.PreviousAction.ToArray(), Is.EqualTo(action), "a fallback's action was sent too");
        planner.ResetPlan();
        planner.Optimize([-0.25], 0);
        Assert.That(planner.PreviousAction.ToArray(), Is.EqualTo(new[] { -0.25 }), "after a reset: the hold action of the next state (a servo: stay)");
        Assert.That(() => planner.EstimateValue([0.0], 0, [1.0, 2.0]), Throws.ArgumentException);
        Assert.That(() => planner.EstimateValue([0.0], 0, [double.NaN]), Throws.ArgumentException);
    }

    [Test]
    public void Optimize_ActionRateCost_PullsTheFirstActionTowardsThePreviousOne()
    {
        // c = (x − 1)² wants a big first move; a strong action-rate cost keeps the first action near the last one sent.
        using var pool = new WorkerPool(1);
        double FirstAction(double w)
        {
            var settings = new MppiSettings { Samples = 512, Horizon = 4, NoiseStd = [1], Lambda = 0.05, StepSize = 1, ActionRateCost = w, ControlCost = false, Seed = 5 };
            using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 1), settings, pool);
            planner.EstimateValue([0.0], 20, [0.0]);
            return planner.Plan.Values[0];
        }
        Assert.That(Math.Abs(FirstAction(100)), Is.LessThan(0.25 * Math.Abs(FirstAction(0))));
    }

    // Issue 14: several model draws per MPPI iteration (the authors give each rollout worker its own draw).
    [Test]
    public void Optimize_Ensemble_SampleIRollsMemberIModK()
    {
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 16, Horizon = 6, Seed = 3 };
        using var light = new MuJoCoDynamics(task, [1.0, 1.0]);
        using var heavy = new MuJoCoDynamics(task, [2.0, 1.0]);
        using var both = new MuJoCoDynamics(task, [1.0, 1.0], members: 2);
        both.SetMemberParameters(1, [2.0, 1.0]);
        Assert.That(both.Model.SameStructure(heavy.Model), Is.True);
        double[] Costs(MuJoCoDynamics model)
        {
            using var planner = new MppiPlanner(model, task, task.ActionLow, task.ActionHigh, settings, pool);
            planner.Optimize([2.5, 0.0], 1);
            return planner.SampleCosts.ToArray();
        }
        var (l, h, e) = (Costs(light), Costs(heavy), Costs(both));
        Assert.That(l[1], Is.Not.EqualTo(h[1]).Within(1e-6), "the two members are different models");
        for (var i = 0; i < e.Length; i++)
        {
            Assert.That(e[i], Is.EqualTo(i % 2 == 0 ? l[i] : h[i]).Within(1e-9), $"sample {i} rolls member {i % 2}");
        }
        Assert.That(() => new MuJoCoDynamics(task, members: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Fallback_OneStepPlan_PositionServo_HoldsWhereTheSystemIs()
    {
        // An overrun answered with a one-step plan's "next action": that is the tail a shift left, which only the
        // next state can fill. Fallback fills it from the state it is given, never sends the zero (the origin).
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 16, Horizon = 1, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(positionServo: true), new QuadraticCost(target: 0), settings, pool);
        var action = new double[1];
        planner.Step([1.5], action);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 0.0 }), "after a step the one-step plan is a pending tail");
        planner.Fallback([1.25], action);
        Assert.That(action, Is.EqualTo(new[] { 1.25 }), "the hold action of the state the fallback answers");
        planner.Fallback([9.0], action);
        Assert.That(action, Is.EqualTo(new[] { 2.0 }), "clamped to the action limits");
        Assert.That(() => planner.Fallback([double.NaN], action), Throws.ArgumentException, "a bad state is refused, as by Step");
    }

    [Test]
    public void Step_TerminalCostGivesNaN_SendsTheHoldActionAndCountsIt()
    {
        // Issue 13, case 5: a Q that outputs NaN used to leave every sample at +∞ and the plan's stale first action in force.
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 16, Horizon = 3, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(positionServo: true), new QuadraticCost(target: 0), settings, pool,
            new QuadraticTerminal(0) { Offset = double.NaN });
        var action = new double[1];
        var value = planner.Step([1.25], action);
        Assert.That(double.IsFinite(value), Is.False);
        Assert.That(action, Is.EqualTo(new[] { 1.25 }), "the hold action of the state: a position servo stays where it is");
        Assert.That(planner.NonFiniteSteps, Is.EqualTo(1));
    }

    [Test]
    public void Fallback_LongerPlan_SendsTheWarmStartedNextActionAndShifts()
    {
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 16, Horizon = 3, NoiseStd = [1], Lambda = 0.1 };
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 1), settings, pool);
        planner.Optimize([0.2], 2);
        var plan = planner.Plan.Values.ToArray();
        var action = new double[1];
        planner.Fallback([0.3], action);
        Assert.That(action[0], Is.EqualTo(plan[0]));
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { plan[1], plan[2], 0.0 }), "shifted, the tail pending");
    }

    [Test]
    public void Optimize_SameSeed_SameResultOnAnyThreadCount()
    {
        var settings = new MppiSettings { Samples = 100, Horizon = 6, Seed = 42 };
        double[] Run(int threads)
        {
            using var pool = new WorkerPool(threads);
            using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 1), settings, pool);
            planner.Optimize([0.2], 3);
            return planner.Plan.Values.ToArray();
        }
        Assert.That(Run(2), Is.EqualTo(Run(1)));
        Assert.That(Run(3), Is.EqualTo(Run(1)));
    }

    [Test]
    public void Optimize_NonFiniteState_Throws()
    {
        using var pool = new WorkerPool(1);
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(), new MppiSettings(), pool);
        var e = Assert.Throws<ArgumentException>(() => planner.Optimize([double.NaN], 1))!;
        Assert.That(e.Message, Does.Contain("NaN"));
    }

    [TestCase(0, 8, 1.0, "samples")]
    [TestCase(16, 0, 1.0, "horizon")]
    [TestCase(16, 8, 0.0, "lambda")]
    [TestCase(16, 8, -1.0, "lambda")]
    [TestCase(16, 8, double.NaN, "lambda")]
    public void Validate_BadSettings_ThrowsNamingTheSetting(int samples, int horizon, double lambda, string word)
    {
        var settings = new MppiSettings { Samples = samples, Horizon = horizon, Lambda = lambda };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => settings.Validate(1))!;
        Assert.That(e.Message, Does.StartWith(word));
    }

    [Test]
    public void Configure_ChangesSizesBetweenSteps_KeepsPlanPrefix()
    {
        using var pool = new WorkerPool(2);
        using var planner = Create(new IntegratorDynamics(), new QuadraticCost(target: 3), new MppiSettings { Samples = 32, Horizon = 6 }, pool);
        planner.Optimize([0.0], 2);
        var before = planner.Plan.Values.ToArray();
        planner.Configure(planner.Settings with { Samples = 64, Horizon = 3 });
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(before[..3]));
        Assert.DoesNotThrow(() => planner.Optimize([0.0], 1));
        Assert.That(planner.SampleCosts.Length, Is.EqualTo(64));
    }

    [Test]
    public void Step_Pendulum_AllocatesNothingAfterWarmup()
    {
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(1);
        using var dynamics = new MuJoCoDynamics(task);
        using var planner = new MppiPlanner(dynamics, task, task.ActionLow, task.ActionHigh, new MppiSettings { Samples = 64, Horizon = 8 }, pool);
        var state = new[] { 2.0, 0.0 };
        var action = new double[1];
        for (var i = 0; i < 50; i++)
        {
            planner.Step(state, action);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 500; i++)
        {
            planner.Step(state, action);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, "bytes allocated by 500 planning steps on the calling thread");
    }

    [Test]
    public void Step_PendulumTwoThreads_AllocatesNothingOnAnyThread()
    {
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(2);
        using var dynamics = new MuJoCoDynamics(task);
        using var planner = new MppiPlanner(dynamics, task, task.ActionLow, task.ActionHigh, new MppiSettings { Samples = 64, Horizon = 8 }, pool);
        var state = new[] { 2.0, 0.0 };
        var action = new double[1];
        for (var i = 0; i < 50; i++)
        {
            planner.Step(state, action);
        }
        var before = GC.GetAllocatedBytesForCurrentThread() + pool.WorkerAllocatedBytes();
        for (var i = 0; i < 500; i++)
        {
            planner.Step(state, action);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() + pool.WorkerAllocatedBytes() - before;
        Assert.That(allocated, Is.Zero, "bytes allocated by 500 planning steps on the caller and the worker");
    }
}
