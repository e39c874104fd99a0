using Mpq.Planning.Control;

namespace Mpq.Controller.Tests;

[TestFixture]
public class TransitionRingTests
{
    private sealed class Collect : ITransitionSink
    {
        public List<(int Step, double Observation, double Action, double Cost, double NextState)> Seen { get; } = [];

        public void Add(in Transition t) => Seen.Add((t.Step, t.Observation[1], t.Action[0], t.Cost, t.NextState[2]));
    }

    private static void Offer(TransitionRing ring, int step)
    {
        Span<double> o = [step, step + 0.5], a = [-step], o2 = [step + 1, step + 1.5], x = [step, 0, 0], x2 = [step + 1, 0, step * 3];
        ring.Add(new Transition(step, o, a, step * 2, o2, x, x2, false));
    }

    [Test]
    public void Drain_HandsEveryTransitionOverInOrder_ThenNothing()
    {
        var ring = new TransitionRing(8, 2, 1, 3);
        for (var i = 0; i < 5; i++)
        {
            Offer(ring, i);
        }
        var sink = new Collect();
        Assert.That(ring.Drain(sink), Is.EqualTo(5));
        Assert.That(sink.Seen.Select(s => s.Step), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(sink.Seen[3], Is.EqualTo((3, 3.5, -3.0, 6.0, 9.0)));
        Assert.That(ring.Drain(sink), Is.Zero);
    }

    [Test]
    public void Add_RingFull_DropsTheNewTransitionAndCountsIt()
    {
        var ring = new TransitionRing(4, 2, 1, 3);
        for (var i = 0; i < 7; i++)
        {
            Offer(ring, i);
        }
        Assert.That(ring.Dropped, Is.EqualTo(3));
        Assert.That(ring.Offered, Is.EqualTo(7));
        var sink = new Collect();
        ring.Drain(sink);
        Assert.That(sink.Seen.Select(s => s.Step), Is.EqualTo(new[] { 0, 1, 2, 3 }), "the oldest kept, the newest dropped: what was handed over is never overwritten");
        Offer(ring, 7);
        ring.Drain(sink);
        Assert.That(sink.Seen[^1].Step, Is.EqualTo(7), "a drained slot is free again");
    }

    [Test]
    public void Add_AfterWarmUp_AllocatesNothing()
    {
        var ring = new TransitionRing(16, 2, 1, 3);
        var sink = new Collect();
        Offer(ring, 0);
        ring.Drain(sink);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            Offer(ring, i);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "the loop's thread writes the ring every step");
    }

    [Test]
    public void AddAndDrain_OnTwoThreads_EveryTransitionArrivesWhole()
    {
        const int n = 200_000;
        var ring = new TransitionRing(64, 2, 1, 3);
        var sink = new Collect();
        var consumer = new Thread(() =>
        {
            while (sink.Seen.Count + ring.Dropped < n)
            {
                ring.Drain(sink);
            }
        });
        consumer.Start();
        for (var i = 0; i < n; i++)
        {
            Offer(ring, i);
        }
        Assert.That(consumer.Join(TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(sink.Seen.Count + ring.Dropped, Is.EqualTo(n));
        Assert.That(sink.Seen.Select(s => s.Step), Is.Ordered.Ascending);
        Assert.That(sink.Seen.Where(s => s.Observation != s.Step + 0.5 || s.Action != -s.Step || s.Cost != 2 * s.Step || s.NextState != 3 * s.Step), Is.Empty,
            "no slot was read while it was being written");
    }

    [Test]
    public void Add_WrongSizes_Refused()
    {
        var ring = new TransitionRing(4, 3, 1, 3);
        Assert.That(() => Offer(ring, 0), Throws.ArgumentException.With.Message.Contains("ring holds o 3"));
    }
}
