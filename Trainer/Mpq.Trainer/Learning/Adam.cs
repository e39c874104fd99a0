using System.Numerics.Tensors;

namespace Mpq.Trainer.Learning;

/// <summary>The Adam optimiser over a flat parameter vector (allocation-free per step).</summary>
public sealed class Adam(int size, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly float[] _m = new float[size];
    private readonly float[] _v = new float[size];
    private readonly float[] _scratch = new float[size];

    public float LearningRate { get; set; } = learningRate;
    public long Steps { get; private set; }

    /// <summary>First and second moment estimates (for checkpoints).</summary>
    public float[] FirstMoment => _m;
    public float[] SecondMoment => _v;

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Steps++;
        var c1 = 1 - MathF.Pow(beta1, Steps);
        var c2 = 1 - MathF.Pow(beta2, Steps);
        // m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²
        TensorPrimitives.Multiply(_m, beta1, _m);
        TensorPrimitives.MultiplyAdd(gradients, 1 - beta1, _m, _m);
        TensorPrimitives.Multiply(_v, beta2, _v);
        TensorPrimitives.Multiply(gradients, gradients, _scratch);
        TensorPrimitives.MultiplyAdd(_scratch, 1 - beta2, _v, _v);
        // θ ← θ − lr · (m / c1) / (sqrt(v / c2) + ε)
        TensorPrimitives.Multiply(_v, 1 / c2, _scratch);
        TensorPrimitives.Sqrt(_scratch, _scratch);
        TensorPrimitives.Add(_scratch, epsilon, _scratch);
        TensorPrimitives.Divide(_m, _scratch, _scratch);
        TensorPrimitives.MultiplyAdd(_scratch, -LearningRate / c1, parameters, parameters);
    }

    /// <summary>Restores the optimiser (checkpoint resume).</summary>
    public void Restore(long steps, ReadOnlySpan<float> m, ReadOnlySpan<float> v)
    {
        Steps = steps;
        m.CopyTo(_m);
        v.CopyTo(_v);
    }
}
