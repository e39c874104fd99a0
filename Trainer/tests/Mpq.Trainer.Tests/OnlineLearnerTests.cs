using System.Collections.Concurrent;
using Mpq.Planning.Control;
using Mpq.Tasks;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Online;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class OnlineLearnerTests
{
    /// <summary>One simulated episode's transitions (plain MPPI), as a rig's loop would put them in the ring.</summary>
    private static TransitionRing Filled(int steps, out int offered)
    {
        var task = new PendulumSwingup();
        using var actor = new Learner(task, LearnerTests.Small(Algorithm.Mppi), threads: 1);
        var ring = new TransitionRing(1000, task.ObservationSize, task.ActionSize, actor.Runner.Model.StateSize);
        var sink = new FirstSteps(ring, steps);
        actor.Runner.Run(0, sink);
        offered = sink.Count;
        return ring;
    }

    private sealed class FirstSteps(ITransitionSink inner, int limit) : ITransitionSink
    {
        public int Count { get; private set; }

        public void Add(in Transition t)
        {
            if (Count < limit)
            {
                inner.Add(t);
                Count++;
            }
        }
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < timeout)
        {
            Thread.Sleep(20);
        }
        return condition();
    }

    [Test]
    public void Start_LearnsEveryTransitionAtTheRatio_PublishesAndCheckpointsOnStop()
    {
        var ring = Filled(60, out var offered);
        using var learner = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mpq) with { Warmup = 8 }, threads: 2);
        var published = 0;
        var checkpoints = 0;
        var log = new ConcurrentQueue<string>();
        using var online = new OnlineLearner(learner, ring, () => { published++; return "ok"; }, () => new LoopHealth(0, 0, 1),
            new OnlinePacing(SwapEverySeconds: 0.5, UpdatesPerTransition: 0.5, PeriodMs: 50), log.Enqueue, () => checkpoints++);
        online.Start();
        Assert.That(WaitUntil(() => online.Updates >= offered / 2, TimeSpan.FromSeconds(60)), Is.True, $"{online.Updates} updates of {offered / 2}");
        Thread.Sleep(300);
        online.Stop();
        Assert.That(online.Transitions, Is.EqualTo(offered));
        Assert.That(learner.Replay.Count, Is.EqualTo(offered));
        Assert.That(online.Updates, Is.EqualTo(offered / 2), "half an update per transition: it does not race ahead of the rig's data");
        Assert.That(double.IsFinite(online.LastLoss), Is.True);
        Assert.That(published, Is.GreaterThanOrEqualTo(1), "the last Q is published when learning stops");
        Assert.That(online.Swaps, Is.EqualTo(published));
        Assert.That(checkpoints, Is.EqualTo(1), "and the checkpoint written");
        Assert.That(online.Failure, Is.Null);
    }

    [Test]
    public void Health_DeadlineMissesGrow_LearningBacksOffAndSaysWhy()
    {
        var ring = Filled(60, out _);
        using var learner = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mpq) with { Warmup = 8 }, threads: 1);
        long misses = 0;
        var log = new ConcurrentQueue<string>();
        using var online = new OnlineLearner(learner, ring, () => "ok", () => new LoopHealth(0, Interlocked.Increment(ref misses), 1),
            new OnlinePacing(SwapEverySeconds: 0.5, UpdatesPerTransition: double.PositiveInfinity, PeriodMs: 50), log.Enqueue);
        online.Start();
        Assert.That(WaitUntil(() => online.BackOffs >= 1, TimeSpan.FromSeconds(30)), Is.True);
        var updates = online.Updates;
        Thread.Sleep(500);
        Assert.That(online.Updates, Is.EqualTo(updates), "no updates during the pause");
        online.Stop();
        Assert.That(log, Has.Some.Contains("learning backs off for 1 s: the acting loop had 1 deadline miss(es)"));
    }

    [Test]
    public void Health_PlanTimeOverBudget_LearningBacksOff()
    {
        var ring = Filled(20, out _);
        using var learner = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mpq) with { Warmup = 8 }, threads: 1);
        var log = new ConcurrentQueue<string>();
        using var online = new OnlineLearner(learner, ring, () => "ok", () => new LoopHealth(0, 0, 30),
            new OnlinePacing(SwapEverySeconds: 0.5, UpdatesPerTransition: 1, PeriodMs: 50), log.Enqueue);
        online.Start();
        Assert.That(WaitUntil(() => online.BackOffs >= 1, TimeSpan.FromSeconds(30)), Is.True);
        online.Stop();
        Assert.That(log, Has.Some.Contains("plan p99 30.0 ms over 25.0 ms"));
    }

    [Test]
    public void Publish_Refused_NotCountedAsASwap_AndSaid()
    {
        var ring = Filled(20, out _);
        using var learner = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mpq) with { Warmup = 8 }, threads: 1);
        var log = new ConcurrentQueue<string>();
        using var online = new OnlineLearner(learner, ring, () => "error: refused for a test", () => new LoopHealth(0, 0, 1),
            new OnlinePacing(SwapEverySeconds: 0.5, UpdatesPerTransition: 1, PeriodMs: 50), log.Enqueue);
        online.Start();
        Assert.That(WaitUntil(() => online.Updates >= 10, TimeSpan.FromSeconds(30)), Is.True);
        online.Stop();
        Assert.That(online.Swaps, Is.Zero);
        Assert.That(log, Has.Some.Contains("the new Q was not taken: error: refused for a test"));
    }

    [Test]
    public void Constructor_PlainMppi_Refused()
    {
        using var learner = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mppi), threads: 1);
        var ring = new TransitionRing(4, 3, 1, 2);
        Assert.That(() => new OnlineLearner(learner, ring, () => "ok", () => default, new OnlinePacing(5, 1, 50), _ => { }),
            Throws.ArgumentException.With.Message.Contains("plain MPPI learns nothing online"));
    }

    [TestCase(0.1, 1.0, "--swap-every")]
    [TestCase(double.NaN, 1.0, "--swap-every")]
    [TestCase(5.0, 0.0, "--update-ratio")]
    [TestCase(5.0, double.NaN, "--update-ratio")]
    [TestCase(5.0, -1.0, "--update-ratio")]
    public void Pacing_OutOfRange_RefusedNamingTheOption(double swap, double ratio, string option)
    {
        Assert.That(() => new OnlinePacing(swap, ratio, 50).Validate(), Throws.ArgumentException.With.Message.Contains(option));
    }

    [Test]
    public void MinuteMeter_CountsCostAndSuccessPerMinuteOfSteps()
    {
        var task = new PendulumSwingup();
        var meter = new MinuteMeter(task, minutes: 2);
        Assert.That(meter.StepsPerMinute, Is.EqualTo(1200), "20 Hz");
        double[] upright = [1, 0, 0], hanging = [-1, 0, 0], a = [0], x = [0, 0];
        for (var i = 0; i < 1300; i++)
        {
            meter.Add(new Transition(i, hanging, a, i < 1200 ? 2 : 0.5, i < 600 ? hanging : upright, x, x, false));
        }
        Assert.That(meter.Minute(0), Is.EqualTo((2.0, 0.5, 1200)));
        Assert.That(meter.Minute(1), Is.EqualTo((0.5, 1.0, 100)));
        Assert.That(meter.Minute(2).Steps, Is.Zero);
        Assert.That(meter.TotalCost, Is.EqualTo(2 * 1200 + 0.5 * 100));
    }
}
