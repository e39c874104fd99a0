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
    public void Load_OtherTask_Refused()
    {
        var e = Assert.Throws<QModelException>(() => OnnxTerminalCost.Load(Export(Q(), task: "ballincup"), _task))!;
        Assert.That(e.Message, Does.Contain("trained for task 'ballincup'").And.Contain("'pendulum'"));
    }
}

/// <summary>The checked-in trained Q (Trainer/results/pendulum-mpq-h8) still loads and still does its job.</summary>
[TestFixture]
public class CheckedInQTests
{
    [Test]
    public void CheckedInQ_ShortHorizonSwingsUpOnTheBiasedModel()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Mpq.slnx")))
        {
            root = root.Parent;
        }
        var path = Path.Combine(root!.FullName, "Trainer", "results", "pendulum-mpq-h8", "q.onnx");
        var task = new PendulumSwingup();
        using var q = OnnxTerminalCost.Load(path, task);
        using var pool = new WorkerPool(2);
        var settings = new MppiSettings { Samples = 256, Horizon = 8, Lambda = task.PlannerDefaults.Lambda, NoiseStd = [task.PlannerDefaults.NoiseStd], Gamma = q.TrainedGamma ?? 0.99, Seed = 7 };
        using var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, settings, pool, biasedModel: true, seed: 7, q);
        var successes = Enumerable.Range(0, 3).Count(e => runner.Run(e).Success);
        Assert.That(successes, Is.GreaterThanOrEqualTo(2), "H = 8 with the learned Q swings up (without it H = 8 fails nearly always)");
    }
}
