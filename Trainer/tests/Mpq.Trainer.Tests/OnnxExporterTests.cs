using Microsoft.ML.OnnxRuntime;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Onnx;

namespace Mpq.Trainer.Tests;

/// <summary>Every exported file is loaded in ONNX Runtime and must agree with the trainer's own forward pass.</summary>
[TestFixture]
public class OnnxExporterTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mpq-onnx-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase("fetchpush", 0.0)]
    [TestCase("ballincup", 0.0)]
    [TestCase("pendulum", null)]
    public void Export_TerminalFloor_ReachesTheController(string name, double? floor)
    {
        // The controller must plan with the floor the Q was trained under: For() sets it (ball-in-cup, fetch push), the file
        // carries it, OnnxTerminalCost reads it back.
        var task = Tasks.TaskCatalog.Create(name);
        var settings = LearnerSettings.For(task);
        Assert.That(settings.TerminalFloor, Is.EqualTo(floor));
        var q = new QFunction(task.ObservationSize, task.ActionSize, [8], Enumerable.Repeat(1f, task.ObservationSize + task.ActionSize).ToArray(), 1, 1);
        var path = Path.Combine(_dir, "q.onnx");
        OnnxExporter.Write(q, QMetadata.For(task, settings, "run-1"), path);
        using var loaded = Mpq.Controller.Onnx.OnnxTerminalCost.Load(path, task);
        Assert.That(loaded.TrainedTerminalFloor, Is.EqualTo(floor));
        Assert.That(settings.WithOverrides("terminalfloor=null").TerminalFloor, Is.Null, "null switches it off");
        Assert.That(settings.WithOverrides("TerminalFloor=0").Planner(8, 0.99, 1).TerminalFloor, Is.Zero);
        Assert.That(() => settings.WithOverrides("TerminalFloor=-Infinity"), Throws.ArgumentException, "a number or null");
    }

    [TestCase(2.0)]
    [TestCase(0.0)]
    [TestCase(double.NaN)]
    public void Load_GammaNotADiscount_RefusedAtLoadNotAtTheSwap(double gamma)
    {
        // The loop discounts with a swapped-in Q's γ: a file whose γ it could not plan with is refused by the checks every Q
        // passes, never left to throw between two steps.
        var task = Tasks.TaskCatalog.Create("pendulum");
        var q = new QFunction(task.ObservationSize, task.ActionSize, [8], Enumerable.Repeat(1f, task.ObservationSize + task.ActionSize).ToArray(), 1, 1);
        var path = Path.Combine(_dir, "q.onnx");
        OnnxExporter.Write(q, QMetadata.For(task, LearnerSettings.For(task), "run-1") with { Gamma = gamma }, path);
        Assert.That(() => Mpq.Controller.Onnx.OnnxTerminalCost.Load(path, task),
            Throws.InstanceOf<Mpq.Controller.Onnx.QModelException>().With.Message.Contains("mpq.gamma"));
    }

    [TestCase(3, 1, new[] { 64, 64 }, 1UL)]
    [TestCase(5, 2, new[] { 16 }, 7UL)]
    [TestCase(1, 1, new[] { 8, 8, 8 }, 3UL)]
    public void Export_LoadedInOnnxRuntime_MatchesForwardTo1e5(int obs, int act, int[] hidden, ulong seed)
    {
        var scale = Enumerable.Range(0, obs + act).Select(i => 0.5f + 0.25f * i).ToArray();
        var q = new QFunction(obs, act, hidden, scale, outputScale: 100, seed);
        var path = Path.Combine(_dir, "q.onnx");
        OnnxExporter.Write(q, new Mpq.Controller.Onnx.QFileMetadata("test", Enumerable.Range(0, obs).Select(i => $"o{i}").ToArray(), act, 0.1, 0.99, 8, "run-1"), path);

        using var session = new InferenceSession(path);
        Assert.That(session.InputMetadata.Keys, Is.EquivalentTo(new[] { "observation", "action" }));
        Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "q" }));
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.That(meta[Mpq.Controller.Onnx.QFileMetadata.Keys.Task], Is.EqualTo("test"));
        Assert.That(meta[Mpq.Controller.Onnx.QFileMetadata.Keys.Gamma], Is.EqualTo("0.99"));

        var rng = new Random((int)seed);
        foreach (var batch in new[] { 1, 7, 256 })
        {
            var o = Enumerable.Range(0, batch * obs).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var a = Enumerable.Range(0, batch * act).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var expected = new float[batch];
            q.Evaluate(o, a, batch, expected, q.CreateScratch(batch));

            using var ov = OrtValue.CreateTensorValueFromMemory(o, [batch, obs]);
            using var av = OrtValue.CreateTensorValueFromMemory(a, [batch, act]);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, ["observation", "action"], [ov, av], ["q"]);
            var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
            Assert.That(results[0].GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { batch, 1 }));
            // Both are float32 evaluations of one function with approximate tanh (ONNX Runtime's is ~1.2e-5
            // relative off at worst, measured). So: the network's raw output (before the fixed output scale)
            // agrees to 1e-5, and each implementation is within 3e-5 relative of the exact function.
            var exact = Exact(q, o, a, batch);
            for (var i = 0; i < batch; i++)
            {
                Assert.That(actual[i] / q.OutputScale, Is.EqualTo(expected[i] / q.OutputScale).Within(1e-5), $"raw output, batch {batch} row {i}");
                var tolerance = 3e-5 * Math.Max(1, Math.Abs(exact[i]));
                Assert.That(actual[i], Is.EqualTo(exact[i]).Within(tolerance), $"ONNX Runtime vs exact, batch {batch} row {i}");
                Assert.That(expected[i], Is.EqualTo(exact[i]).Within(tolerance), $"trainer vs exact, batch {batch} row {i}");
            }
        }
    }

    /// <summary>The network's function in double precision with exact tanh, from its parameters.</summary>
    private static double[] Exact(QFunction q, float[] observations, float[] actions, int batch)
    {
        var net = q.Network;
        var result = new double[batch];
        for (var r = 0; r < batch; r++)
        {
            var x = new double[q.InputSize];
            for (var j = 0; j < q.ObservationSize; j++)
            {
                x[j] = observations[r * q.ObservationSize + j] * (double)q.InputScale[j];
            }
            for (var j = 0; j < q.ActionSize; j++)
            {
                x[q.ObservationSize + j] = actions[r * q.ActionSize + j] * (double)q.InputScale[q.ObservationSize + j];
            }
            for (var l = 0; l < net.Layers; l++)
            {
                var nIn = net.Sizes[l];
                var nOut = net.Sizes[l + 1];
                var w = net.Weights(l);
                var b = net.Bias(l);
                var z = new double[nOut];
                for (var j = 0; j < nOut; j++)
                {
                    z[j] = b[j];
                    for (var k = 0; k < nIn; k++)
                    {
                        z[j] += (double)w[k * nOut + j] * x[k];
                    }
                    if (l < net.Layers - 1)
                    {
                        z[j] = Math.Tanh(z[j]);
                    }
                }
                x = z;
            }
            result[r] = x[0] * q.OutputScale;
        }
        return result;
    }

    [Test]
    public void Export_MetadataNotMatchingQ_Throws()
    {
        var q = new QFunction(3, 1, [4], [1, 1, 1, 1], 1, 1);
        Assert.Throws<ArgumentException>(() => OnnxExporter.Encode(q, new Mpq.Controller.Onnx.QFileMetadata("t", ["a", "b"], 1, 0.1, 0.99, 8, "r")));
    }
}
