using Mpq.Common;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class LatencyRecorderTests
{
    [Test]
    public void Percentile_OfTheLatest_CoversOnlyThoseRecordings()
    {
        var r = new LatencyRecorder(8);
        for (var i = 1; i <= 11; i++)
        {
            r.Record(i); // the ring holds 4..11
        }
        Assert.That(r.Percentile(0.0), Is.EqualTo(4));
        Assert.That(r.Percentile(1.0), Is.EqualTo(11));
        Assert.That(r.Percentile(0.0, latest: 3), Is.EqualTo(9), "the last three were 9, 10, 11");
        Assert.That(r.Percentile(0.5, latest: 3), Is.EqualTo(10));
        Assert.That(r.Percentile(0.0, latest: 100), Is.EqualTo(4), "never more than the ring holds");
        Assert.That(r.Percentile(0.5, latest: 0), Is.NaN);
    }
}
