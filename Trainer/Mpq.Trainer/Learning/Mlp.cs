using System.Numerics.Tensors;
using Mpq.Common;

namespace Mpq.Trainer.Learning;

/// <summary>
/// A small fully connected network (tanh hidden layers, linear output) with batched forward and
/// backward passes on <see cref="TensorPrimitives"/>. Parameters live in one flat array so the
/// optimiser, checkpoints and the ONNX exporter see one vector.
/// </summary>
/// <remarks>
/// Weights are stored input-major ([in][out]), so both passes are SIMD multiply-adds over the output
/// width. Forward-only evaluation with a <see cref="MlpWorkspace"/> per thread may run concurrently;
/// training (forward with gradients, backward, parameter updates) is single-threaded.
/// </remarks>
public sealed class Mlp
{
    private readonly int[] _weightOffset;
    private readonly int[] _biasOffset;

    public Mlp(IReadOnlyList<int> sizes, ulong seed)
    {
        if (sizes.Count < 2 || sizes.Any(s => s < 1))
        {
            throw new ArgumentException("an MLP needs at least an input and an output size, all positive");
        }
        Sizes = [.. sizes];
        _weightOffset = new int[Layers];
        _biasOffset = new int[Layers];
        var offset = 0;
        for (var l = 0; l < Layers; l++)
        {
            _weightOffset[l] = offset;
            offset += Sizes[l] * Sizes[l + 1];
            _biasOffset[l] = offset;
            offset += Sizes[l + 1];
        }
        Parameters = new float[offset];
        Gradients = new float[offset];
        var rng = new SplitMix64(seed);
        for (var l = 0; l < Layers; l++)
        {
            // Glorot-uniform weights, zero biases.
            var limit = Math.Sqrt(6.0 / (Sizes[l] + Sizes[l + 1]));
            var w = Weights(l);
            for (var i = 0; i < w.Length; i++)
            {
                w[i] = (float)rng.Uniform(-limit, limit);
            }
        }
    }

    /// <summary>Layer widths, input first.</summary>
    public int[] Sizes { get; }

    public int Layers => Sizes.Length - 1;
    public int InputSize => Sizes[0];
    public int OutputSize => Sizes[^1];

    /// <summary>All weights and biases, layer by layer (weights [in][out], then bias [out]).</summary>
    public float[] Parameters { get; }

    /// <summary>Accumulated gradients, same layout as <see cref="Parameters"/>.</summary>
    public float[] Gradients { get; }

    /// <summary>Weights of layer <paramref name="layer"/>, input-major [in][out].</summary>
    public Span<float> Weights(int layer) => Parameters.AsSpan(_weightOffset[layer], Sizes[layer] * Sizes[layer + 1]);

    public Span<float> Bias(int layer) => Parameters.AsSpan(_biasOffset[layer], Sizes[layer + 1]);

    /// <summary>Evaluates <paramref name="batch"/> rows of <paramref name="input"/> into <paramref name="output"/>.</summary>
    public void Forward(MlpWorkspace workspace, ReadOnlySpan<float> input, int batch, Span<float> output)
    {
        workspace.Check(this, batch);
        input[..(batch * InputSize)].CopyTo(workspace.Activation(0, batch));
        for (var l = 0; l < Layers; l++)
        {
            var x = workspace.Activation(l, batch);
            var z = workspace.Activation(l + 1, batch);
            var nIn = Sizes[l];
            var nOut = Sizes[l + 1];
            var w = Weights(l);
            var b = Bias(l);
            for (var r = 0; r < batch; r++)
            {
                var row = z.Slice(r * nOut, nOut);
                b.CopyTo(row);
                var xr = x.Slice(r * nIn, nIn);
                for (var k = 0; k < nIn; k++)
                {
                    TensorPrimitives.MultiplyAdd(w.Slice(k * nOut, nOut), xr[k], row, row);
                }
            }
            if (l < Layers - 1)
            {
                TensorPrimitives.Tanh(z, z);
            }
        }
        workspace.Activation(Layers, batch).CopyTo(output);
    }

