using Mpq.Trainer.Experiments;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class BootstrapTests
{
    [Test]
    public void Mean_NormalSample_IntervalCoversTheMeanAndHasTheExpectedWidth()
    {
        // 5 values with sample std s: the bootstrap interval of the mean is about ±1.96 s/√n·√((n−1)/n) wide.
        double[] values = [10, 12, 14, 16, 18];
        var i = Bootstrap.Mean(values);
        Assert.That(i.Mean, Is.EqualTo(14));
        Assert.That(i.Low, Is.LessThan(14).And.GreaterThanOrEqualTo(10));
        Assert.That(i.High, Is.GreaterThan(14).And.LessThanOrEqualTo(18));
        var half = (i.High - i.Low) / 2;
        Assert.That(half, Is.EqualTo(1.96 * Math.Sqrt(8) / Math.Sqrt(5)).Within(0.6));
    }

    [Test]
    public void Mean_SameInput_SameInterval()
    {
        double[] values = [3, 1, 4, 1, 5, 9];
        var first = Bootstrap.Mean(values);
        Assert.That(Bootstrap.Mean(values.ToArray()), Is.EqualTo(first));
    }

    [Test]
    public void PairedDifference_SeedEffectCancels()
    {
        double[] a = [100, 200, 300, 400, 500];
        double[] b = [110, 210, 310, 410, 510];
        var d = Bootstrap.PairedDifference(a, b);
        Assert.That((d.Mean, d.Low, d.High), Is.EqualTo((-10.0, -10.0, -10.0)));
        Assert.That(d.BelowZero, Is.True);
        Assert.That(() => Bootstrap.PairedDifference(a, [1.0]), Throws.ArgumentException);
    }
}
