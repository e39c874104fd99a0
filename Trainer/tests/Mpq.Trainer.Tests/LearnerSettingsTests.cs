using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class LearnerSettingsTests
{
    // The learner's settings for a task came from a switch on the task's C# type: a task limited to a rig's torque
    // (ActionLimitedTask, 'trainer train --torque-limit', what './demo.sh --train' runs) fell through to the default
    // branch and learned the pendulum at the acting planner's λ 1 without the observation scale.
    [TestCase("pendulum")]
    [TestCase("ballincup")]
    [TestCase("fetchpush")]
    [TestCase("frankadrawer")]
    public void For_ATaskLimitedToARigsTorque_LearnsWithTheTasksOwnSettings(string name)
    {
        var task = TaskCatalog.Create(name);
        var limited = new ActionLimitedTask(task, name == "pendulum" ? 1 : 1e6); // the rig's 1 N·m; the others only wrapped
        var (plain, wrapped) = (LearnerSettings.For(task), LearnerSettings.For(limited));
        Assert.That(wrapped.Lambda, Is.EqualTo(plain.Lambda));
        Assert.That(wrapped.NoiseStd, Is.EqualTo(plain.NoiseStd));
        Assert.That(wrapped.ObservationScale, Is.EqualTo(plain.ObservationScale));
        Assert.That((wrapped.TargetSamples, wrapped.Samples, wrapped.OutputScale, wrapped.InitialOutputGain), Is.EqualTo((plain.TargetSamples, plain.Samples, plain.OutputScale, plain.InitialOutputGain)));
        Assert.That(wrapped.TerminalFloor is null, Is.EqualTo(plain.TerminalFloor is null), "floored or not alike");
    }

    [Test]
    public void ForRig_NoFloorNamed_TheTasksBound_UnlessSwitchedOff()
    {
        var task = new PendulumSwingup();
        var settings = LearnerSettings.For(task);
        Assert.That(settings.TerminalFloor, Is.Null, "the simulated pendulum learns without it");
        Assert.That(settings.ForRig(task, null).TerminalFloor, Is.Zero, "on a rig: every pendulum cost is >= 0");
        var off = settings.WithOverrides("TerminalFloor=null");
        Assert.That(off.ForRig(task, "TerminalFloor=null").TerminalFloor, Is.Null, "--set TerminalFloor=null keeps it off");
        Assert.That((settings with { TerminalFloor = 5 }).ForRig(task, null).TerminalFloor, Is.EqualTo(5), "a floor already chosen stays");
    }

    [Test]
    public void For_Pendulum_TheLearnersOwnLambdaAndScale_NotTheActingPlanners()
    {
        var s = LearnerSettings.For(new PendulumSwingup());
        Assert.That((s.Lambda, s.NoiseStd), Is.EqualTo((0.1, 1.0)), "the acting planner's λ 1 is not the learner's");
        Assert.That(s.ObservationScale, Is.EqualTo(new[] { 1f, 1f, 0.125f }));
        Assert.That(s.TerminalFloor, Is.Null);
    }

    [Test]
    public void For_BallInCup_FlooredAtTheTasksBound()
    {
        var task = TaskCatalog.Create("ballincup");
        var s = LearnerSettings.For(task);
        Assert.That(s.TerminalFloor, Is.EqualTo(Mpq.Planning.Mppi.MppiSettings.QFloor(task, s.Gamma)));
        Assert.That((s.Lambda, s.TargetSamples), Is.EqualTo((task.PlannerDefaults.Lambda, 32)));
    }

    [Test]
    public void WithOverrides_FloatArrays_ParseAsTheyRead()
    {
        Assert.That(new LearnerSettings().WithOverrides("ObservationScale=1/1/0.125").ObservationScale, Is.EqualTo(new[] { 1f, 1f, 0.125f }));
    }

    [Test]
    public void WithOverrides_NamesInAnyCase_ReplaceOnlyThoseSettings()
    {
        var s = new LearnerSettings().WithOverrides("targetlambda=0.5, UpdateEvery=2,Hidden=32/16,LearningRate=3e-4");
        Assert.That(s.TargetLambda, Is.EqualTo(0.5));
        Assert.That(s.UpdateEvery, Is.EqualTo(2));
        Assert.That(s.Hidden, Is.EqualTo(new[] { 32, 16 }));
        Assert.That(s.LearningRate, Is.EqualTo(3e-4f));
        Assert.That(s.Samples, Is.EqualTo(new LearnerSettings().Samples));
        var defaults = new LearnerSettings();
        Assert.That(defaults.WithOverrides(null), Is.SameAs(defaults));
    }

    [TestCase("Nope=1", "no setting 'Nope'")]
    [TestCase("Horizon=4", "own options")]
    [TestCase("Samples", "not NAME=VALUE")]
    [TestCase("Samples=many", "not a valid value")]
    [TestCase("Lambda=NaN", "not a valid value")]
    [TestCase("TargetLambda=-1", "target lambda must be positive")]
    [TestCase("Samples=0", "at least 1")]
    public void WithOverrides_BadInput_SaysWhatIsWrong(string assignments, string message)
    {
        Assert.That(() => new LearnerSettings().WithOverrides(assignments), Throws.InstanceOf<ArgumentException>().With.Message.Contains(message));
    }
}
