using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class MlpTests
{
    /// <summary>Loss = Σ_r Σ_o w_ro · y_ro, so dLoss/dy = w: checks Backward against central differences.</summary>
    [TestCase(new[] { 4, 16, 16, 1 })]
    [TestCase(new[] { 3, 8, 2 })]
    public void Backward_MatchesFiniteDifferences(int[] sizes)
    {
        var net = new Mlp(sizes, seed: 3);
        const int batch = 5;
        var rng = new Random(7);
        var input = Enumerable.Range(0, batch * sizes[0]).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var weights = Enumerable.Range(0, batch * sizes[^1]).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var ws = new MlpWorkspace(net, batch);
        var output = new float[batch * sizes[^1]];

        double Loss()
        {
            net.Forward(ws, input, batch, output);
            double sum = 0;
            for (var i = 0; i < output.Length; i++)
            {
                sum += (double)weights[i] * output[i];
            }
            return sum;
        }

        Loss();
        net.ZeroGradients();
        net.Backward(ws, weights, batch);
        var analytic = (float[])net.Gradients.Clone();
        const float eps = 1e-2f;
        var worst = 0.0;
        for (var p = 0; p < net.Parameters.Length; p++)
        {
            var saved = net.Parameters[p];
            net.Parameters[p] = saved + eps;
            var plus = Loss();
            net.Parameters[p] = saved - eps;
            var minus = Loss();
            net.Parameters[p] = saved;
            var numeric = (plus - minus) / (2 * eps);
            var error = Math.Abs(numeric - analytic[p]) / Math.Max(1e-2, Math.Abs(numeric) + Math.Abs(analytic[p]));
            worst = Math.Max(worst, error);
        }
        Assert.That(worst, Is.LessThan(1e-2), "largest relative gradient error");
    }

    [Test]
    public void Forward_SameSeed_SameOutputs_DifferentSeed_Different()
    {
        var a = new Mlp([2, 8, 1], 5);
        var b = new Mlp([2, 8, 1], 5);
        var c = new Mlp([2, 8, 1], 6);
        Assert.That(a.Parameters, Is.EqualTo(b.Parameters));
        Assert.That(a.Parameters, Is.Not.EqualTo(c.Parameters));
    }

    [Test]
    public void Forward_AllocatesNothing()
    {
        var net = new Mlp([4, 64, 64, 1], 1);
        var ws = new MlpWorkspace(net, 256);
        var input = new float[256 * 4];
        var output = new float[256];
        net.Forward(ws, input, 256, output);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            net.Forward(ws, input, 256, output);
        }
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void Workspace_TooSmallBatch_Throws()
    {
        var net = new Mlp([2, 4, 1], 1);
        var ws = new MlpWorkspace(net, 4);
        Assert.Throws<ArgumentException>(() => net.Forward(ws, new float[20], 10, new float[10]));
    }
}

[TestFixture]
public class AdamTests
{
    [Test]
    public void Step_MinimisesAQuadratic()
    {
        var x = new float[] { 3f, -2f };
        var adam = new Adam(2, learningRate: 0.1f);
        var g = new float[2];
        for (var i = 0; i < 500; i++)
        {
            g[0] = 2 * (x[0] - 1);
            g[1] = 2 * (x[1] + 0.5f);
            adam.Step(x, g);
        }
        Assert.That(x[0], Is.EqualTo(1f).Within(1e-2));
        Assert.That(x[1], Is.EqualTo(-0.5f).Within(1e-2));
    }

    [Test]
    public void Step_FirstStepMovesByLearningRate()
    {
        // Adam's bias correction makes the first step ≈ lr · sign(g).
        var x = new float[] { 0f };
        new Adam(1, learningRate: 0.01f).Step(x, [5f]);
        Assert.That(x[0], Is.EqualTo(-0.01f).Within(1e-6));
    }
}

[TestFixture]
public class QFunctionTests
{
    [Test]
    public void Train_FitsASmoothFunction()
    {
        var q = new QFunction(2, 1, [32, 32], [1f, 1f, 0.5f], outputScale: 10, seed: 1);
        var adam = new Adam(q.Network.Parameters.Length, 3e-3f);
        var scratch = q.CreateScratch(64);
        var rng = new Random(2);
        var obs = new float[128];
        var act = new float[64];
        var y = new float[64];
        double first = 0, last = 0;
        for (var step = 0; step < 1500; step++)
        {
            for (var i = 0; i < 64; i++)
            {
                obs[2 * i] = (float)(rng.NextDouble() * 2 - 1);
                obs[2 * i + 1] = (float)(rng.NextDouble() * 2 - 1);
                act[i] = (float)(rng.NextDouble() * 4 - 2);
                y[i] = 5 * obs[2 * i] * obs[2 * i] + 3 * obs[2 * i + 1] + act[i] * act[i];
            }
            var loss = q.Train(obs, act, y, 64, adam, scratch);
            if (step == 0)
            {
                first = loss;
            }
            last = loss;
        }
        Assert.That(last, Is.LessThan(first / 20), $"loss went from {first:F3} to {last:F3}");
        Assert.That(last, Is.LessThan(0.5));
    }

    [TestCase(0f)]
    [TestCase(0.05f)]
    public void InitialOutputGain_ScalesTheUntrainedOutput_HiddenLayersUntouched(float gain)
    {
        var full = new QFunction(2, 1, [16, 16], [1f, 1f, 1f], outputScale: 20, seed: 3);
        var small = new QFunction(2, 1, [16, 16], [1f, 1f, 1f], outputScale: 20, seed: 3, initialOutputGain: gain);
        float[] obs = [0.3f, -0.7f, 1.2f, 0.4f], act = [0.5f, -1.5f];
        float[] a = new float[2], b = new float[2];
        full.Evaluate(obs, act, 2, a, full.CreateScratch(2));
        small.Evaluate(obs, act, 2, b, small.CreateScratch(2));
        Assert.That(a.Select(v => Math.Abs(v)), Has.Some.GreaterThan(0.5f), "Glorot output is of order one times the scale");
        Assert.That(b, Is.EqualTo(a.Select(v => v * gain).ToArray()).Within(1e-5f), "only the output layer is scaled (zero biases)");
        Assert.That(small.Network.Weights(0).ToArray(), Is.EqualTo(full.Network.Weights(0).ToArray()));
    }

    [TestCase(-0.1f)]
    [TestCase(1.5f)]
    [TestCase(float.NaN)]
    public void InitialOutputGain_OutOfRange_Throws(float gain) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new QFunction(1, 1, [4], [1f, 1f], 1, 1, gain));

    [Test]
    public void TerminalView_EvaluatesBoundRows()
    {
        var q = new QFunction(1, 1, [4], [1f, 1f], 1, 1);
        var view = q.AsTerminalCost();
        float[] obs = [0.5f, -0.5f], act = [1f, -1f], values = new float[2];
        view.Bind(obs, act, values, 2);
        view.Evaluate(2);
        var expected = new float[2];
        q.Evaluate(obs, act, 2, expected, q.CreateScratch(2));
        Assert.That(values, Is.EqualTo(expected));
    }
}