    /// <summary>
    /// Back-propagates d(loss)/d(output) for the batch last passed to <see cref="Forward"/> with the same
    /// workspace, adding parameter gradients into <see cref="Gradients"/>.
    /// </summary>
    public void Backward(MlpWorkspace workspace, ReadOnlySpan<float> outputGradient, int batch)
    {
        workspace.Check(this, batch);
        var delta = workspace.Delta(Layers, batch);
        outputGradient[..(batch * OutputSize)].CopyTo(delta);
        for (var l = Layers - 1; l >= 0; l--)
        {
            var nIn = Sizes[l];
            var nOut = Sizes[l + 1];
            var x = workspace.Activation(l, batch);
            var dz = workspace.Delta(l + 1, batch);
            var dx = workspace.Delta(l, batch);
            var w = Weights(l);
            var gw = Gradients.AsSpan(_weightOffset[l], nIn * nOut);
            var gb = Gradients.AsSpan(_biasOffset[l], nOut);
            for (var r = 0; r < batch; r++)
            {
                var dzr = dz.Slice(r * nOut, nOut);
                var xr = x.Slice(r * nIn, nIn);
                TensorPrimitives.Add(gb, dzr, gb);
                for (var k = 0; k < nIn; k++)
                {
                    var gwk = gw.Slice(k * nOut, nOut);
                    TensorPrimitives.MultiplyAdd(dzr, xr[k], gwk, gwk);
                    if (l > 0)
                    {
                        dx[r * nIn + k] = TensorPrimitives.Dot(w.Slice(k * nOut, nOut), dzr);
                    }
                }
            }
            if (l > 0)
            {
                // Through tanh: d/dz = d/da · (1 − a²), with a the stored activation.
                for (var i = 0; i < batch * nIn; i++)
                {
                    var a = x[i];
                    dx[i] *= 1 - a * a;
                }
            }
        }
    }

    public void ZeroGradients() => Array.Clear(Gradients);

    /// <summary>Copies parameters from a network of the same shape (target networks, checkpoints).</summary>
    public void CopyFrom(Mlp other)
    {
        if (!other.Sizes.SequenceEqual(Sizes))
        {
            throw new ArgumentException("networks differ in shape");
        }
        other.Parameters.CopyTo(Parameters, 0);
    }

    /// <summary>Polyak averaging: θ ← τ θ_other + (1 − τ) θ.</summary>
    public void BlendFrom(Mlp other, float tau)
    {
        TensorPrimitives.Multiply(Parameters, 1 - tau, Parameters);
        TensorPrimitives.MultiplyAdd(other.Parameters, tau, Parameters, Parameters);
    }
}

/// <summary>Activation and delta buffers for one thread's passes through an <see cref="Mlp"/>, sized once.</summary>
public sealed class MlpWorkspace
{
    private readonly float[][] _activation;
    private readonly float[][] _delta;
    private readonly int[] _sizes;

    public MlpWorkspace(Mlp network, int maxBatch)
    {
        _sizes = network.Sizes;
        MaxBatch = maxBatch;
        _activation = _sizes.Select(s => new float[s * maxBatch]).ToArray();
        _delta = _sizes.Select(s => new float[s * maxBatch]).ToArray();
    }

    public int MaxBatch { get; }

    internal Span<float> Activation(int layer, int batch) => _activation[layer].AsSpan(0, _sizes[layer] * batch);

    internal Span<float> Delta(int layer, int batch) => _delta[layer].AsSpan(0, _sizes[layer] * batch);

    internal void Check(Mlp network, int batch)
    {
        if (batch < 0 || batch > MaxBatch || !ReferenceEquals(network.Sizes, _sizes) && !network.Sizes.SequenceEqual(_sizes))
        {
            throw new ArgumentException($"workspace fits batches up to {MaxBatch} of this network's shape (asked {batch})");
        }
    }
}
