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

    [Test]
    public void Adopt_ATrainersSettings_PublishedOnceWithTheSeedKept_TheConsoleShowsThem()
    {
        var tuning = new LiveTuning(Initial with { Seed = 42 });
        var trainers = new MppiSettings { Samples = 512, Horizon = 12, Lambda = 1.5, NoiseStd = [0.3], StepSize = 0.7, Iterations = 3, ActionRateCost = 10, NoiseFilter = [0.5, 0.9, 0], Seed = 7 };
        Assert.That(tuning.Adopt(trainers), Is.Null);
        var taken = tuning.TakePending();
        Assert.That(taken, Is.EqualTo(trainers with { Seed = 42 }).Using<MppiSettings>(SameSettings));
        Assert.That(tuning.TakePending(), Is.Null, "taken once");
        Assert.That((tuning.Table.Get(LiveTuning.Horizon), tuning.Table.Get(LiveTuning.Samples), tuning.Table.Get(LiveTuning.Lambda), tuning.Table.Get(LiveTuning.Sigma), tuning.Table.Get(LiveTuning.Alpha)),
            Is.EqualTo((12.0, 512.0, 1.5, 0.3, 0.7)));
        Assert.That(tuning.Table.TrySet(LiveTuning.Lambda, 2), Is.EqualTo(ParamStatus.Ok));
        Assert.That(tuning.TakePending()!.Iterations, Is.EqualTo(3), "a console change afterwards starts from the adopted settings");
    }

    [Test]
    public void Adopt_OutsideTheConsolesRange_RefusedNamingIt_NothingChanged()
    {
        var tuning = new LiveTuning(Initial);
        Assert.That(tuning.Adopt(Initial with { Samples = 20000 }), Is.EqualTo("samples 20000 is outside 1 .. 16384"));
        Assert.That(tuning.TakePending(), Is.Null);
        Assert.That(tuning.Table.Get(LiveTuning.Samples), Is.EqualTo(256));
    }

    [Test]
    public void PlannerMessage_RoundTrip_EveryFieldButTheQsOwnAndTheSeed()
    {
        var trainers = new MppiSettings
        {
            Samples = 512, Horizon = 12, Lambda = 1.5, NoiseStd = [0.3, 0.4], StepSize = 0.7, Iterations = 3, ActionRateCost = 10, NoiseFilter = [0.5, 0.9, 0],
            ControlCost = false, Tail = TailMode.Repeat, Gamma = 0.9, TerminalFloor = 0, Seed = 7,
        };
        var current = Initial with { Gamma = 0.99, TerminalFloor = double.NegativeInfinity, Seed = 3 };
        var read = PlannerMessage.Read(PlannerMessage.Write(trainers), current, actionSize: 2);
        Assert.That(read, Is.EqualTo(trainers with { Gamma = 0.99, TerminalFloor = double.NegativeInfinity, Seed = 3 }).Using<MppiSettings>(SameSettings));
        Assert.That(PlannerMessage.Read(PlannerMessage.Write(Initial), current, 1).NoiseFilter, Is.Null, "white noise stays white");
    }

    [TestCase("tail", "planner tail 'Sideways' is not one of Zero, Repeat")]
    [TestCase("filter", "planner noise filter needs 0 or 3 coefficients (got 2)")]
    [TestCase("samples", "samples must be at least 1 (got 0)")]
    [TestCase("lambda", "lambda must be a positive finite number (got NaN)")]
    [TestCase("std", "noise std needs 1 or 1 entries (got 0)")]
    public void PlannerMessage_Malformed_RefusedNamingTheField(string field, string reason)
    {
        var m = PlannerMessage.Write(Initial);
        switch (field)
        {
            case "tail": m.Tail = "Sideways"; break;
            case "filter": m.NoiseFilter.Add([0.5, 0.5]); break;
            case "samples": m.Samples = 0; break;
            case "lambda": m.Lambda = double.NaN; break;
            case "std": m.NoiseStd.Clear(); break;
        }
        Assert.That(() => PlannerMessage.Read(m, Initial, 1), Throws.InstanceOf<InvalidDataException>().With.Message.Contains(reason));
    }

    private static bool SameSettings(MppiSettings a, MppiSettings b) =>
        a with { NoiseStd = Array.Empty<double>(), NoiseFilter = null } == b with { NoiseStd = Array.Empty<double>(), NoiseFilter = null }
        && a.NoiseStd.SequenceEqual(b.NoiseStd) && (a.NoiseFilter ?? []).SequenceEqual(b.NoiseFilter ?? []);
}
