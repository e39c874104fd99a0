using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class ReplayBufferTests
{
    [Test]
    public void Add_WrapsAtCapacity_AndSamplesStoredRows()
    {
        var buffer = new ReplayBuffer(3, 2, 1, 1);
        for (var i = 0; i < 5; i++)
        {
            double[] s = [i, -i], s2 = [i + 1, -i - 1], o = [i * 10], o2 = [i * 10 + 1], a = [i * 0.1];
            buffer.Add(new Transition(i, o, a, i * 2, o2, s, s2, false));
        }
        Assert.That(buffer.Count, Is.EqualTo(3));
        Assert.That(buffer.Added, Is.EqualTo(5));
        var costs = Enumerable.Range(0, 3).Select(buffer.Cost).OrderBy(c => c).ToArray();
        Assert.That(costs, Is.EqualTo(new[] { 4f, 6f, 8f }), "the oldest two were overwritten");
        var rng = new Mpq.Common.SplitMix64(1);
        var idx = new int[100];
        buffer.Sample(idx, ref rng);
        Assert.That(idx, Has.All.InRange(0, 2));
    }
}

[TestFixture]
public class LearnerTests
{
    /// <summary>Settings small enough for a test episode to take well under a second.</summary>
    internal static LearnerSettings Small(Algorithm algorithm, ulong seed = 3) => LearnerSettings.For(new PendulumSwingup()) with
    {
        Algorithm = algorithm,
        Horizon = algorithm == Algorithm.SoftQ ? 1 : 4,
        Samples = 32,
        TargetSamples = 16,
        TargetIterations = 1,
        BatchSize = 8,
        Warmup = 20,
        Hidden = [16],
        Seed = seed,
    };

    [TestCase(Algorithm.Mpq)]
    [TestCase(Algorithm.SoftQ)]
    public void RunEpisode_Learns_UpdatesAndFiniteLoss(Algorithm algorithm)
    {
        using var learner = new Learner(new PendulumSwingup(), Small(algorithm), threads: 2);
        var m = learner.RunEpisode(0);
        Assert.That(m.Updates, Is.EqualTo(200 - 20 + 1));
        Assert.That(double.IsFinite(m.MeanLoss), Is.True);
        Assert.That(learner.Replay.Count, Is.EqualTo(200));
        Assert.That(learner.Q!.Network.Parameters, Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void RunEpisode_SameSeed_SameResult()
    {
        EpisodeMetrics Run()
        {
            using var learner = new Learner(new PendulumSwingup(), Small(Algorithm.Mpq), threads: 2);
            learner.RunEpisode(0);
            return learner.RunEpisode(1);
        }
        var a = Run();
        var b = Run();
        Assert.That((a.Cost, a.MeanLoss), Is.EqualTo((b.Cost, b.MeanLoss)));
    }

    [Test]
    public void Mppi_NoQNoUpdates()
    {
        using var learner = new Learner(new PendulumSwingup(), Small(Algorithm.Mppi), threads: 1);
        var m = learner.RunEpisode(0);
        Assert.That(learner.Q, Is.Null);
        Assert.That(m.Updates, Is.Zero);
    }

    [Test]
    public void Mpq_CiSized_LearnedQLowersTheCostBelowTheSameHorizonWithoutQ()
    {
        // Figure 1(a) in miniature: the same seed gives MPQ and plain MPPI the same start states and model draws,
        // so episode by episode the only difference is the learned terminal Q (episode 0 learns, it does not act on it).
        var task = new PendulumSwingup();
        double[] Costs(Algorithm algorithm)
        {
            using var learner = new Learner(task, LearnerSettings.For(task) with { Algorithm = algorithm, Horizon = 8, Seed = 1 }, threads: 2);
            return Enumerable.Range(0, 6).Select(e => learner.RunEpisode(e).Cost).ToArray();
        }
        var mpq = Costs(Algorithm.Mpq);
        var mppi = Costs(Algorithm.Mppi);
        TestContext.Out.WriteLine($"MPQ H=8: {string.Join(", ", mpq.Select(c => c.ToString("F0")))}; MPPI H=8: {string.Join(", ", mppi.Select(c => c.ToString("F0")))}");
        Assert.That(mpq[2..].Average(), Is.LessThan(0.5 * mppi[2..].Average()), "after two episodes of learning MPQ's cost is well below the same horizon's without Q");
    }

    [Test]
    public void DomainRandomization_PlantIsNotTheTrueSystem_CostsDifferFromTrueSystemRun()
    {
        // The same seed, planner and Q initialisation: only the plant differs (parameters re-drawn every step).
        static EpisodeMetrics Run(double? width)
        {
            using var learner = new Learner(new PendulumSwingup(), Small(Algorithm.Mppi) with { DomainRandomization = width }, threads: 1);
            return learner.RunEpisode(0);
        }
        Assert.That(Run(0.5).Cost, Is.Not.EqualTo(Run(null).Cost));
    }

    [Test]
    public void DomainRandomization_RangeIsAroundThePriorMean()
    {
        var task = new PendulumSwingup();
        var d = (Small(Algorithm.Mpq) with { DomainRandomization = 0.5 }).PlantDistributions(task)!;
        Assert.That(d.Select(p => (p.MeanFactor, p.HalfWidthFactor)), Is.EqualTo(task.Parameters.Select(p => (p.Prior.MeanFactor, 0.5 * p.Prior.MeanFactor))));
        Assert.That(Small(Algorithm.Mpq).PlantDistributions(task), Is.Null, "off by default: the true system");
    }

    [TestCase(0.0)]
    [TestCase(1.0)]
    [TestCase(double.NaN)]
    public void Validate_DomainRandomizationOutsideOpenUnitInterval_Throws(double width) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => (Small(Algorithm.Mpq) with { DomainRandomization = width }).Validate());

    [Test]
    public void Evaluate_RunsTestEpisodesWithoutLearning()
    {
        using var learner = new Learner(new PendulumSwingup(), Small(Algorithm.Mpq), threads: 2);
        learner.RunEpisode(0);
        var updates = learner.Updates;
        var replay = learner.Replay.Count;
        var (successes, meanCost) = learner.Evaluate(2, seed: 99);
        Assert.That(successes, Is.InRange(0, 2));
        Assert.That(meanCost, Is.GreaterThan(0));
        Assert.That((learner.Updates, learner.Replay.Count), Is.EqualTo((updates, replay)), "testing learns nothing");
    }

    [TestCase(0.0)]
    [TestCase(1.0)]
    public void Validate_GammaOutsideOpenUnitInterval_Throws(double gamma) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => (Small(Algorithm.Mpq) with { Gamma = gamma }).Validate());

