using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class FetchPushBlockTests
{
    private readonly ITask _task = TaskCatalog.Create("fetchpush");

    [Test]
    public void Model_LoadsOnMuJoCo222_PusherBlockAndMocapGoal()
    {
        using var model = MjModel.FromXmlString(_task.ModelXml);
        Assert.That((model.Nq, model.Nv, model.Nu, model.NMocap), Is.EqualTo((9, 8, 2, 1)));
        Assert.That(model.StateSize, Is.EqualTo(9 + 8 + 7), "the goal travels with the state, so planner models see it");
    }

    [Test]
    public void SampleInitialState_BlockRestsOnTheTable_GoalAwayFromIt()
    {
        using var dynamics = new MuJoCoDynamics(_task);
        using var plant = dynamics.CreateMuJoCoContext();
        var rng = new SplitMix64(4);
        var obs = new double[_task.ObservationSize];
        for (var i = 0; i < 20; i++)
        {
            _task.SampleInitialState(plant.Data, ref rng);
            plant.Observe(obs);
            Assert.That(_task.Cost(obs, default), Is.GreaterThanOrEqualTo(0.1));
            Assert.That(_task.IsSuccess(obs), Is.False);
            Assert.That(Math.Sqrt(obs[2] * obs[2] + obs[3] * obs[3]), Is.EqualTo(0.15).Within(1e-9), "pusher 15 cm behind the block");
        }
        // At rest the block stays put: it sits on the table, and the pusher holds its place.
        var before = (plant.Data.Qpos[2], plant.Data.Qpos[3]);
        var hold = new[] { plant.Data.Qpos[0], plant.Data.Qpos[1] };
        for (var t = 0; t < 50; t++)
        {
            plant.Step(hold);
        }
        Assert.That(plant.Data.Qpos[2], Is.EqualTo(before.Item1).Within(1e-3));
        Assert.That(plant.Data.Qpos[3], Is.EqualTo(before.Item2).Within(1e-3));
        Assert.That(plant.Data.Qpos[4], Is.EqualTo(0.425).Within(2e-3), "on the table, not through it");
    }

    [Test]
    public void HoldAction_KeepsThePusherWhereItIs()
    {
        // Zero would send the servoed pusher to the table's centre: a plan reset to zero starts with a lunge.
        using var dynamics = new MuJoCoDynamics(_task);
        using var plant = dynamics.CreateMuJoCoContext();
        var rng = new SplitMix64(9);
        _task.SampleInitialState(plant.Data, ref rng);
        var start = new[] { plant.Data.Qpos[0], plant.Data.Qpos[1] };
        var hold = new double[2];
        plant.HoldAction(hold);
        Assert.That(hold, Is.EqualTo(start));
        for (var i = 0; i < 25; i++)
        {
            plant.Step(hold);
        }
        Assert.That(Math.Abs(plant.Data.Qpos[0] - start[0]) + Math.Abs(plant.Data.Qpos[1] - start[1]), Is.LessThan(1e-3));
    }

    [Test]
    public void Parameters_ApplyToTheModel_FrictionIsTheBlocksOwn()
    {
        using var dynamics = new MuJoCoDynamics(_task, [0.3, 1e-4, 0.3, 0.03]);
        var m = dynamics.Model;
        var block = m.Id(MjObjectType.Geom, "block");
        Assert.That(m.GetBodyMass(m.Id(MjObjectType.Body, "block")), Is.EqualTo(0.3).Within(1e-15));
        Assert.That(m.GetGeomFriction(block)[0], Is.EqualTo(0.3).Within(1e-15));
        Assert.That(m.GetGeomSize(block)[0], Is.EqualTo(0.03).Within(1e-15));
        Assert.That(m.GetGeomFriction(m.Id(MjObjectType.Geom, "table"))[0], Is.LessThan(0.3), "the table is slipperier, so the block's friction acts");
    }

    [Test]
    public void Mppi_LongHorizon_PushesTheBlockToTheGoal()
    {
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 256, Horizon = 32, Lambda = _task.PlannerDefaults.Lambda, NoiseStd = [_task.PlannerDefaults.NoiseStd], Seed = 2 };
        using var runner = new EpisodeRunner(_task, settings, pool, biasedModel: false, seed: 2);
        var costs = new List<double>();
        for (var e = 0; e < 2; e++)
        {
            var result = runner.Run(e);
            costs.Add(result.TotalCost);
            if (result.Success)
            {
                return;
            }
        }
        Assert.Fail($"the task should be solvable: no success in 2 episodes (costs {string.Join(", ", costs)})");
    }
}
