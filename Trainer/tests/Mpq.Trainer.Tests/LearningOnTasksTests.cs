using Mpq.Planning.Control;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Tests;

/// <summary>
/// CI-sized versions of Figure 1 on the paper's other tasks: a few episodes that show learning happening (the cost
/// goes down). The full runs are <c>trainer experiment fig1 --task TASK</c> (Trainer/results).
/// </summary>
[TestFixture]
[Category("Slow")]
public class LearningOnTasksTests
{
    [Test]
    public void Mpq_FrankaDrawer_LearnedQLowersTheCostOfTheSameTestEpisodes()
    {
        // The same test episodes (start states, model draws, noise) before and after learning: only Q differs.
        var task = TaskCatalog.Create("frankadrawer");
        using var learner = new Learner(task, LearnerSettings.For(task) with { Algorithm = Algorithm.Mpq, Horizon = 4, Seed = 1 }, threads: 2);
        var (_, before) = learner.Evaluate(3, seed: 77);
        var training = Enumerable.Range(0, 6).Select(e => learner.RunEpisode(e).Cost).ToArray();
        var (_, after) = learner.Evaluate(3, seed: 77);
        TestContext.Out.WriteLine($"frankadrawer MPQ H=4: test cost {before:F1} before, {after:F1} after 6 episodes ({learner.Updates} updates); training costs {string.Join(", ", training.Select(c => c.ToString("F0")))}");
        Assert.That(after, Is.LessThan(0.95 * before), "learning from the true system lowers the cost of the same test episodes");
    }

    [Test]
    public void Mpq_BallInCup_CatchesWhereTheSameHorizonWithoutQNever()
    {
        // Figure 1(b) in miniature, seed 1 (the first of the five in Trainer/results/fig1-ballincup-floor): 12 training
        // episodes, then 10 unseen test episodes; MPPI with the same horizon and no Q on the same start states,
        // model draws and noise. Measured with the default terminal floor: MPQ caught 8 of training episodes 4-11 and
        // 10 of the 10 test episodes (mean cost 53), MPPI none (200). Without the floor MPQ caught 0 of 8 and 1 of 10
        // (cost 198). Without learning MPQ would be MPPI plus a random Q: none either.
        var task = TaskCatalog.Create("ballincup");
        var settings = LearnerSettings.For(task) with { Horizon = 8, Seed = 1 };
        (int Caught, int TestCaught, double TestCost, long Updates) Run(Algorithm algorithm)
        {
            using var learner = new Learner(task, settings with { Algorithm = algorithm }, threads: 2);
            // Materialised first: LINQ's Skip over Range(...).Select never calls the selector for the skipped items,
            // so the earlier version of this test ran only episodes 4-11.
            var episodes = Enumerable.Range(0, 12).Select(e => learner.RunEpisode(e)).ToArray();
            var late = episodes.Skip(4).Count(m => m.Success);
            var (caught, cost) = learner.Evaluate(10, seed: 4242);
            return (late, caught, cost, learner.Updates);
        }
        var mpq = Run(Algorithm.Mpq);
        var mppi = Run(Algorithm.Mppi);
        TestContext.Out.WriteLine($"ballincup H=8: training episodes 4-11 caught MPQ {mpq.Caught}/8, MPPI {mppi.Caught}/8; 10 test episodes MPQ {mpq.TestCaught} (mean cost {mpq.TestCost:F0}, after {mpq.Updates} updates), MPPI {mppi.TestCaught} ({mppi.TestCost:F0})");
        Assert.That(mppi.Caught + mppi.TestCaught, Is.Zero, "the sparse cost defeats the short horizon without Q");
        Assert.That(mpq.Caught, Is.GreaterThanOrEqualTo(4), "with the learned Q the same horizon catches");
        Assert.That(mpq.TestCaught, Is.GreaterThanOrEqualTo(5), "and catches in most episodes it never trained on");
        Assert.That(mpq.TestCost, Is.LessThan(0.5 * mppi.TestCost));
    }

