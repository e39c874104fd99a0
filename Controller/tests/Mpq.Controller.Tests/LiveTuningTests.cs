using Mpq.Controller.Rig;
using Mpq.Planning.Mppi;
using Mpq.Protocol.Messages;

namespace Mpq.Controller.Tests;

[TestFixture]
public class LiveTuningTests
{
    private static readonly MppiSettings Initial = new() { Samples = 256, Horizon = 8, Lambda = 0.1, NoiseStd = [1.0], StepSize = 1.0 };

    [Test]
    public void TakePending_NothingChanged_Null()
    {
        Assert.That(new LiveTuning(Initial).TakePending(), Is.Null);
    }

    [Test]
    public void TrySet_SeveralChanges_OneSettingsWithAllOfThemTakenOnce()
    {
        var tuning = new LiveTuning(Initial);
        Assert.That(tuning.Table.TrySet(LiveTuning.Horizon, 12), Is.EqualTo(ParamStatus.Ok));
        Assert.That(tuning.Table.TrySet(LiveTuning.Samples, 64), Is.EqualTo(ParamStatus.Ok));
        Assert.That(tuning.Table.TrySet(LiveTuning.Sigma, 0.5), Is.EqualTo(ParamStatus.Ok));
        var taken = tuning.TakePending();
        Assert.That(taken, Is.Not.Null);
        Assert.That((taken!.Horizon, taken.Samples, taken.Std(0), taken.Lambda), Is.EqualTo((12, 64, 0.5, 0.1)));
        Assert.That(tuning.TakePending(), Is.Null, "taken once");
    }

    [TestCase(LiveTuning.Lambda, 0)]
    [TestCase(LiveTuning.Horizon, 0)]
    [TestCase(LiveTuning.Horizon, 1000)]
    [TestCase(LiveTuning.Samples, 2.5)]
    [TestCase(LiveTuning.Alpha, 1.5)]
    [TestCase(LiveTuning.TorqueScale, -0.1)]
    [TestCase(LiveTuning.Sigma, double.NaN)]
    public void TrySet_OutOfRange_RefusedAndNothingPublished(string name, double value)
    {
        var tuning = new LiveTuning(Initial);
        Assert.That(tuning.Table.TrySet(name, value), Is.Not.EqualTo(ParamStatus.Ok));
        Assert.That(tuning.TakePending(), Is.Null);
        Assert.That(tuning.TorqueScaleValue, Is.EqualTo(1));
    }

    [Test]
    public void EveryAcceptedValue_IsValidForThePlanner()
    {
        var tuning = new LiveTuning(Initial);
        foreach (var d in tuning.Table.Definitions)
        {
            foreach (var v in new[] { d.Min, d.Max })
            {
                tuning.Table.TrySet(d.Name, v);
            }
        }
        Assert.DoesNotThrow(() => tuning.Requested.Validate(1));
    }

    [Test]
    public void TorqueScale_ReadDirectly_NotPublishedAsSettings()
    {
        var tuning = new LiveTuning(Initial);
        tuning.Table.TrySet(LiveTuning.TorqueScale, 0.25);
        Assert.That(tuning.TorqueScaleValue, Is.EqualTo(0.25));
        Assert.That(tuning.TakePending(), Is.Null);
    }
}