    [Test]
    public void Validate_SoftQWithLongHorizon_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => (Small(Algorithm.SoftQ) with { Horizon = 8 }).Validate());
}

[TestFixture]
public class CheckpointTests
{
    private static LearnerSettings Small(Algorithm algorithm) => LearnerTests.Small(algorithm, seed: 11);

    [TestCase(Algorithm.Mpq)]
    [TestCase(Algorithm.SoftQ)]
    public void Resume_FromCheckpoint_ReachesTheSameResultAsAnUnbrokenRun(Algorithm algorithm)
    {
        var settings = Small(algorithm);
        var path = Path.Combine(Path.GetTempPath(), $"mpq-ckpt-{Environment.ProcessId}-{algorithm}.bin");
        try
        {
            float[] unbrokenQ;
            var unbroken = new List<EpisodeMetrics>();
            using (var learner = new Learner(new PendulumSwingup(), settings, threads: 2))
            {
                for (var e = 0; e < 3; e++)
                {
                    unbroken.Add(learner.RunEpisode(e));
                }
                unbrokenQ = (float[])learner.Q!.Network.Parameters.Clone();
            }

            var resumed = new List<EpisodeMetrics>();
            using (var first = new Learner(new PendulumSwingup(), settings, threads: 2))
            {
                resumed.Add(first.RunEpisode(0));
                first.SaveCheckpoint(path, "fingerprint");
            }
            using (var second = new Learner(new PendulumSwingup(), settings, threads: 2))
            {
                second.LoadCheckpoint(path, "fingerprint", episodes: 100);
                Assert.That(second.NextEpisode, Is.EqualTo(1));
                for (var e = second.NextEpisode; e < 3; e++)
                {
                    resumed.Add(second.RunEpisode(e));
                }
                Assert.That(second.Q!.Network.Parameters, Is.EqualTo(unbrokenQ), "Q after resume");
            }
            Assert.That(resumed.Select(m => (m.Cost, m.Updates, m.MeanLoss)), Is.EqualTo(unbroken.Select(m => (m.Cost, m.Updates, m.MeanLoss))));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_OtherSettingsOrDamaged_Refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mpq-ckpt-{Environment.ProcessId}-bad.bin");
        try
        {
            using var learner = new Learner(new PendulumSwingup(), Small(Algorithm.Mpq), threads: 1);
            learner.RunEpisode(0);
            learner.SaveCheckpoint(path, "A");
            Assert.That(Assert.Throws<InvalidDataException>(() => learner.LoadCheckpoint(path, "B", episodes: 100))!.Message, Does.Contain("other settings"));
            var bytes = File.ReadAllBytes(path);
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(path, bytes);
            Assert.That(Assert.Throws<InvalidDataException>(() => learner.LoadCheckpoint(path, "A", episodes: 100))!.Message, Does.Contain("damaged"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
