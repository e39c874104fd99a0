using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class BallInCupTests
{
    private readonly ITask _task = TaskCatalog.Create("ballincup");

    /// <summary>A physics state (qpos cup x, z, ball x, z, spin; qvel likewise) with the ball's world position relative to the cup's origin.</summary>
    private static double[] State(double cupX, double cupZ, double ballDx, double ballDz) =>
        [cupX, cupZ, cupX + ballDx, cupZ + ballDz + 0.6 - 0.3, 0, 0, 0, 0, 0, 0];

    [Test]
    public void Model_LoadsOnMuJoCo222_WithTwoActuatorsAndAString()
    {
        using var model = MjModel.FromXmlString(_task.ModelXml);
        Assert.That((model.Nq, model.Nv, model.Nu, model.NTendon), Is.EqualTo((5, 5, 2, 1)));
        Assert.That(model.GetTendonStiffness(0), Is.EqualTo(0.5));
        Assert.That(model.GetBodyMass(model.Id(MjObjectType.Body, "ball")), Is.EqualTo(0.06).Within(1e-12));
    }

    [Test]
    public void HoldAction_IsTheCupsPosition()
    {
        using var dynamics = new MuJoCoDynamics(_task);
        using var context = dynamics.CreateMuJoCoContext();
        context.SetState(State(0.1, -0.05, 0, -0.3));
        var hold = new double[2];
        context.HoldAction(hold);
        Assert.That(hold, Is.EqualTo(new[] { 0.1, -0.05 }));
    }

    [Test]
    public void EstimateValue_TargetPlanStartsWhereTheCupIs()
    {
        // Issue 14, bug 3, on the real model: a Q target from a state with the cup at (0.1, −0.05) is scored around
        // "stay", never around "drive the cup to the origin".
        using var dynamics = new MuJoCoDynamics(_task);
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 8, Horizon = 4, Lambda = 0.1, NoiseStd = [0.3], ControlCost = _task.PlannerDefaults.ControlCost };
        using var planner = new MppiPlanner(dynamics, _task, _task.ActionLow, _task.ActionHigh, settings, pool);
        planner.EstimateValue(State(0.1, -0.05, 0, -0.3), 0);
        Assert.That(planner.Plan.Values.ToArray(), Is.EqualTo(new[] { 0.1, -0.05, 0.1, -0.05, 0.1, -0.05, 0.1, -0.05 }).Within(1e-12));
        Assert.That(_task.PlannerDefaults.ControlCost, Is.False, "a servo task's plans are not pulled towards u = 0");
    }

    [TestCase(0.0, -0.03, 0.0)]
    [TestCase(0.03, 0.0, 0.0)]
    [TestCase(0.0, -0.3, 1.0)]
    [TestCase(0.1, 0.0, 1.0)]
    [TestCase(0.0, 0.1, 1.0)]
    public void Cost_IsZeroOnlyWithTheBallInTheCup(double dx, double dz, double expected)
    {
        using var model = MjModel.FromXmlString(_task.ModelXml);
        using var data = MjData.Create(model);
        data.SetState(State(0.1, -0.05, dx, dz));
        var obs = new double[_task.ObservationSize];
        _task.Observe(data, obs);
        Assert.That((obs[0], obs[1], obs[2], obs[3]), Is.EqualTo((0.1, -0.05, dx, dz)).Using<(double, double, double, double)>((a, b) =>
            Math.Abs(a.Item1 - b.Item1) < 1e-12 && Math.Abs(a.Item2 - b.Item2) < 1e-12 && Math.Abs(a.Item3 - b.Item3) < 1e-12 && Math.Abs(a.Item4 - b.Item4) < 1e-12));
        Assert.That(_task.Cost(obs, [0, 0]), Is.EqualTo(expected));
    }

    [Test]
    public void BallInTheCup_AtRest_StaysThere()
    {
        // The cup holds the ball: physics, not just the cost's box, says "caught".
        using var dynamics = new MuJoCoDynamics(_task);
        using var plant = dynamics.CreateMuJoCoContext();
        plant.SetState(State(0, 0, 0, -0.04));
        var obs = new double[_task.ObservationSize];
        for (var t = 0; t < 50; t++)
        {
            plant.Step([0, 0]);
        }
        plant.Observe(obs);
        Assert.That(_task.IsSuccess(obs), Is.True, $"ball at dx {obs[2]:F3} dz {obs[3]:F3}");
    }

    [Test]
    public void SampleInitialState_BallHangsBelowOnTheStringNotInTheCup()
    {
        using var model = MjModel.FromXmlString(_task.ModelXml);
        using var data = MjData.Create(model);
        var rng = new SplitMix64(3);
        var obs = new double[_task.ObservationSize];
        for (var i = 0; i < 100; i++)
        {
            _task.SampleInitialState(data, ref rng);
            data.Forward();
            _task.Observe(data, obs);
            Assert.That(data.TendonLength[0], Is.LessThanOrEqualTo(0.3));
            Assert.That(obs[3], Is.LessThan(-0.2), "below the cup");
            Assert.That(_task.IsSuccess(obs), Is.False);
        }
    }

    [Test]
    public void Parameters_ApplyToTheModel()
    {
        using var dynamics = new MuJoCoDynamics(_task, [0.09, 3e-5, 0.25]);
        var m = dynamics.Model;
        var ball = m.Id(MjObjectType.Body, "ball");
        Assert.That(m.GetBodyMass(ball), Is.EqualTo(0.09));
        Assert.That(m.GetBodyInertia(ball)[0], Is.EqualTo(3e-5));
        Assert.That(m.GetTendonStiffness(0), Is.EqualTo(0.25));
    }

    [Test]
    public void Mppi_LongHorizon_CatchesTheBall_ShortHorizon_DoesNot()
    {
        // The task is solvable, and its sparse cost defeats a short horizon: the premise of the paper's Figure 1(b).
        using var pool = new WorkerPool(2);
        MppiSettings Settings(int h) => new() { Samples = 256, Horizon = h, Lambda = _task.PlannerDefaults.Lambda, NoiseStd = [_task.PlannerDefaults.NoiseStd], Seed = 5 };
        using var longRunner = new EpisodeRunner(_task, Settings(32), pool, biasedModel: false, seed: 5);
        using var shortRunner = new EpisodeRunner(_task, Settings(4), pool, biasedModel: false, seed: 5);
        var caught = longRunner.Run(0);
        Assert.That(caught.Success, Is.True, $"H = 32: cost {caught.TotalCost}");
        Assert.That(caught.TotalCost, Is.LessThan(_task.EpisodeSteps));
        var missed = shortRunner.Run(0);
        Assert.That(missed.Success, Is.False, "H = 4 should not find the cup");
        Assert.That(missed.TotalCost, Is.EqualTo(_task.EpisodeSteps));
    }
}
