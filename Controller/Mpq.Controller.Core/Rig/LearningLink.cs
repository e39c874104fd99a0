using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Mpq.Common;
using Mpq.Controller.Onnx;
using Mpq.Planning.Control;
using Mpq.Protocol.Learning;
using Mpq.Tasks;

namespace Mpq.Controller.Rig;

/// <summary>
/// The controller's end of the learning link (<c>controller run --learn-from HOST:PORT</c>): streams the rig's
/// transitions to an off-board trainer (<c>trainer serve</c>) and swaps in every Q it sends back.
/// </summary>
/// <remarks>
/// Safety: the control loop only writes a <see cref="TransitionRing"/>; this link's own thread reads it and does all
/// network I/O, so a slow, dropped or hostile trainer never delays a step. Without a connection the rig keeps acting
/// with the Q it has; the link retries every 2 s. A Q from the trainer passes the same checks as a Q file from disk
/// (<see cref="QReloader"/>: the task, the rig's files, finite outputs) before it can reach the planner.
/// </remarks>
public sealed class LearningLink : IDisposable
{
    private static readonly TimeSpan SendEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(2);
    private readonly Uri _address;
    private readonly Hello _hello;
    private readonly TransitionRing _ring;
    private readonly Func<(long Steps, long Misses, double PlanMsP99)> _health;
    private readonly Func<Planner, string?> _adoptPlanner;
    private readonly QReloader _reloader;
    private readonly string _qPath;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _sent;
    private long _received;
    private long _taken;
    private long _connections;
    private int _disposed;

    /// <param name="address">The trainer, HOST:PORT.</param>
    /// <param name="task">The task the rig runs (its name and sizes go in the Hello).</param>
    /// <param name="stateSize">Entries of the physics state the rig's readings map to.</param>
    /// <param name="torqueLimit">The rig's torque limit per actuator.</param>
    /// <param name="rigName">The rig's own name.</param>
    /// <param name="ring">Where the loop puts its transitions (this link is its one reader).</param>
    /// <param name="health">The loop's steps, deadline misses and latest plan p99 (sent with each batch).</param>
    /// <param name="adoptPlanner">Checks the trainer's planner settings and offers them to the loop: null when taken, else why not.</param>
    /// <param name="reloader">Validates each Q received and offers it to the loop.</param>
    /// <param name="qPath">Where each Q received is written before it is loaded.</param>
    /// <param name="log">Connection changes and refused Q files.</param>
    public LearningLink(string address, ITask task, int stateSize, IReadOnlyList<double> torqueLimit, string rigName, TransitionRing ring,
        Func<(long Steps, long Misses, double PlanMsP99)> health, Func<Planner, string?> adoptPlanner, QReloader reloader, string qPath, Action<string> log)
    {
        _address = ParseAddress(address);
        _hello = new Hello
        {
            Task = task.Name,
            ObservationSize = task.ObservationSize,
            ActionSize = task.ActionSize,
            StateSize = stateSize,
            PeriodMs = 1000 * task.ControlPeriod,
            Rig = rigName,
        };
        _hello.TorqueLimit.AddRange(torqueLimit);
        var means = TaskParameters.Means(task.Parameters);
        for (var i = 0; i < means.Length; i++)
        {
            _hello.Model[task.Parameters[i].Name] = means[i]; // the model this controller plans on (RigRunner's)
        }
        _adoptPlanner = adoptPlanner;
        _ring = ring;
        _health = health;
        _reloader = reloader;
        _qPath = qPath;
        _log = log;
        _thread = new Thread(Loop) { Name = "mpq-learning-link", IsBackground = true };
    }

    /// <summary>Transitions sent to the trainer.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Q files received, and those that passed the checks and were offered to the loop.</summary>
    public (long Received, long Taken) QFiles => (Interlocked.Read(ref _received), Interlocked.Read(ref _taken));

