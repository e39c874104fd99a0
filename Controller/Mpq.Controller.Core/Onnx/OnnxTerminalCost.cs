using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Controller.Onnx;

/// <summary>Why a Q file was refused.</summary>
public sealed class QModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A learned Q function from an ONNX file as MPPI's terminal cost, evaluated by ONNX Runtime for all N
/// samples in one call over pre-bound buffers (an <see cref="OrtIoBinding"/> over the planner's pinned arrays).
/// </summary>
/// <remarks>
/// Loading validates everything before the rig could use it: a file of at most <see cref="MaxFileBytes"/>, loaded within
/// <see cref="LoadTimeout"/>; a readable ONNX model; inputs <c>observation</c> [N, obs] and <c>action</c> [N, act] and
/// output <c>q</c> [N, 1] (as the file declares it and as ONNX Runtime infers it), all float32;
/// and the <c>mpq.task</c>, <c>mpq.observation_layout</c> and <c>mpq.action_size</c> metadata matching the
/// task. A refused file throws <see cref="QModelException"/> naming what was expected and what was found.
/// ONNX Runtime runs single-threaded here: the planner's own workers own the cores.
/// </remarks>
public sealed class OnnxTerminalCost : ITerminalCost, IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private OrtIoBinding? _binding;
    private OrtValue? _observations;
    private OrtValue? _actions;
    private OrtValue? _values;

    private OnnxTerminalCost(InferenceSession session, string path, int observationSize, int actionSize, IReadOnlyDictionary<string, string> metadata)
    {
        _session = session;
        Path = path;
        ObservationSize = observationSize;
        ActionSize = actionSize;
        Metadata = metadata;
    }

    public string Path { get; }
    public int ObservationSize { get; }
    public int ActionSize { get; }

    /// <summary>The file's metadata (task, layout, λ, γ, horizon, run id).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>λ the Q was trained with, if the file says.</summary>
    public double? TrainedLambda => Number(QFileMetadata.Keys.Lambda);

    /// <summary>The horizon the Q was trained with, if the file says.</summary>
    public int? TrainedHorizon => Metadata.TryGetValue(QFileMetadata.Keys.Horizon, out var v) && int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var h) ? h : null;

    /// <summary>γ the Q was trained with, if the file says.</summary>
    public double? TrainedGamma => Number(QFileMetadata.Keys.Gamma);

    /// <summary>
    /// The terminal floor the Q was trained under (<c>mpq.terminal_floor</c>), or null for none ("none", or a file from
    /// before it existed): the planner must use the same one, or it believes values of the Q its training never did.
    /// </summary>
    public double? TrainedTerminalFloor => Number(QFileMetadata.Keys.TerminalFloor) is { } floor && double.IsFinite(floor) ? floor : null;

    /// <summary>
    /// The upper action limits the Q was learned under (<c>mpq.action_high</c>), or null in a file from before they were
    /// recorded. A Q is a cost-to-go under its action range: planning within a narrower one (a rig's torque limit)
    /// chases values the planner cannot reach (<see cref="Mpq.Tasks.ActionLimitedTask"/>).
    /// </summary>
    public double[]? TrainedActionHigh { get; private set; }

    /// <summary>The lower action limits the Q was learned under (<c>mpq.action_low</c>), or null.</summary>
    public double[]? TrainedActionLow { get; private set; }

    /// <summary>
    /// A warning when the limits the planner will use (<paramref name="low"/>, <paramref name="high"/>) differ from the
    /// range the Q was learned for, or null when they agree or the file does not say.
    /// </summary>
    /// <remarks>
    /// Narrower: the Q values swings the planner cannot finish (on the pendulum rig, near misses that never swung up).
    /// Wider: the planner scores actions the Q never saw and seeks out its guesses there (the 1 N·m rig Q planned at
    /// ±2 N·m held the pendulum leaning 0.2–0.3 rad off upright in half the episodes).
    /// </remarks>
    /// <param name="low">The planner's lower action limits.</param>
    /// <param name="high">The planner's upper action limits.</param>
    /// <param name="planWithin">How the person running this program sets the planner's limit (a program's option, or
    /// on a rig the rig's own torque_limit): the warning's remedy names it.</param>
    public string? ActionRangeWarning(ReadOnlySpan<double> low, ReadOnlySpan<double> high, string planWithin = "--torque-limit")
    {
        if (TrainedActionLow is not { } trainedLow || TrainedActionHigh is not { } trainedHigh)
        {
            return null;
        }
        var narrower = false;
        var wider = false;
        for (var a = 0; a < high.Length; a++)
        {
            narrower |= high[a] < trainedHigh[a] - 1e-9 || low[a] > trainedLow[a] + 1e-9;
            wider |= high[a] > trainedHigh[a] + 1e-9 || low[a] < trainedLow[a] - 1e-9;
        }
        if (!narrower && !wider)
        {
            return null;
        }
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string Range(IEnumerable<double> from, IEnumerable<double> to) =>
            $"[{string.Join(", ", from.Select(v => v.ToString(c)))}] .. [{string.Join(", ", to.Select(v => v.ToString(c)))}]";
        return $"the Q '{System.IO.Path.GetFileName(Path)}' was learned for actions in {Range(trainedLow, trainedHigh)} "
            + $"but the planner is limited to {Range(low.ToArray(), high.ToArray())}: "
            + (narrower
                ? "its values assume actions the planner cannot take (on the pendulum: near misses that never swing up)"
                : "the planner scores actions the Q never saw and follows its guesses there (on the pendulum: a steady lean off upright)")
            + $"; learn a Q for this limit (trainer train --torque-limit) or plan within the Q's ({planWithin})";
    }

    /// <summary>A number the file's metadata holds under <paramref name="key"/>, or null when absent or not a number.</summary>
    private double? Number(string key) =>
        Metadata.TryGetValue(key, out var v) && double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>The largest Q file loaded: a Q network is kilobytes to a few MB; a file of gigabytes took minutes and GBs to load.</summary>
    public const long MaxFileBytes = 64L << 20;

    /// <summary>How long building the ONNX Runtime session may take before the file is refused.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(20);


    /// <summary>
    /// Set when the Q was learned for another version of the rig's files and <c>allowOtherRig</c> let it load anyway: what
    /// to tell the person who chose that.
    /// </summary>
    public string? RigWarning { get; private set; }

    /// <summary>Loads and validates a Q file for <paramref name="task"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="task">The task it must have been learned for.</param>
    /// <param name="allowOtherRig">Load a Q learned for another version of the rig's files (a hash mismatch), with <see cref="RigWarning"/>.</param>
    /// <exception cref="QModelException">Missing, too large, slow to load, malformed, wrong shape or type, trained for another
    /// task, or (unless <paramref name="allowOtherRig"/>) for another version of the rig's files.</exception>
    public static OnnxTerminalCost Load(string path, ITask task, bool allowOtherRig = false)
    {
        if (!File.Exists(path))
        {
            throw new QModelException($"Q file '{path}' does not exist");
        }
        var length = new FileInfo(path).Length;
        if (length > MaxFileBytes)
        {
            throw new QModelException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Q file '{path}' is {length / 1048576.0:F1} MiB; a Q file is at most {MaxFileBytes >> 20} MiB (a Q network is kilobytes to a few MB)"));
        }
        var model = File.ReadAllBytes(path);
        if (OnnxDeclaredShapes.Output(model, QFileMetadata.Output) is { } declared && !(declared.Count == 2 && declared[1] == "1"))
        {
            throw new QModelException($"Q file '{path}': output 'q' is declared [{string.Join(", ", declared)}]; a Q file declares [N, 1]");
        }
        var session = CreateSession(model, path);
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Expect(metadata.TryGetValue(QFileMetadata.Keys.Task, out var t) ? t : "(none)", task.Name, path, "task");
            var layout = string.Join(',', task.ObservationLayout);
            Expect(metadata.TryGetValue(QFileMetadata.Keys.ObservationLayout, out var l) ? l : "(none)", layout, path, "observation layout");
            CheckInput(session, path, QFileMetadata.ObservationInput, task.ObservationSize);
            CheckInput(session, path, QFileMetadata.ActionInput, task.ActionSize);
            if (!session.OutputMetadata.TryGetValue(QFileMetadata.Output, out var q))
            {
                throw new QModelException($"Q file '{path}': expected an output named 'q', found [{string.Join(", ", session.OutputMetadata.Keys)}]");
            }
            if (q.ElementDataType != TensorElementType.Float || !(q.Dimensions.Length == 2 && q.Dimensions[1] == 1))
            {
                throw new QModelException($"Q file '{path}': output 'q' must be float32 [N, 1], found {q.ElementDataType} [{string.Join(", ", q.Dimensions)}]");
            }
            var mismatch = metadata.TryGetValue(QFileMetadata.Keys.RigFingerprint, out var learnedFor) && task.Fingerprint is { } current && learnedFor != current
                ? $"Q file '{path}' was learned for another version of rig '{task.Name}' (its files hashed {learnedFor}, this rig's hash {current})"
                : null;
            if (mismatch is not null && !allowOtherRig)
            {
                throw new QModelException($"{mismatch}: learn a Q for this rig, or pass --allow-other-rig if you know the change does not matter");
            }
            var cost = new OnnxTerminalCost(session, path, task.ObservationSize, task.ActionSize, new Dictionary<string, string>(metadata))
            {
                RigWarning = mismatch is null ? null : $"{mismatch}; loaded anyway (--allow-other-rig)",
            };
            try
            {
                cost.TrainedActionLow = Numbers(metadata, QFileMetadata.Keys.ActionLow, task.ActionSize, path);
                cost.TrainedActionHigh = Numbers(metadata, QFileMetadata.Keys.ActionHigh, task.ActionSize, path);
                if (metadata.TryGetValue(QFileMetadata.Keys.Gamma, out var gamma) && cost.TrainedGamma is not (> 0 and <= 1))
                {
                    // The planner discounts with the Q's γ: a value it cannot plan with is refused here, not at a swap.
                    throw new QModelException($"Q file '{path}': metadata {QFileMetadata.Keys.Gamma} = '{gamma}' is not a discount in (0, 1]");
                }
                cost.Probe(task);
            }
            catch
            {
                cost.Dispose();
                throw;
            }
            return cost;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the session on another thread and waits at most <see cref="LoadTimeout"/>; a session that comes later is
    /// disposed when it comes. ONNX Runtime's own log is off (fatal only): its lines went to the terminal raw, with
    /// colour codes; what goes wrong reaches us as an exception, reported in our words.
    /// </summary>
    private static InferenceSession CreateSession(byte[] model, string path)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        var creating = Task.Run(() =>
        {
            try
            {
                return new InferenceSession(model, options);
            }
            finally
            {
                options.Dispose();
            }
        });
        try
        {
            if (!creating.Wait(LoadTimeout))
            {
                creating.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw new QModelException($"Q file '{path}' took longer than {LoadTimeout.TotalSeconds:F0} s to load: refusing it");
            }
            return creating.Result;
        }
        catch (AggregateException e) when (e.InnerException is OnnxRuntimeException ort)
        {
            throw new QModelException($"Q file '{path}' is not a loadable ONNX model: {Mpq.Common.Text.TerminalText.Printable(FirstLine(ort.Message))}", ort);
        }
    }

    /// <summary>A comma-separated list of <paramref name="count"/> finite numbers under <paramref name="key"/>, or null when absent.</summary>
    /// <exception cref="QModelException">Present but not such a list.</exception>
    private static double[]? Numbers(Dictionary<string, string> metadata, string key, int count, string path)
    {
        if (!metadata.TryGetValue(key, out var text))
        {
            return null;
        }
        var parts = text.Split(',');
        var values = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                values = [];
                break;
            }
        }
        if (values.Length != count)
        {
            throw new QModelException($"Q file '{path}': metadata {key} = '{text}' is not {count} comma-separated number(s)");
        }
        return values;
    }

    public void Bind(float[] observations, float[] actions, float[] values, int capacity)
    {
        DisposeBinding();
        _observations = OrtValue.CreateTensorValueFromMemory(observations, [capacity, ObservationSize]);
        _actions = OrtValue.CreateTensorValueFromMemory(actions, [capacity, ActionSize]);
        _values = OrtValue.CreateTensorValueFromMemory(values, [capacity, 1]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(QFileMetadata.ObservationInput, _observations);
        _binding.BindInput(QFileMetadata.ActionInput, _actions);
        _binding.BindOutput(QFileMetadata.Output, _values);
    }

    /// <summary>
    /// Runs the model once on <paramref name="rows"/> zero rows over scratch buffers, so that ONNX Runtime's
    /// first-run setup happens here (off the control loop) and not in the first planning step that uses it.
    /// The planner binds its own buffers afterwards.
    /// </summary>
    public void Warm(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Bind(new float[rows * ObservationSize], new float[rows * ActionSize], new float[rows], rows);
        Evaluate(rows);
        DisposeBinding();
    }

    /// <summary>Number of probe rows evaluated at load.</summary>
    public const int ProbeRows = 64;

    /// <summary>
    /// Evaluates the model on <see cref="ProbeRows"/> deterministic pseudo-random observations (within ±3) and actions (within
    /// the task's limits); a NaN or infinite output refuses the file, before it can reach a planner or a rig.
    /// </summary>
    private void Probe(ITask task)
    {
        var observations = new float[ProbeRows * ObservationSize];
        var actions = new float[ProbeRows * ActionSize];
        var values = new float[ProbeRows];
        var random = new Random(12345);
        for (var i = 0; i < observations.Length; i++)
        {
            observations[i] = (float)(6 * random.NextDouble() - 3);
        }
        for (var i = 0; i < actions.Length; i++)
        {
            var a = i % ActionSize;
            actions[i] = (float)(task.ActionLow[a] + random.NextDouble() * (task.ActionHigh[a] - task.ActionLow[a]));
        }
        Bind(observations, actions, values, ProbeRows);
        Evaluate(ProbeRows);
        DisposeBinding();
        var bad = values.Count(v => !float.IsFinite(v));
        if (bad > 0)
        {
            throw new QModelException($"Q file '{Path}' gives non-finite values (NaN or infinity) on {bad} of {ProbeRows} probe inputs: refusing it");
        }
    }

    /// <summary>Evaluates all bound rows (the planner always fills all of them).</summary>
    public void Evaluate(int count)
    {
        if (_binding is null)
        {
            throw new InvalidOperationException("Bind must be called before Evaluate");
        }
        _session.RunWithBinding(_runOptions, _binding);
    }

    private static void CheckInput(InferenceSession session, string path, string name, int width)
    {
        if (!session.InputMetadata.TryGetValue(name, out var input))
        {
            throw new QModelException($"Q file '{path}': expected an input named '{name}', found [{string.Join(", ", session.InputMetadata.Keys)}]");
        }
        var dims = input.Dimensions;
        if (input.ElementDataType != TensorElementType.Float || dims.Length != 2 || dims[1] != width)
        {
            throw new QModelException($"Q file '{path}': input '{name}' must be float32 [N, {width}], found {input.ElementDataType} [{string.Join(", ", dims)}]");
        }
    }

    private static void Expect(string found, string expected, string path, string what)
    {
        if (found != expected)
        {
            throw new QModelException($"Q file '{path}' was trained for {what} '{found}', this controller runs '{expected}'");
        }
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private void DisposeBinding()
    {
        _binding?.Dispose();
        _observations?.Dispose();
        _actions?.Dispose();
        _values?.Dispose();
        _binding = null;
    }

    public void Dispose()
    {
        DisposeBinding();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
