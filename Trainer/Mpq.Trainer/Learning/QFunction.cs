using Mpq.Planning.Mppi;

namespace Mpq.Trainer.Learning;

/// <summary>
/// A soft Q function Q(s, a) as a cost-to-go: an <see cref="Mlp"/> over the scaled observation and action,
/// its output multiplied by <see cref="OutputScale"/>. The scales are folded into the first and last
/// layers when exported to ONNX.
/// </summary>
public sealed class QFunction
{
    /// <param name="observationSize">Observation entries.</param>
    /// <param name="actionSize">Action entries.</param>
    /// <param name="hidden">Hidden layer widths.</param>
    /// <param name="inputScale">Multiplies each input (observation, then action) before the first layer.</param>
    /// <param name="outputScale">Multiplies the network's output: Q = network × this.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    /// <param name="initialOutputGain">
    /// Scales the output layer's initial weights: below 1 the untrained Q starts near zero, so it does not drown a
    /// task whose step costs are small against <paramref name="outputScale"/> (the planner then starts as plain MPPI).
    /// </param>
    public QFunction(int observationSize, int actionSize, IReadOnlyList<int> hidden, float[] inputScale, float outputScale, ulong seed, float initialOutputGain = 1)
    {
        if (inputScale.Length != observationSize + actionSize)
        {
            throw new ArgumentException($"input scale needs {observationSize + actionSize} entries");
        }
        if (!float.IsFinite(outputScale) || outputScale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outputScale), outputScale, "output scale must be positive");
        }
        ObservationSize = observationSize;
        ActionSize = actionSize;
        InputScale = inputScale;
        OutputScale = outputScale;
        if (!float.IsFinite(initialOutputGain) || initialOutputGain is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(initialOutputGain), initialOutputGain, "initial output gain must be in [0, 1]");
        }
        Network = new Mlp([observationSize + actionSize, .. hidden, 1], seed);
        foreach (ref var w in Network.Weights(Network.Layers - 1))
        {
            w *= initialOutputGain;
        }
    }

    public int ObservationSize { get; }
    public int ActionSize { get; }
    public int InputSize => ObservationSize + ActionSize;
    public float[] InputScale { get; }
    public float OutputScale { get; }
    public Mlp Network { get; }

    /// <summary>Writes scaled network inputs for <paramref name="count"/> rows.</summary>
    public void PackInputs(ReadOnlySpan<float> observations, ReadOnlySpan<float> actions, int count, Span<float> inputs)
    {
        var o = ObservationSize;
        var m = ActionSize;
        for (var r = 0; r < count; r++)
        {
            var row = inputs.Slice(r * InputSize, InputSize);
            for (var j = 0; j < o; j++)
            {
                row[j] = observations[r * o + j] * InputScale[j];
            }
            for (var j = 0; j < m; j++)
            {
                row[o + j] = actions[r * m + j] * InputScale[o + j];
            }
        }
    }

    /// <summary>Q for <paramref name="count"/> rows (forward only; safe in parallel with distinct workspaces).</summary>
    public void Evaluate(ReadOnlySpan<float> observations, ReadOnlySpan<float> actions, int count, Span<float> values, QScratch scratch)
    {
        PackInputs(observations, actions, count, scratch.Inputs);
        Network.Forward(scratch.Workspace, scratch.Inputs, count, values);
        for (var i = 0; i < count; i++)
        {
            values[i] *= OutputScale;
        }
    }

    /// <summary>One SGD step on the mean squared error to <paramref name="targets"/>; returns the loss (in cost units²).</summary>
    public double Train(ReadOnlySpan<float> observations, ReadOnlySpan<float> actions, ReadOnlySpan<float> targets, int count, Adam optimiser, QScratch scratch)
    {
        PackInputs(observations, actions, count, scratch.Inputs);
        var outputs = scratch.Outputs[..count];
        Network.Forward(scratch.Workspace, scratch.Inputs, count, outputs);
        var gradient = scratch.OutputGradient[..count];
        double loss = 0;
        for (var i = 0; i < count; i++)
        {
            var error = outputs[i] - targets[i] / OutputScale;
            loss += error * error;
            gradient[i] = 2 * error / count;
        }
        Network.ZeroGradients();
        Network.Backward(scratch.Workspace, gradient, count);
        optimiser.Step(Network.Parameters, Network.Gradients);
        return loss / count * OutputScale * OutputScale;
    }

    /// <summary>Creates buffers for batches up to <paramref name="maxBatch"/> rows.</summary>
    public QScratch CreateScratch(int maxBatch) => new(this, maxBatch);

    /// <summary>A terminal cost for one planner, reading this Q's current weights.</summary>
    public ITerminalCost AsTerminalCost() => new TerminalView(this);

    private sealed class TerminalView(QFunction q) : ITerminalCost
    {
        private float[] _observations = [];
        private float[] _actions = [];
        private float[] _values = [];
        private QScratch? _scratch;

        public int ObservationSize => q.ObservationSize;
        public int ActionSize => q.ActionSize;

        public void Bind(float[] observations, float[] actions, float[] values, int capacity)
        {
            _observations = observations;
            _actions = actions;
            _values = values;
            if (_scratch is null || _scratch.Workspace.MaxBatch < capacity)
            {
                _scratch = q.CreateScratch(capacity);
            }
        }

        public void Evaluate(int count) => q.Evaluate(_observations, _actions, count, _values, _scratch!);
    }
}

/// <summary>One thread's buffers for evaluating or training a <see cref="QFunction"/>.</summary>
public sealed class QScratch
{
    private readonly float[] _outputs;
    private readonly float[] _gradient;

    internal QScratch(QFunction q, int maxBatch)
    {
        Workspace = new MlpWorkspace(q.Network, maxBatch);
        Inputs = new float[maxBatch * q.InputSize];
        _outputs = new float[maxBatch];
        _gradient = new float[maxBatch];
    }

    public MlpWorkspace Workspace { get; }
    internal float[] Inputs { get; }
    internal Span<float> Outputs => _outputs;
    internal Span<float> OutputGradient => _gradient;
}
