using Mpq.Protocol.Bench;
using Mpq.Protocol.Framing;

namespace Mpq.Protocol.Tests;

/// <summary>A million random and mutated frames through the decoder, every one accounted for (runs in the default suite: ~3 s).</summary>
[TestFixture]
public class FrameFuzzTests
{
    [TestCase(1_000_000, 1)]
    [TestCase(100_000, 20261124)]
    public void Run_MillionFrames_NoExceptionNoCorruptAcceptedEveryIntactFrameOnce(int frames, int seed)
    {
        var report = FrameFuzzer.Run(frames, seed);
        TestContext.Out.WriteLine(report);
        Assert.Multiple(() =>
        {
            Assert.That(report.Exceptions, Is.Zero, "exceptions");
            Assert.That(report.CorruptAccepted, Is.Zero, "corrupt frames accepted");
            Assert.That(report.Missing, Is.Zero, "intact frames not decoded");
            Assert.That(report.Decoded, Is.EqualTo(report.IntactCopies), "each intact copy decoded exactly once");
            Assert.That(report.RecoveredAfterNoise, Is.True, "valid traffic after 64 KiB of noise decodes");
            Assert.That(report.MutatedFrames, Is.GreaterThan(frames / 5), "the fuzzer mutates");
            foreach (var reason in Enum.GetValues<DropReason>().Where(r => r != DropReason.BadPayload))
            {
                Assert.That(report.RejectedByCause[reason], Is.GreaterThan(0), $"no frame was rejected for {reason}: the fuzzer does not reach that check");
            }
        });
    }
}
