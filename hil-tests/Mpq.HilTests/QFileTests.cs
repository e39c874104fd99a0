using Mpq.Controller.Onnx;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Onnx;

namespace Mpq.HilTests;

/// <summary>The Trainer's Q files as the Controller meets them: loaded by ONNX Runtime, or refused with a clear reason.</summary>
[TestFixture]
public class QFileTests
{
    private readonly PendulumSwingup _task = new();
    private QFiles _files = null!;

    [SetUp]
    public void SetUp() => _files = new QFiles();

    [TearDown]
    public void TearDown() => _files.Dispose();

    private static QFunction Q(int observationSize = 3) => QFiles.Q(observationSize);

    private string Export(QFunction q, string task = "pendulum", string[]? layout = null) => _files.Export(q, task, layout);

    [Test]
    public void Load_TrainerExport_EvaluatesLikeTheTrainer()
    {
        var q = Q();
        using var cost = OnnxTerminalCost.Load(Export(q), _task);
        Assert.That(cost.TrainedGamma, Is.EqualTo(0.99));
        var obs = GC.AllocateArray<float>(64 * 3, pinned: true);
        var act = GC.AllocateArray<float>(64, pinned: true);
        var values = GC.AllocateArray<float>(64, pinned: true);
        var rng = new Random(4);
        for (var i = 0; i < obs.Length; i++)
        {
            obs[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        for (var i = 0; i < act.Length; i++)
        {
            act[i] = (float)(rng.NextDouble() * 4 - 2);
        }
        cost.Bind(obs, act, values, 64);
        cost.Evaluate(64);
        var expected = new float[64];
        q.Evaluate(obs, act, 64, expected, q.CreateScratch(64));
        for (var i = 0; i < 64; i++)
        {
            Assert.That(values[i] / 100, Is.EqualTo(expected[i] / 100).Within(1e-5));
        }
    }

    [Test]
    public void Planner_WithOnnxQ_AllocatesNothingPerStep()
    {
        using var cost = OnnxTerminalCost.Load(Export(Q()), _task);
        using var pool = new WorkerPool(1);
        using var dynamics = new MuJoCoDynamics(_task);
        using var planner = new MppiPlanner(dynamics, _task, _task.ActionLow, _task.ActionHigh, new MppiSettings { Samples = 64, Horizon = 8 }, pool, cost);
        var state = new[] { 2.0, 0.0 };
        var action = new double[1];
        for (var i = 0; i < 50; i++)
        {
            planner.Step(state, action);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            planner.Step(state, action);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "managed bytes allocated by 200 steps with ONNX Runtime evaluating Q");
    }

    [Test]
    public void Load_Malformed_RefusedWithReason()
    {
        var path = Path.Combine(_files.Directory, "garbage.onnx");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(path, _task))!;
        Assert.That(e.Message, Does.Contain("not a loadable ONNX model"));
    }

    // Issue 25, case 6: a Q file with a real 2 GB initializer loaded (4.7 GB, > 60 s); one whose output 'q' is declared
    // [N, 2] was accepted (ONNX Runtime merged it with the inferred [N, 1] and printed its warning raw, in colour).
    [Test]
    public void Load_LargerThanTheBound_RefusedBeforeLoading()
    {
        var path = Path.Combine(_files.Directory, "huge.onnx");
        using (var f = File.Create(path))
        {
            f.SetLength(OnnxTerminalCost.MaxFileBytes + 1); // sparse: no disk is used
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(path, _task))!;
        Assert.That(e.Message, Does.Contain(path).And.Contain("a Q file is at most 64 MiB"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "refused by its size, not after reading it");
    }

    [Test]
    public void Load_OutputDeclaredNBy2_Refused()
    {
        var path = DeclareOutputWidth(Export(Q()), 2);
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(path, _task))!;
        Assert.That(e.Message, Does.Contain("output 'q' is declared [N, 2]; a Q file declares [N, 1]"));
    }

    [Test]
    public void Controller_OutputDeclaredNBy2_OneErrorLine_NoRawOnnxRuntimeWarning()
    {
        var path = DeclareOutputWidth(Export(Q()), 2);
        using var controller = new DotnetProcess("controller.dll", ["sim", "--task", "pendulum", "--q", path, "--episodes", "1", "-H", "4", "-N", "16"]);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(60)), Is.True);
        Assert.That(controller.ExitCode, Is.EqualTo(2), controller.Log);
        Assert.That(controller.Log, Does.Contain("declared [N, 2]"));
        Assert.That(controller.Log, Does.Not.Contain("\u001b").And.Not.Contain("onnxruntime"), "nothing of ONNX Runtime's own log reaches the terminal");
    }

    /// <summary>Rewrites the declared width of the output 'q' (the last value_info of the graph) in an exported file.</summary>
    private static string DeclareOutputWidth(string path, byte width)
    {
        var bytes = File.ReadAllBytes(path);
        // ValueInfoProto of 'q': name (field 1) "q", then its type, whose shape is dim_param (field 2) "N", then dim_value
        // (field 1) 1.
        ReadOnlySpan<byte> name = [0x0A, 0x01, (byte)'q', 0x12];
        var at = bytes.AsSpan().LastIndexOf(name);
        Assert.That(at, Is.GreaterThan(0), "the exported file declares its output 'q'");
        var n = bytes.AsSpan(at).IndexOf([(byte)0x12, (byte)0x01, (byte)'N']);
        Assert.That(n, Is.GreaterThan(0).And.LessThan(40));
        var dim = at + n + 3 + bytes.AsSpan(at + n + 3).IndexOf([(byte)0x08, (byte)0x01]);
        Assert.That(dim - at, Is.LessThan(40));
        bytes[dim + 1] = width;
        var patched = Path.ChangeExtension(path, $".w{width}.onnx");
        File.WriteAllBytes(patched, bytes);
        return patched;
    }

    // Issue 26: a Q file records the rig it was learned for (name and a hash of its files).
    [Test]
    public void Load_LearnedForAnotherVersionOfTheRigsFiles_RefusedUnlessAllowed()
    {
        var rig = Mpq.Tasks.TaskCatalog.Create("pendulum");
        Assert.That(rig.Fingerprint, Is.Not.Null, "the pendulum is described by files");
        var q = QFiles.Q();
        var other = Path.Combine(_files.Directory, "other-rig.onnx");
        Mpq.Trainer.Onnx.OnnxExporter.Write(q, Mpq.Trainer.Onnx.QMetadata.For(rig, Mpq.Trainer.Learning.LearnerSettings.For(rig), "test") with { RigFingerprint = "0123456789abcdef" }, other);
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(other, rig))!;
        Assert.That(e.Message, Does.Contain("was learned for another version of rig 'pendulum' (its files hashed 0123456789abcdef, this rig's hash " + rig.Fingerprint + ")").And.Contain("--allow-other-rig"));
        using (var allowed = OnnxTerminalCost.Load(other, rig, allowOtherRig: true))
        {
            Assert.That(allowed.RigWarning, Does.Contain("loaded anyway"));
        }
        var same = Path.Combine(_files.Directory, "same-rig.onnx");
        Mpq.Trainer.Onnx.OnnxExporter.Write(q, Mpq.Trainer.Onnx.QMetadata.For(rig, Mpq.Trainer.Learning.LearnerSettings.For(rig), "test"), same);
        using (var loaded = OnnxTerminalCost.Load(same, rig))
        {
            Assert.That((loaded.Metadata[QFileMetadata.Keys.RigFingerprint], loaded.RigWarning), Is.EqualTo((rig.Fingerprint, (string?)null)));
        }
        using var unrecorded = OnnxTerminalCost.Load(Export(q), rig); // a file from before rigs were files: no hash to compare
        Assert.That(unrecorded.RigWarning, Is.Null);
    }

    [Test]
    public void Load_Missing_RefusedWithReason()
    {
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(Path.Combine(_files.Directory, "none.onnx"), _task))!;
        Assert.That(e.Message, Does.Contain("does not exist"));
    }

    [Test]
    public void Load_WrongInputWidth_RefusedNamingExpectedAndFound()
    {
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(Export(Q(5), layout: ["cos_theta", "sin_theta", "theta_dot", "x", "y"]), _task))!;
        Assert.That(e.Message, Does.Contain("observation layout").Or.Contain("[N, 3]"));
    }

    [Test]
    public void Load_QGivingNaN_RefusedAtLoad()
    {
        var q = Q();
        q.Network.Bias(q.Network.Layers - 1)[0] = float.NaN;
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(Export(q), _task))!;
        Assert.That(e.Message, Does.Contain("non-finite values").And.Contain("refusing it"));
    }

    [Test]
    public void Load_ActionRangeRecorded_WarnsWhenThePlannerIsLimitedBelowIt_NotWhenItAgrees()
    {
        using var cost = OnnxTerminalCost.Load(_files.Export(Q(), actionHigh: [2]), _task);
        Assert.That((cost.TrainedActionLow, cost.TrainedActionHigh), Is.EqualTo((new[] { -2.0 }, new[] { 2.0 })));
        Assert.That(cost.ActionRangeWarning([-2], [2]), Is.Null);
        var warning = cost.ActionRangeWarning([-1], [1]);
        Assert.That(warning, Does.Contain("learned for actions in [-2] .. [2]").And.Contain("limited to [-1] .. [1]").And.Contain("--torque-limit"));
        // 'run' has no --torque-limit (a rig plans within its own limit): its remedy is the rig's setting.
        Assert.That(cost.ActionRangeWarning([-1], [1], "the rig's torque_limit"), Does.EndWith("plan within the Q's (the rig's torque_limit)"));
    }

    /// <summary>
    /// The rig's 1 N·m Q in 'controller sim' at the task's ±2 N·m said nothing, and the planner (3 × 1024 samples) found
    /// the Q's values for torques it never saw: on the true model it held the pendulum leaning 0.2–0.3 rad with a steady
    /// torque, 5 (λ 1) or 0 (λ 0.1) of 10 episodes successful.
    /// </summary>
    [Test]
    public void Load_ActionRangeRecorded_WarnsWhenThePlannerMayGoBeyondIt()
    {
        using var cost = OnnxTerminalCost.Load(_files.Export(Q(), actionHigh: [1]), _task);
        var warning = cost.ActionRangeWarning([-2], [2]);
        Assert.That(warning, Does.Contain("learned for actions in [-1] .. [1]").And.Contain("limited to [-2] .. [2]").And.Contain("never saw")
            .And.Contain("--torque-limit"));
    }

    [Test]
    public void Load_NoActionRange_NoWarning()
    {
        // Files from before the range was recorded (the Controller cannot know, and says nothing).
        using var cost = OnnxTerminalCost.Load(Export(Q()), _task);
        Assert.That(cost.TrainedActionHigh, Is.Null);
        Assert.That(cost.ActionRangeWarning([-1], [1]), Is.Null);
    }

    [Test]
    public void Load_NonFiniteActionRange_Refused()
    {
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(_files.Export(Q(), actionHigh: [double.NaN]), _task))!;
        Assert.That(e.Message, Does.Contain("metadata mpq.action_").And.Contain("= 'NaN' is not 1 comma-separated number"));
    }

    [Test]
    public void Load_OtherTask_Refused()
    {
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(Export(Q(), task: "ballincup"), _task))!;
        Assert.That(e.Message, Does.Contain("trained for task 'ballincup'").And.Contain("'pendulum'"));
    }
}

