using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Mpq.Planning.Control;
using Mpq.Protocol.Learning;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Online;

/// <summary>What <c>trainer serve</c> learns with.</summary>
/// <param name="OutputDirectory">Where q.onnx (the latest Q sent) and checkpoint.bin live; a checkpoint there is resumed.</param>
/// <param name="Pacing">Swap interval and update ratio (the period is the task's).</param>
/// <param name="Threads">Target workers.</param>
public sealed record ServeArguments(string OutputDirectory, OnlinePacing Pacing, int Threads);

/// <summary>
/// The off-board half of online MPQ: one rig's controller at a time streams its transitions (<c>controller run
/// --learn-from</c>); the same <see cref="OnlineLearner"/> as <c>train --rig --online</c> learns from them and every
/// new Q goes back over the stream. The learner outlives a connection: a controller that reconnects continues the
/// same run, and a restarted server resumes from its checkpoint.
/// </summary>
/// <remarks>
/// Distrusts its peer: the Hello must name this server's task with its sizes and a finite positive torque limit (the
/// same as the run's first rig), every batch must have the sizes it claims and finite numbers, or the call is refused
/// with the reason; nothing a controller sends can reach the learner unchecked.
/// </remarks>
public sealed class LearningServer : IDisposable
{
    private const int MaxBatch = 10_000;
    private readonly ITask _baseTask;
    private readonly LearnerSettings _settings;
    private readonly ServeArguments _args;
    private readonly Action<string> _log;
    private readonly Lock _gate = new();
    private string? _busyWith;
    private Learner? _learner;
    private ITask? _task;
    private double _limit;
    private string _fingerprint = "";

    public LearningServer(ITask task, LearnerSettings settings, ServeArguments args, Action<string> log)
    {
        args.Pacing.Validate();
        if (settings.Algorithm == Algorithm.Mppi)
        {
            throw new ArgumentException("plain MPPI learns nothing: serve --algo mpq or softq");
        }
        _baseTask = task;
        _settings = settings with { Warmup = settings.BatchSize };
        _args = args;
        _log = log;
        Directory.CreateDirectory(args.OutputDirectory);
    }

    private string CheckpointPath => Path.Combine(_args.OutputDirectory, "checkpoint.bin");

    private string RunId => $"{_baseTask.Name}-{_settings.Algorithm}-H{_settings.Horizon}-serve-seed{_settings.Seed}".ToLowerInvariant();

    /// <summary>
    /// One controller's session: Hello, Welcome, then transitions in and Q files out until either end stops or
    /// <paramref name="stopping"/> fires (the server's Ctrl-C: the host waits for open calls to end by themselves, up to
    /// its shutdown timeout, before it drops their connections).
    /// </summary>
    public async Task Learn(IAsyncStreamReader<FromController> requests, IServerStreamWriter<FromTrainer> responses, ServerCallContext context,
        CancellationToken stopping = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var cancel = either.Token;
        if (!await requests.MoveNext(cancel).ConfigureAwait(false) || requests.Current.BodyCase != FromController.BodyOneofCase.Hello)
        {
            throw Refuse("the first message must be a Hello");
        }
        var hello = requests.Current.Hello;
        var learner = Attach(hello, context.Peer);
        var task = _task!;
        var (o, a, x) = (task.ObservationSize, task.ActionSize, learner.Runner.Model.StateSize);
        using var online = StartLearning(learner, task, responses, out var health, cancel);
        try
        {
            // The controller acts with this server's own acting planner (what train --rig --online acts with), so the states it
            // visits are the policy's the Q is learned for.
            var planner = Controller.Rig.PlannerMessage.Write(_settings.Planner(_settings.Samples, _settings.Gamma, _settings.Seed));
            await responses.WriteAsync(new FromTrainer { Welcome = new Welcome { RunId = RunId, Transitions = learner.Replay.Added, Updates = learner.Updates, Planner = planner } }, cancel)
                .ConfigureAwait(false);
            online.PublishNow();
            online.Start();
            var observation = new double[o];
            var nextObservation = new double[o];
            var action = new double[a];
            var state = new double[x];
            var nextState = new double[x];
            while (await requests.MoveNext(cancel).ConfigureAwait(false))
            {
                var batch = requests.Current.Transitions ?? throw Refuse("after the Hello only Transitions may come");
                Check(batch, o, a, x);
                for (var i = 0; i < batch.Count; i++)
                {
                    Row(batch.Observation, i, observation);
                    Row(batch.NextObservation, i, nextObservation);
                    Row(batch.Action, i, action);
                    Row(batch.State, i, state);
                    Row(batch.NextState, i, nextState);
                    online.Ring.Add(new Transition(batch.Step[i], observation, action, batch.Cost[i], nextObservation, state, nextState, batch.Done[i]));
                }
                health.Value = new LoopHealth(batch.LoopSteps, batch.DeadlineMisses, batch.PlanMsP99);
            }
            _log($"controller {context.Peer} closed the stream");
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            _log($"controller {context.Peer} is gone (the connection dropped or the server stops)");
        }
        finally
        {
            online.Stop();
            _log(string.Create(CultureInfo.InvariantCulture,
                $"session ended: {online.Transitions} transitions, {learner.Updates} updates in all, {online.Swaps} Q file(s) sent; {CheckpointPath} written"));
            lock (_gate)
            {
                _busyWith = null;
            }
        }
    }