    /// <summary>HOST:PORT as the address of an unencrypted HTTP/2 connection.</summary>
    /// <exception cref="ArgumentException">Not HOST:PORT with a port in 1..65535.</exception>
    public static Uri ParseAddress(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535
            || !Uri.TryCreate($"http://{text[..colon]}:{port}", UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"--learn-from must be HOST:PORT with a port in 1 .. 65535 (got '{text}')");
        }
        return uri;
    }

    public void Start() => _thread.Start();

    private void Loop()
    {
        string? lastFailure = null;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                Session().GetAwaiter().GetResult();
                lastFailure = null;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException || (e is OperationCanceledException && !_stop.IsCancellationRequested))
            {
                var why = e is RpcException r ? $"{r.StatusCode}: {r.Status.Detail}" : e.Message;
                if (why != lastFailure)
                {
                    _log($"learning link: no trainer at {_address.Authority} ({why}); the rig acts with the Q it has, retrying every {RetryEvery.TotalSeconds:F0} s");
                    lastFailure = why;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _stop.Token.WaitHandle.WaitOne(RetryEvery);
        }
    }

    private async Task Session()
    {
        using var channel = GrpcChannel.ForAddress(_address, new GrpcChannelOptions { MaxReceiveMessageSize = 16 << 20 });
        using var call = new Learning.LearningClient(channel).Learn(cancellationToken: _stop.Token);
        await call.RequestStream.WriteAsync(new FromController { Hello = _hello }).ConfigureAwait(false);
        if (!await call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false) || call.ResponseStream.Current.BodyCase != FromTrainer.BodyOneofCase.Welcome)
        {
            throw new InvalidOperationException("the trainer did not answer the Hello with a Welcome");
        }
        var welcome = call.ResponseStream.Current.Welcome;
        // The rig acts as the trainer's own planner would: the Q is learned for that policy's states, λ and horizon.
        var refused = welcome.Planner is null ? "none sent" : _adoptPlanner(welcome.Planner);
        if (refused is not null)
        {
            throw new InvalidOperationException($"the trainer's planner settings were refused ({refused}); the rig keeps its own");
        }
        Interlocked.Increment(ref _connections);
        _log(string.Create(CultureInfo.InvariantCulture,
            $"learning link: connected to {_address.Authority} (run {welcome.RunId}: {welcome.Transitions} transitions, {welcome.Updates} updates so far)"));
        var receiving = Task.Run(() => Receive(call.ResponseStream));
        var batch = new BatchBuilder(_hello.ObservationSize, _hello.ActionSize, _hello.StateSize);
        while (!receiving.IsCompleted)
        {
            batch.Clear();
            _ring.Drain(batch);
            var (steps, misses, p99) = _health();
            var message = batch.Message;
            message.LoopSteps = steps;
            message.DeadlineMisses = misses;
            message.PlanMsP99 = double.IsFinite(p99) ? p99 : 0;
            message.Dropped = _ring.Dropped;
            await call.RequestStream.WriteAsync(new FromController { Transitions = message }).ConfigureAwait(false);
            Interlocked.Add(ref _sent, message.Count);
            await Task.WhenAny(receiving, Task.Delay(SendEvery, _stop.Token)).ConfigureAwait(false);
        }
        await receiving.ConfigureAwait(false); // its failure is this session's
        throw new IOException("the trainer closed the stream");
    }

    private async Task Receive(IAsyncStreamReader<FromTrainer> responses)
    {
        while (await responses.MoveNext(_stop.Token).ConfigureAwait(false))
        {
            if (responses.Current.BodyCase != FromTrainer.BodyOneofCase.Q)
            {
                continue;
            }
            Interlocked.Increment(ref _received);
            AtomicFile.Write(_qPath, responses.Current.Q.Onnx.ToByteArray());
            var result = _reloader.Reload(_qPath);
            if (result.StartsWith("ok", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _taken);
            }
            else
            {
                _log($"learning link: the trainer's Q was refused, the Q in use is kept: {result}");
            }
        }
    }

    /// <summary>One message's worth of transitions, field by field.</summary>
    private sealed class BatchBuilder(int o, int a, int x) : ITransitionSink
    {
        public Transitions Message { get; private set; } = new();

        public void Clear() => Message = new Transitions();

        public void Add(in Transition t)
        {
            var m = Message;
            m.Count++;
            m.Step.Add(t.Step);
            Append(m.Observation, t.Observation, o);
            Append(m.NextObservation, t.NextObservation, o);
            Append(m.Action, t.Action, a);
            Append(m.State, t.State, x);
            Append(m.NextState, t.NextState, x);
            m.Cost.Add(t.Cost);
            m.Done.Add(t.Done);
        }

        private static void Append(Google.Protobuf.Collections.RepeatedField<double> field, ReadOnlySpan<double> values, int n)
        {
            for (var j = 0; j < n; j++)
            {
                field.Add(values[j]);
            }
        }
    }

    /// <summary>Stops the link (the stream is cancelled; the trainer writes its checkpoint).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
        _stop.Dispose();
    }

    /// <summary>One line for the end of a run.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"learning link: {Sent} transitions sent, {QFiles.Received} Q file(s) received, {QFiles.Taken} swapped in, {Interlocked.Read(ref _connections)} connection(s), {_ring.Dropped} transition(s) dropped while the link was behind");
}