/// <summary>The checked-in trained Qs (Trainer/results/pendulum-mpq-h8*) still load and still do their job.</summary>
[TestFixture]
public class CheckedInQTests
{
    private static string CheckedIn(string run)
    {
        return Path.Combine(FirmwareProcess.RepositoryRoot(), "Trainer", "results", run, "q.onnx");
    }

    [Test]
    public void CheckedInQ_ShortHorizonSwingsUpOnTheBiasedModel()
    {
        var task = new PendulumSwingup();
        using var q = OnnxTerminalCost.Load(CheckedIn("pendulum-mpq-h8"), task);
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 256, Horizon = 8, Lambda = task.PlannerDefaults.Lambda, NoiseStd = [task.PlannerDefaults.NoiseStd], Gamma = q.TrainedGamma ?? 0.99, Seed = 7 };
        using var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, settings, pool, biasedModel: true, seed: 7, q);
        var successes = Enumerable.Range(0, 3).Count(e => runner.Run(e).Success);
        Assert.That(successes, Is.GreaterThanOrEqualTo(2), "H = 8 with the learned Q swings up (without it H = 8 fails nearly always)");
    }

    /// <summary>
    /// Issue 26: the Furuta's checked-in Q (Trainer/results/furuta-mpq-h8) loads against the rig's files as they are (a Q
    /// for another version of them is refused: edit furuta/rig.json or its model and this fails until the Q is retrained)
    /// and still does its job with the controller's planner: H 8 swings up and balances where H 8 alone never does
    /// (measured with `controller sim`, seed 7: 10/10 with it, 0/10 without).
    /// </summary>
    [Test]
    public void FurutaQ_ShortHorizonSwingsUpAndBalances_WhereTheSameHorizonAloneNever()
    {
        var task = TaskCatalog.Create("furuta");
        using var q = OnnxTerminalCost.Load(CheckedIn("furuta-mpq-h8"), task);
        Assert.That(q.ActionRangeWarning(task.ActionLow, task.ActionHigh), Is.Null, "learned for the rig's own range");
        using var pool = new WorkerPool(2);
        int Successes(OnnxTerminalCost? terminal)
        {
            var settings = terminal is null ? MppiSettings.ForTask(task, 8) with { Seed = 7 } : ControllerSettings.Of(task, terminal, horizon: 8, seed: 7);
            using var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, settings, pool, biasedModel: true, seed: 7, terminal);
            return Enumerable.Range(0, 3).Count(e => runner.Run(e).Success);
        }
        var (with, without) = (Successes(q), Successes(null));
        TestContext.Out.WriteLine($"furuta H 8 on the biased model, 3 episodes: {with} swung up and balanced with the checked-in Q, {without} without");
        Assert.That(with, Is.GreaterThanOrEqualTo(2));
        Assert.That(without, Is.Zero, "the short horizon alone never swings up: the Q is what does it");
    }

    /// <summary>
    /// The bug this reproduces: on the virtual rig (torque_limit 1 N·m, the controller planning on the prior's means),
    /// a controller that took over a swinging pendulum (a re-plugged cable, lost commands) settled into a cycle of near
    /// misses 0.5–0.9 rad short of upright for as long as it ran. The same here, in simulation with the rig's limit and
    /// model: with the Q learned for ±2 N·m and the earlier planner defaults (step size 0.3, noise 0.2 n + 0.97 ε)
    /// 0 of these 5 starts swung up. Two causes, both needed: the Q must be learned for the rig's limit (the ±2 Q
    /// values swings ±1 cannot finish), and the plan must be able to reverse the torque within a swing.
    /// </summary>
    [Test]
    public void RigQ_FromSwingingStarts_AtTheRigsTorqueLimitOnTheRigsModel_SwingsUp()
    {
        var task = new ActionLimitedTask(new PendulumSwingup(), 1.0);
        using var q = OnnxTerminalCost.Load(FirmwareProcess.TrainedQ(), task);
        Assert.That(q.ActionRangeWarning(task.ActionLow, task.ActionHigh), Is.Null, "the rig's Q is learned for the rig's limit");
        using var pool = new WorkerPool(2);
        var settings = ControllerSettings.Of(task, q, horizon: 8, seed: 2);
        using var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, settings, pool, biasedModel: false, seed: 2, q)
        {
            FixedModelParameters = TaskParameters.Means(task.Parameters),
        };
        double[][] starts = [[2, 3], [-2, -3], [1.5, 4], [-1, -5], [2.5, -2]];
        var outcomes = starts.Select((s, e) => (Start: s, Result: runner.Run(e, initialState: s))).ToArray();
        var report = string.Join("; ", outcomes.Select(o => $"from ({o.Start[0]}, {o.Start[1]}): {(o.Result.Success ? "up" : "not up")}, cost {o.Result.TotalCost:F0}"));
        TestContext.Out.WriteLine(report);
        Assert.That(outcomes.Count(o => o.Result.Success), Is.GreaterThanOrEqualTo(4), report);
    }

    /// <summary>
    /// Issue 15: the torque chattered while the pendulum stood upright. The rig's controller off the rig (its Q, its
    /// 1 N·m, the prior's means) with the planner defaults is smooth upright (the measurements: hil-tests/README.md,
    /// "Lab notes").
    /// </summary>
    [Test]
    [Category("Slow")]
    public void RigQ_DefaultPlanner_OnTheRigsModel_SmoothWhileUpright()
    {
        var task = new ActionLimitedTask(new PendulumSwingup(), 1.0);
        using var q = OnnxTerminalCost.Load(FirmwareProcess.TrainedQ(), task);
        using var pool = new WorkerPool(2);
        var settings = ControllerSettings.Of(task, q, horizon: 8, seed: 5);
        using var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, settings, pool, biasedModel: false, seed: 5, q)
        {
            FixedModelParameters = TaskParameters.Means(task.Parameters),
        };
        var results = Enumerable.Range(0, 5).Select(e => runner.Run(e)).ToArray();
        var upright = results.Select(r => r.SmoothnessInSuccessRegion!).ToArray();
        double Mean(Func<Mpq.Planning.Control.SmoothnessFigures, double> f) => upright.Sum(u => f(u) * u.Steps) / upright.Sum(u => u.Steps);
        var (flips, change) = (Mean(u => u.SignFlipRate), Mean(u => u.MeanAbsChange));
        var report = $"{results.Count(r => r.Success)}/5 swung up; upright over {upright.Sum(u => u.Steps)} steps: sign flips {flips:P1}, mean |Δu| {change:F3} N·m per step";
        TestContext.Out.WriteLine(report);
        Assert.That(results.Count(r => r.Success), Is.EqualTo(5), report);
        Assert.That(flips, Is.LessThan(0.07), report);
        Assert.That(change, Is.LessThan(0.12), report);
    }
}
