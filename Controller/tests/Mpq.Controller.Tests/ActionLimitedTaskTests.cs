using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class ActionLimitedTaskTests
{
    [Test]
    public void Limits_NarrowerThanTheTask_AreTheLimit()
    {
        var task = new ActionLimitedTask(new PendulumSwingup(), 1);
        Assert.That((task.ActionLow[0], task.ActionHigh[0]), Is.EqualTo((-1.0, 1.0)));
        Assert.That(task.Name, Is.EqualTo("pendulum"), "a Q learned on it is a pendulum Q");
    }

    [Test]
    public void Limits_WiderThanTheTask_KeepTheTasksOwn()
    {
        var task = new ActionLimitedTask(new PendulumSwingup(), 5);
        Assert.That((task.ActionLow[0], task.ActionHigh[0]), Is.EqualTo((-2.0, 2.0)));
    }

    [TestCase(0.0)]
    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void Create_NotAPositiveLimit_ClearError(double limit)
    {
        var e = Assert.Throws<ArgumentException>(() => _ = new ActionLimitedTask(new PendulumSwingup(), limit))!;
        Assert.That(e.Message, Does.Contain("must be a positive number").And.Not.Contain("Parameter"));
    }

    [Test]
    public void LimitOrSelf_NoLimit_IsTheTaskItself()
    {
        var task = new PendulumSwingup();
        Assert.That(ActionLimitedTask.LimitOrSelf(task, null), Is.SameAs(task));
        Assert.That(ActionLimitedTask.LimitOrSelf(task, 1), Is.TypeOf<ActionLimitedTask>());
    }

    [Test]
    public void DefaultMembers_AreTheInnerTasks_NotTheInterfaceDefaults()
    {
        // HoldAction and MinimumStepCost have interface defaults (zero, −∞): a wrapper that forgot them would
        // silently change a position-servo task's plan start and the terminal floor.
        var inner = TaskCatalog.Create("fetchpush");
        var task = new ActionLimitedTask(inner, 0.3);
        Assert.That(task.MinimumStepCost, Is.EqualTo(inner.MinimumStepCost));
        using var dynamics = new MuJoCoDynamics(inner);
        using var context = dynamics.CreateMuJoCoContext();
        var rng = new SplitMix64(3);
        inner.SampleInitialState(context.Data, ref rng);
        var action = new double[2];
        ((ITask)task).HoldAction(context.Data, action);
        Assert.That(action, Is.EqualTo(new[] { context.Data.Qpos[0], context.Data.Qpos[1] }));
        Assert.That(action, Is.Not.EqualTo(new[] { 0.0, 0.0 }));
    }

    [Test]
    public void Episode_LimitedTask_NeverActsBeyondTheLimit()
    {
        var task = new ActionLimitedTask(new PendulumSwingup(), 0.5);
        using var pool = new WorkerPool(1);
        var sink = new MaxAction();
        using var runner = new EpisodeRunner(task, new Planning.Mppi.MppiSettings { Samples = 32, Horizon = 8, Seed = 1 }, pool, biasedModel: false, seed: 1);
        runner.Run(0, sink);
        Assert.That(sink.Max, Is.LessThanOrEqualTo(0.5 + 1e-12).And.GreaterThan(0.4), "MPPI pumps at the limit from rest");
    }

    private sealed class MaxAction : ITransitionSink
    {
        public double Max { get; private set; }

        public void Add(in Transition transition) => Max = Math.Max(Max, Math.Abs(transition.Action[0]));
    }
}
