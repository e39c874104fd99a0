using Mpq.Planning.Mppi;

namespace Mpq.Controller.Tests;

[TestFixture]
public class PlanTests
{
    private static readonly double[] Low = [-1, -2];
    private static readonly double[] High = [1, 2];

    private static (Plan Plan, IntegratorPair Context) Create(int horizon) => (new Plan(2, Low, High, horizon), new IntegratorPair());

    /// <summary>A two-servo context whose hold action is its state (as a position servo's is).</summary>
    internal sealed class IntegratorPair : Planning.Dynamics.IRolloutContext
    {
        private readonly double[] _x = new double[2];

        public void SetState(ReadOnlySpan<double> state) => state.CopyTo(_x);
        public void GetState(Span<double> state) => _x.CopyTo(state);
        public void Step(ReadOnlySpan<double> action) => action.CopyTo(_x);
        public void Observe(Span<double> observation) => _x.CopyTo(observation);
        public void HoldAction(Span<double> action) => _x.CopyTo(action);
        public void Dispose() { }
    }

    [Test]
    public void SetLimits_Lowered_ClampsThePlanAndLaterValues()
    {
        var (plan, context) = Create(2);
        context.SetState([0.9, -1.8]);
        plan.Begin(context);
        plan.SetLimits([-0.5, -1], [0.5, 1]);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.5, -1, 0.5, -1 }), "what was planned beyond the new limits is clamped");
        Assert.That((plan.Low.ToArray(), plan.High.ToArray()), Is.EqualTo((new[] { -0.5, -1.0 }, new[] { 0.5, 1.0 })));
        Assert.That(() => plan.SetLimits([1, 0], [0, 1]), Throws.ArgumentException, "a low above its high");
        Assert.That(() => plan.SetLimits([double.NaN, 0], [0, 1]), Throws.ArgumentException);
        Assert.That(() => plan.SetLimits([0], [1]), Throws.ArgumentException);
    }

    [Test]
    public void New_IsPendingUntilBegin_ThenTheHoldActionEverywhere()
    {
        var (plan, context) = Create(3);
        Assert.That(plan.Pending, Is.True);
        Assert.That(plan.Values.ToArray(), Is.All.Zero);
        context.SetState([0.5, -0.25]);
        plan.Begin(context);
        Assert.That(plan.Pending, Is.False);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.5, -0.25, 0.5, -0.25, 0.5, -0.25 }));
    }

    [Test]
    public void Shift_ZeroTail_FilledByTheNextStatesHoldAction()
    {
        var (plan, context) = Create(3);
        context.SetState([0, 0]);
        plan.Begin(context);
        plan.Values[0] = 0.1; // as an optimiser's update would
        plan.Values[2] = 0.2;
        plan.Values[4] = 0.3;
        plan.Shift(TailMode.Zero);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.2, 0.0, 0.3, 0.0, 0.0, 0.0 }));
        Assert.That(plan.Pending, Is.True, "the tail waits for the state it belongs to");
        context.SetState([0.9, 5.0]);
        plan.Begin(context);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.2, 0.0, 0.3, 0.0, 0.9, 2.0 }), "the hold action, clamped to the limits");
    }

    [Test]
    public void Shift_RepeatTail_KeepsTheLastStepAndNeedsNoState()
    {
        var (plan, context) = Create(2);
        context.SetState([0.3, 0.6]);
        plan.Begin(context);
        plan.Values[2] = -0.5;
        plan.Shift(TailMode.Repeat);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { -0.5, 0.6, -0.5, 0.6 }));
        Assert.That(plan.Pending, Is.False);
    }

    [Test]
    public void Resize_KeepsThePrefixClamped()
    {
        var (plan, context) = Create(2);
        context.SetState([0.3, 0.6]);
        plan.Begin(context);
        plan.Resize(3);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.3, 0.6, 0.3, 0.6, 0.0, 0.0 }));
        plan.Resize(1);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { 0.3, 0.6 }));
        Assert.That(() => plan.Resize(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Reset_AfterUse_PendingAgainFromTheStart()
    {
        var (plan, context) = Create(2);
        context.SetState([0.3, 0.6]);
        plan.Begin(context);
        plan.Reset();
        Assert.That(plan.Values.ToArray(), Is.All.Zero);
        context.SetState([-0.1, 0.1]);
        plan.Begin(context);
        Assert.That(plan.Values.ToArray(), Is.EqualTo(new[] { -0.1, 0.1, -0.1, 0.1 }));
    }

    [Test]
    public void New_LimitsOfTheWrongLength_Refused() =>
        Assert.That(() => new Plan(3, Low, High, 2), Throws.ArgumentException.With.Message.Contains("3 entries"));
}