    /// <summary>Checks the Hello against this server's task and run, and takes the server for this controller.</summary>
    private Learner Attach(Hello hello, string peer)
    {
        var t = _baseTask;
        if (hello.Task != t.Name)
        {
            throw Refuse($"this trainer learns task '{t.Name}', the controller runs '{hello.Task}'");
        }
        if (hello.ObservationSize != t.ObservationSize || hello.ActionSize != t.ActionSize)
        {
            throw Refuse($"task '{t.Name}' has observation {t.ObservationSize} and action {t.ActionSize}, the controller says {hello.ObservationSize} and {hello.ActionSize}");
        }
        if (hello.TorqueLimit.Count != t.ActionSize || hello.TorqueLimit.Any(l => !double.IsFinite(l) || l <= 0))
        {
            throw Refuse($"the rig's torque limit must be {t.ActionSize} finite positive number(s), got [{string.Join(", ", hello.TorqueLimit)}]");
        }
        if (!double.IsFinite(hello.PeriodMs) || Math.Abs(hello.PeriodMs - 1000 * t.ControlPeriod) > 1e-6)
        {
            throw Refuse(string.Create(CultureInfo.InvariantCulture, $"task '{t.Name}' is learned at a {1000 * t.ControlPeriod:G6} ms period, the controller runs {hello.PeriodMs:G6} ms"));
        }
        if (ModelMismatch(t, hello.Model) is { } mismatch)
        {
            throw Refuse(mismatch);
        }
        lock (_gate)
        {
            if (_busyWith is not null)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the trainer is learning with another controller ({_busyWith}): one rig at a time"));
            }
            var limit = hello.TorqueLimit.Min();
            if (_learner is null)
            {
                _task = new ActionLimitedTask(t, limit);
                _limit = limit;
                _fingerprint = _task.Name + JsonSerializer.Serialize(_settings) + string.Create(CultureInfo.InvariantCulture, $"limit={limit:R}");
                var learner = new Learner(_task, _settings, _args.Threads, targetNice: OnlineLearner.Nice);
                if (File.Exists(CheckpointPath))
                {
                    try
                    {
                        learner.LoadCheckpoint(CheckpointPath, _fingerprint, int.MaxValue);
                    }
                    catch (InvalidDataException e)
                    {
                        learner.Dispose();
                        throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{e.Message}: start the trainer with another --out, or move the checkpoint away"));
                    }
                    _log($"resumed {CheckpointPath}: {learner.Replay.Count} transitions, {learner.Updates} updates");
                }
                _learner = learner;
            }
            else if (limit != _limit)
            {
                throw Refuse(string.Create(CultureInfo.InvariantCulture, $"this run learns within ±{_limit:G6} (its first rig's limit), this rig's is ±{limit:G6}: start another trainer"));
            }
            if (hello.StateSize != _learner.Runner.Model.StateSize)
            {
                throw Refuse($"the model's physics state has {_learner.Runner.Model.StateSize} entries, the controller sends {hello.StateSize}");
            }
            _busyWith = $"{peer}, rig '{hello.Rig}'";
            _log(string.Create(CultureInfo.InvariantCulture, $"controller {peer} (rig '{hello.Rig}', ±{limit:G4}): learning {_settings.Algorithm} H={_settings.Horizon}"));
            return _learner;
        }
    }

    /// <summary>
    /// Why a controller planning on <paramref name="model"/> cannot act for this run (its targets are computed on the prior's
    /// means, the model <c>train --rig --online</c> acts on), or null when the two models are one.
    /// </summary>
    internal static string? ModelMismatch(ITask task, IDictionary<string, double> model)
    {
        var means = TaskParameters.Means(task.Parameters);
        var same = model.Count == means.Length;
        for (var i = 0; same && i < means.Length; i++)
        {
            same = model.TryGetValue(task.Parameters[i].Name, out var v) && Math.Abs(v - means[i]) <= 1e-9 * Math.Abs(means[i]);
        }
        if (same)
        {
            return null;
        }
        var c = CultureInfo.InvariantCulture;
        var theirs = string.Join(", ", model.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => string.Create(c, $"{p.Key}={p.Value:G6}")));
        var ours = string.Join(", ", task.Parameters.Select((p, i) => string.Create(c, $"{p.Name}={means[i]:G6}")));
        var prior = string.Join(",", task.Parameters.Select(p => string.Create(c, $"{p.Name}={p.Prior.MeanFactor:G6}:{p.Prior.HalfWidthFactor:G6}")));
        return $"the controller plans on {(theirs.Length == 0 ? "no model parameters" : theirs)}, this trainer learns on {ours}: start the controller with --prior {prior} (or this trainer with the controller's)";
    }

    private OnlineLearner StartLearning(Learner learner, ITask task, IServerStreamWriter<FromTrainer> responses, out HealthBox health, CancellationToken cancel)
    {
        var qPath = Path.Combine(_args.OutputDirectory, "q.onnx");
        var box = new HealthBox();
        health = box;
        var ring = new TransitionRing((int)Math.Ceiling(30 / task.ControlPeriod), task.ObservationSize, task.ActionSize, learner.Runner.Model.StateSize);
        string Publish()
        {
            // The learner's thread is the only writer of the response stream once the Welcome is out.
            Onnx.OnnxExporter.Write(learner.Q!, Onnx.QMetadata.For(task, _settings, RunId), qPath);
            try
            {
                responses.WriteAsync(new FromTrainer { Q = new QFile { Onnx = ByteString.CopyFrom(File.ReadAllBytes(qPath)), Updates = learner.Updates, Transitions = learner.Replay.Added } }, cancel)
                    .GetAwaiter().GetResult();
                return "ok";
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or IOException or RpcException)
            {
                return $"error: the controller is gone ({e.Message})";
            }
        }
        return new OnlineLearner(learner, ring, Publish, () => box.Value, _args.Pacing with { PeriodMs = 1000 * task.ControlPeriod }, _log,
            () => learner.SaveCheckpoint(CheckpointPath, _fingerprint));
    }

    private static void Check(Transitions b, int o, int a, int x)
    {
        var n = b.Count;
        if (n is < 0 or > MaxBatch)
        {
            throw Refuse($"a batch holds 0 .. {MaxBatch} transitions, this one says {n}");
        }
        if (b.Step.Count != n || b.Cost.Count != n || b.Done.Count != n || b.Observation.Count != n * o || b.NextObservation.Count != n * o
            || b.Action.Count != n * a || b.State.Count != n * x || b.NextState.Count != n * x)
        {
            throw Refuse($"a batch of {n} transitions must hold {n} steps, costs and done flags, {n * o} observation and {n * a} action and {n * x} state entries each way");
        }
        if (!AllFinite(b.Observation) || !AllFinite(b.NextObservation) || !AllFinite(b.Action) || !AllFinite(b.State) || !AllFinite(b.NextState) || !AllFinite(b.Cost))
        {
            throw Refuse("a batch holds a number that is not finite");
        }
    }

    private static bool AllFinite(IEnumerable<double> values) => values.All(double.IsFinite);

    private static void Row(Google.Protobuf.Collections.RepeatedField<double> field, int row, double[] into)
    {
        for (var j = 0; j < into.Length; j++)
        {
            into[j] = field[row * into.Length + j];
        }
    }

    private static RpcException Refuse(string why) => new(new Status(StatusCode.InvalidArgument, why));

    /// <summary>The latest health a controller reported (written by the call's reader, read by the learner).</summary>
    private sealed class HealthBox
    {
        private LoopHealth _value;
        private readonly Lock _gate = new();

        public LoopHealth Value
        {
            get
            {
                lock (_gate)
                {
                    return _value;
                }
            }
            set
            {
                lock (_gate)
                {
                    _value = value;
                }
            }
        }
    }

    public void Dispose() => _learner?.Dispose();
}
