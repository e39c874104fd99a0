using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

/// <summary>The terminal floor: a planner never believes a Q below what the task's costs allow.</summary>
[TestFixture]
public class TerminalFloorTests
{
    private static readonly double[] Low = [-2];
    private static readonly double[] High = [2];

    [Test]
    public void Optimize_QBelowTheFloor_CountsAsTheFloor()
    {
        // Q = offset + (a − 0.5)² ≤ offset + 6.25 < 0 for every action within ±2: floored at 0, it is Q ≡ 0.
        double[] Run(double offset, double floor, out double value)
        {
            using var pool = new WorkerPool(1);
            var settings = new MppiSettings { Samples = 64, Horizon = 4, Lambda = 0.5, NoiseStd = [0.7], TerminalFloor = floor };
            using var planner = new MppiPlanner(new IntegratorDynamics(), new QuadraticCost(target: 1), Low, High, settings, pool,
                new QuadraticTerminal(preferred: 0.5, scale: offset == 0 ? 0 : 1) { Offset = offset });
            value = planner.Optimize([0.3], 1);
            return planner.SampleCosts.ToArray();
        }
        var zero = Run(0, double.NegativeInfinity, out var zeroValue);
        var floored = Run(-10, 0, out var flooredValue);
        var unfloored = Run(-10, double.NegativeInfinity, out var unflooredValue);
        Assert.That(floored, Is.EqualTo(zero));
        Assert.That(flooredValue, Is.EqualTo(zeroValue));
        Assert.That(unflooredValue, Is.LessThan(zeroValue - 5), "without a floor the planner believes the negative Q");
    }

    [TestCase("pendulum")]
    [TestCase("ballincup")]
    [TestCase("fetchpush")]
    [TestCase("frankadrawer")]
    public void MinimumStepCost_HoldsOnRandomRollouts_AndGivesFloorZero(string name)
    {
        // The floor is only sound if the bound is: no step of random rollouts from the task's own start states
        // costs less than the task says.
        var task = TaskCatalog.Create(name);
        using var model = MjModel.FromXmlString(task.ModelXml);
        using var data = MjData.Create(model);
        var rng = new SplitMix64(11);
        var observation = new double[task.ObservationSize];
        var action = new double[task.ActionSize];
        var least = double.PositiveInfinity;
        for (var episode = 0; episode < 5; episode++)
        {
            task.SampleInitialState(data, ref rng);
            data.Forward();
            for (var step = 0; step < 40; step++)
            {
                for (var d = 0; d < action.Length; d++)
                {
                    action[d] = rng.Uniform(task.ActionLow[d], task.ActionHigh[d]);
                }
                action.CopyTo(data.Ctrl);
                data.Step();
                task.Observe(data, observation);
                least = Math.Min(least, task.Cost(observation, action));
            }
        }
        Assert.That(least, Is.GreaterThanOrEqualTo(task.MinimumStepCost));
        Assert.That(MppiSettings.QFloor(task, 0.99), Is.Zero);
        Assert.That(MppiSettings.QFloor(task, 1.0), Is.Zero);
    }

    [Test]
    public void Validate_NaNOrPlusInfinityFloor_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MppiSettings { TerminalFloor = double.NaN }.Validate(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MppiSettings { TerminalFloor = double.PositiveInfinity }.Validate(1));
        Assert.DoesNotThrow(() => new MppiSettings { TerminalFloor = double.NegativeInfinity }.Validate(1));
    }
}