    [Test]
    public void Mpq_FetchPush_LearnedQIsACostToGo_AtLeastZeroWhereEveryCostIs()
    {
        // At CI length MPQ does not yet lower fetch push's cost (a 6-episode try raised the test cost 16.9 -> 25.9;
        // Trainer/results/fig1-fetchpush), so this checks the step before that: that Q learns from the true system's data
        // a cost-to-go of the right sign. Every step cost is ≥ 0 and the targets' terminal Q is floored at 0, so what Q
        // learns is ≥ 0; without the floor the targets chased Q's own negative errors (mean Q −1.85 after 4 episodes).
        // Measured on 1000 unseen transitions (plain MPPI episodes, other seeds), seeds 1-4: mean Q 2.67, 4.19, 2.66,
        // 2.13 after 4 episodes (−0.02 to −0.13 before). Whether Q ranks those states by the block's distance is not yet
        // settled at this length: rank correlation after 0.09, −0.30, −0.60, 0.07. The C# task this rig folder replaced
        // gave 0.38, −0.33, −0.60 on seeds 1-3 (its episodes differ from the folder's only by the block's start height,
        // 0.425 vs 0.42500000000000004, and contacts make that a different run): the 0.38 this test once asserted was
        // one seed's luck. So the ranking is printed, not asserted.
        var task = TaskCatalog.Create("fetchpush");
        var settings = LearnerSettings.For(task) with { Algorithm = Algorithm.Mpq, Horizon = 8, Seed = 1 };
        var heldOut = new CollectingSink();
        using (var pool = new WorkerPool(2))
        using (var runner = new EpisodeRunner(task, settings.Planner(settings.Samples, 1.0, 555), pool, biasedModel: true, seed: 555))
        {
            for (var e = 0; e < 10; e++)
            {
                runner.Run(e, heldOut);
            }
        }
        using var learner = new Learner(task, settings, threads: 2);
        var before = heldOut.RankCorrelationWithCost(learner.Q!);
        var training = Enumerable.Range(0, 4).Select(e => learner.RunEpisode(e).Cost).ToArray();
        var after = heldOut.RankCorrelationWithCost(learner.Q!);
        TestContext.Out.WriteLine($"fetchpush MPQ H=8 on {heldOut.Count} unseen transitions: rank correlation of Q with the step cost {before.Correlation:F2} before, {after.Correlation:F2} after 4 episodes ({learner.Updates} updates), mean Q {before.MeanQ:F2} before, {after.MeanQ:F2} after; training costs {string.Join(", ", training.Select(c => c.ToString("F1")))}");
        Assert.That(after.MeanQ, Is.GreaterThan(1), "every cost is ≥ 0 and so is a cost-to-go: Q learned it (−1.85 without the floor)");
        Assert.That(after.MeanQ, Is.GreaterThan(before.MeanQ + 1), "from the data, not from its initial weights");
    }

    private sealed class CollectingSink : ITransitionSink
    {
        private readonly List<(double[] Observation, double[] Action, double Cost)> _transitions = [];

        public int Count => _transitions.Count;

        public void Add(in Transition transition) => _transitions.Add((transition.Observation.ToArray(), transition.Action.ToArray(), transition.Cost));

        /// <summary>Spearman's rank correlation between Q(s, a) and c(s, a) over the collected transitions, and Q's mean.</summary>
        public (double Correlation, double MeanQ) RankCorrelationWithCost(QFunction q)
        {
            var n = _transitions.Count;
            var observations = _transitions.SelectMany(t => t.Observation.Select(x => (float)x)).ToArray();
            var actions = _transitions.SelectMany(t => t.Action.Select(x => (float)x)).ToArray();
            var values = new float[n];
            q.Evaluate(observations, actions, n, values, q.CreateScratch(n));
            return (Pearson(Ranks(values.Select(v => (double)v).ToArray()), Ranks(_transitions.Select(t => t.Cost).ToArray())), values.Average());
        }

        private static double[] Ranks(double[] x)
        {
            var order = Enumerable.Range(0, x.Length).OrderBy(i => x[i]).ToArray();
            var ranks = new double[x.Length];
            for (var r = 0; r < order.Length; r++)
            {
                ranks[order[r]] = r;
            }
            return ranks;
        }

        private static double Pearson(double[] a, double[] b)
        {
            var ma = a.Average();
            var mb = b.Average();
            var cov = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
            return cov / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
        }
    }
}
