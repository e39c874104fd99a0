using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class PendulumSwingupTests
{
    [Test]
    public void Cost_UprightAtRest_IsZero()
    {
        var task = new PendulumSwingup();
        Assert.That(task.Cost([1, 0, 0], [0]), Is.Zero);
    }

    [TestCase(Math.PI - 0.1, 0.0, 1.0)]
    [TestCase(-(Math.PI - 0.1), 2.0, -1.0)]
    public void Cost_WrapsAngleAndWeighsTerms(double theta, double thetaDot, double u)
    {
        var task = new PendulumSwingup();
        var wrapped = PendulumSwingup.WrapAngle(theta);
        var expected = wrapped * wrapped + 0.1 * thetaDot * thetaDot + 0.001 * u * u;
        Assert.That(task.Cost([Math.Cos(theta), Math.Sin(theta), thetaDot], [u]), Is.EqualTo(expected).Within(1e-12));
        Assert.That(Math.Abs(wrapped), Is.LessThanOrEqualTo(Math.PI));
    }

    [Test]
    public void Observe_IsCosSinVelocity()
    {
        var task = new PendulumSwingup();
        using var model = MjModel.FromXmlString(task.ModelXml);
        using var data = MjData.Create(model);
        data.SetState([0.4, -1.5]);
        var obs = new double[3];
        task.Observe(data, obs);
        Assert.That(obs, Is.EqualTo(new[] { Math.Cos(0.4), Math.Sin(0.4), -1.5 }).Within(1e-12));
    }

    [Test]
    public void SetLength_ChangesGravityAccelerationAsARod()
    {
        var task = new PendulumSwingup();
        using var dynamics = new MuJoCoDynamics(task, [1.0, 2.0]);
        using var context = dynamics.CreateMuJoCoContext();
        context.SetState([Math.PI / 2, 0]);
        context.Step([0]);
        // Uniform rod: θ̈ = 3 g / (2 l) sin θ.
        Assert.That(context.Data.Qvel[0], Is.EqualTo(0.05 * 3 * 10 / (2 * 2.0)).Within(1e-9));
    }

    [Test]
    public void SetMass_ScalesTorqueResponseOnly()
    {
        var task = new PendulumSwingup();
        using var dynamics = new MuJoCoDynamics(task, [2.0, 1.0]);
        using var context = dynamics.CreateMuJoCoContext();
        context.SetState([0, 0]);
        context.Step([1.0]);
        // θ̈ = 3 u / (m l²) at θ = 0.
        Assert.That(context.Data.Qvel[0], Is.EqualTo(0.05 * 3 * 1.0 / 2.0).Within(1e-9));
    }

    [Test]
    public void Prior_PaperForm_SamplesWithinBiasedRange()
    {
        var prior = ParameterPrior.FromPaper(bias: 1.3, sigma: 0.1);
        var rng = new SplitMix64(3);
        var draws = Enumerable.Range(0, 2000).Select(_ => prior.Sample(2.0, ref rng)).ToArray();
        Assert.That(draws, Has.All.InRange(2.0 * 1.2, 2.0 * 1.4));
        Assert.That(draws.Average(), Is.EqualTo(2.6).Within(0.02));
    }

    [Test]
    public void Prior_AuthorsForm_IsThePaperFormRewritten()
    {
        var prior = ParameterPrior.FromAuthors(noise: 0.1, bias: 0.3);
        Assert.That(prior.MeanFactor, Is.EqualTo(1.3).Within(1e-12));
        Assert.That(prior.HalfWidthFactor, Is.EqualTo(0.13).Within(1e-12));
    }

    [TestCase(0.0, 0.1)]
    [TestCase(1.0, 1.5)]
    [TestCase(double.NaN, 0.1)]
    public void Prior_Invalid_Throws(double bias, double sigma) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ParameterPrior.FromPaper(bias, sigma));

    [Test]
    public void SetParameters_NonPositive_Throws()
    {
        using var dynamics = new MuJoCoDynamics(new PendulumSwingup());
        Assert.Throws<ArgumentOutOfRangeException>(() => dynamics.SetParameters([0.0, 1.0]));
        Assert.Throws<ArgumentException>(() => dynamics.SetParameters([1.0]));
    }

    [TestCase(new[] { false, true, true }, 2, true)]
    [TestCase(new[] { true, false, true }, 2, false)]
    [TestCase(new[] { false, true, false }, 0, true)]
    [TestCase(new[] { false, false }, 0, false)]
    [TestCase(new[] { true }, 2, false)]
    public void Succeeded_AppliesWindowRule(bool[] steps, int window, bool expected) =>
        Assert.That(EpisodeRunner.Succeeded(steps, window), Is.EqualTo(expected));

    [Test]
    public void Mppi_LongHorizonTrueModel_SwingsUpFromHangingDown()
    {
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 256, Horizon = 32, Lambda = task.PlannerDefaults.Lambda, NoiseStd = [task.PlannerDefaults.NoiseStd], Seed = 7 };
        using var runner = new EpisodeRunner(task, settings, pool, biasedModel: false, seed: 7);
        var result = runner.Run(0, initialState: [Math.PI, 0]);
        Assert.That(result.Success, Is.True, $"episode cost {result.TotalCost}");
    }

    [Test]
    public void Mppi_ZeroTorque_NeverSwingsUp()
    {
        // The plant cannot rise without torque: guards against a success test that cannot fail.
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(1);
        var settings = new MppiSettings { Samples = 4, Horizon = 2, NoiseStd = [1e-9] };
        using var runner = new EpisodeRunner(task, settings, pool, biasedModel: false, seed: 1);
        Assert.That(runner.Run(0, initialState: [Math.PI, 0]).Success, Is.False);
    }
}
