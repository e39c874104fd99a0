using Mpq.Protocol.Framing;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

/// <summary>The one writer of a serial line, both ends use it: order, flush before exit, failures counted, never a wait.</summary>
[TestFixture]
public class FrameSenderTests
{
    /// <summary>A line that records bytes; it can be slowed, blocked or made to fail.</summary>
    private sealed class Line
    {
        private readonly Lock _gate = new();
        private readonly List<byte> _bytes = [];
        public TimeSpan Delay = TimeSpan.Zero;
        public ManualResetEventSlim Open { get; } = new(true);
        public Func<int, IOException?> FailOn = _ => null;
        private int _writes;

        public void Write(ReadOnlySpan<byte> data)
        {
            Open.Wait();
            if (Delay > TimeSpan.Zero)
            {
                Thread.Sleep(Delay);
            }
            if (FailOn(Interlocked.Increment(ref _writes)) is { } failure)
            {
                throw failure;
            }
            lock (_gate)
            {
                _bytes.AddRange(data.ToArray());
            }
        }

        public List<Heartbeat> Decode()
        {
            byte[] bytes;
            lock (_gate)
            {
                bytes = [.. _bytes];
            }
            var decoder = new FrameDecoder();
            var input = (ReadOnlySpan<byte>)bytes;
            var beats = new List<Heartbeat>();
            while (decoder.TryDecode(ref input, out var message))
            {
                beats.Add(new Heartbeat { TimeMicroseconds = ((Heartbeat)message).TimeMicroseconds });
            }
            Assert.That(decoder.Stats.FramesLost, Is.Zero, "consecutive sequence numbers");
            return beats;
        }
    }

    [Test]
    public void Flush_SlowLine_ReturnsOnceEverythingPostedIsWritten()
    {
        var line = new Line { Delay = TimeSpan.FromMilliseconds(20) };
        using var sender = new FrameSender(line.Write);
        for (var i = 0; i < 5; i++)
        {
            Assert.That(sender.TryPost(new Heartbeat { TimeMicroseconds = (ulong)i }), Is.True);
        }
        Assert.That(sender.Flush(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(line.Decode().Select(b => b.TimeMicroseconds), Is.EqualTo(new ulong[] { 0, 1, 2, 3, 4 }), "in order, none missing, at the moment Flush returns");
        Assert.That(sender.FramesWritten, Is.EqualTo(5));
    }

    [Test]
    public void Flush_BlockedLine_GivesUpAfterItsTimeout()
    {
        var line = new Line();
        line.Open.Reset();
        using var sender = new FrameSender(line.Write);
        sender.TryPost(new Heartbeat());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(sender.Flush(TimeSpan.FromMilliseconds(100)), Is.False);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "bounded");
        line.Open.Set();
        Assert.That(sender.Flush(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void TryPostRealtime_BlockedLine_DropsAndCountsInsteadOfWaiting()
    {
        var line = new Line();
        line.Open.Reset();
        using var sender = new FrameSender(line.Write);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var accepted = 0;
        for (var i = 0; i < 100; i++)
        {
            accepted += sender.TryPostRealtime(new Heartbeat { TimeMicroseconds = (ulong)i }) ? 1 : 0;
        }
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "a blocked line never blocks the poster");
        Assert.That(sender.RealtimeDropped, Is.EqualTo(100 - accepted));
        Assert.That(accepted, Is.InRange(32, 33), "the ring's 32 slots (one more may be in the writer's hands)");
        line.Open.Set();
        Assert.That(sender.Flush(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(line.Decode(), Has.Count.EqualTo(accepted));
    }

    [Test]
    public void Write_Fails_CountedReportedAndTheWriterGoesOn()
    {
        var line = new Line { FailOn = n => n == 2 ? new IOException("EIO") : null };
        var reported = new List<string>();
        using var sender = new FrameSender(line.Write, onWriteFailed: e =>
        {
            lock (reported)
            {
                reported.Add(e.Message);
            }
        });
        for (var i = 0; i < 3; i++)
        {
            sender.TryPost(new Heartbeat { TimeMicroseconds = (ulong)i });
            Assert.That(sender.Flush(TimeSpan.FromSeconds(5)), Is.True);
        }
        Assert.That(sender.WriteFailures, Is.EqualTo(1));
        Assert.That(reported, Is.EqualTo(new[] { "EIO" }));
        Assert.That(sender.LastFailure, Is.EqualTo("EIO"));
        Assert.That(sender.FramesWritten, Is.EqualTo(3), "the failed frame was handed to the line: the peer counts it lost");
    }
}
