using Mpq.Planning.Tasks;
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
        var task = new FrankaDrawerOpen();
        using var learner = new Learner(task, LearnerSettings.For(task) with { Algorithm = Algorithm.Mpq, Horizon = 4, Seed = 1 }, threads: 2);
        var (_, before) = learner.Evaluate(3, seed: 77);
        var training = Enumerable.Range(0, 6).Select(e => learner.RunEpisode(e).Cost).ToArray();
        var (_, after) = learner.Evaluate(3, seed: 77);
        TestContext.Out.WriteLine($"frankadrawer MPQ H=4: test cost {before:F1} before, {after:F1} after 6 episodes ({learner.Updates} updates); training costs {string.Join(", ", training.Select(c => c.ToString("F0")))}");
        Assert.That(after, Is.LessThan(0.95 * before), "learning from the true system lowers the cost of the same test episodes");
    }
}
