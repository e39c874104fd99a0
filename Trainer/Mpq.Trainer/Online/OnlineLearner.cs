using System.Diagnostics;
using System.Globalization;
using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Online;

/// <summary>How the acting loop is doing, as the learner sees it (a rig runner in this process, or a controller over the network).</summary>
/// <param name="Steps">Control steps so far.</param>
/// <param name="DeadlineMisses">Steps whose planning overran the period, so far.</param>
/// <param name="PlanMsP99">99th percentile of the latest planning steps, ms (NaN: none yet).</param>
public readonly record struct LoopHealth(long Steps, long DeadlineMisses, double PlanMsP99);

/// <summary>How an online learner paces itself.</summary>
/// <param name="SwapEverySeconds">How often a new Q is published to the acting planner (when it has changed).</param>
/// <param name="UpdatesPerTransition">Gradient updates per transition received (the simulated learner's Algorithm 1 does one); +∞: as many as the spare cores give.</param>
/// <param name="PeriodMs">The acting loop's control period, ms: its planning p99 must stay under <see cref="PlanBudget"/> of it.</param>
/// <param name="PlanBudget">Share of the period the acting step may take before learning backs off.</param>
/// <param name="CheckpointEverySeconds">How often the replay buffer, Q and optimiser are written for a resume.</param>
public sealed record OnlinePacing(double SwapEverySeconds, double UpdatesPerTransition, double PeriodMs, double PlanBudget = 0.5, double CheckpointEverySeconds = 60)
{
    /// <summary>An <c>--update-ratio</c>: a positive number, or <c>max</c> (+∞).</summary>
    /// <exception cref="ArgumentException">Neither.</exception>
    public static double ParseRatio(string text) => text == "max" ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v) ? v
        : throw new ArgumentException($"--update-ratio must be a positive number or 'max' (got '{text}')");

    /// <exception cref="ArgumentException">A value out of range, naming the option.</exception>
    public void Validate()
    {
        if (!double.IsFinite(SwapEverySeconds) || SwapEverySeconds is < 0.5 or > 600)
        {
            throw new ArgumentException($"--swap-every must be in [0.5, 600] seconds (got {SwapEverySeconds.ToString(CultureInfo.InvariantCulture)})");
        }
        if (double.IsNaN(UpdatesPerTransition) || UpdatesPerTransition <= 0)
        {
            throw new ArgumentException($"--update-ratio must be a positive number or 'max' (got {UpdatesPerTransition.ToString(CultureInfo.InvariantCulture)})");
        }
        if (!double.IsFinite(PeriodMs) || PeriodMs <= 0 || !double.IsFinite(PlanBudget) || PlanBudget is <= 0 or > 1 || !double.IsFinite(CheckpointEverySeconds) || CheckpointEverySeconds <= 0)
        {
            throw new ArgumentException("online pacing: period, plan budget and checkpoint interval must be positive (plan budget at most 1)");
        }
    }
}

/// <summary>
/// MPQ's learning half beside a live loop (the paper's Algorithm 1 with acting and learning on different threads):
/// takes the loop's transitions from a <see cref="TransitionRing"/>, runs updates with free-energy targets on the
/// biased model at a lower priority, and every few seconds publishes the new Q for the acting planner to swap in.
/// </summary>
/// <remarks>
/// Safety: nothing here can delay a Command. The loop only writes the ring (never waits); the learner runs on its own
/// thread and the target workers at nice <see cref="Nice"/>; a Q reaches the loop only through <c>publish</c>, which
/// validates it and hands it over for a swap between two steps. When the loop's planning p99 exceeds the budget or
/// a deadline is missed, learning pauses (1 s, doubling to 30 s) and says so. A failure of learning (a non-finite loss)
/// stops learning, never the loop: the rig goes on acting with the last Q published.
/// </remarks>
public sealed class OnlineLearner : IDisposable
{
    /// <summary>Nice value of the learner's threads: every normal thread, the control loop's included, goes first.</summary>
    public const int Nice = 10;

    private readonly Learner _learner;
    private readonly TransitionRing _ring;
    private readonly Func<string> _publish;
    private readonly Func<LoopHealth> _health;
    private readonly Action<string> _log;
    private readonly OnlinePacing _pacing;
    private readonly Action? _checkpoint;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _transitions;
    private long _swaps;
    private long _backOffs;
    private double _lastLoss = double.NaN;
    private string _state = "waiting for transitions";
    private string? _failure;

    /// <param name="learner">The learner whose Q and replay buffer are trained (used by this object's thread only from <see cref="Start"/> to <see cref="Stop"/>).</param>
    /// <param name="ring">Where the loop puts its transitions.</param>
    /// <param name="publish">Exports the Q and hands it to the acting planner; returns "ok …" or "error: …" (called on the learner's thread).</param>
    /// <param name="health">How the acting loop is doing (called on the learner's thread about once a second).</param>
    /// <param name="pacing">Swap interval, update ratio and the loop's budget.</param>
    /// <param name="log">Where back-offs, refusals and failures are reported.</param>
    /// <param name="checkpoint">Writes a resumable checkpoint (called on the learner's thread; null: none).</param>
    public OnlineLearner(Learner learner, TransitionRing ring, Func<string> publish, Func<LoopHealth> health, OnlinePacing pacing, Action<string> log, Action? checkpoint = null)
    {
        pacing.Validate();
        if (learner.Q is null)
        {
            throw new ArgumentException("plain MPPI learns nothing online: use --algo mpq or softq");
        }
        _learner = learner;
        _ring = ring;
        _publish = publish;
        _health = health;
        _pacing = pacing;
        _log = log;
        _checkpoint = checkpoint;
        _thread = new Thread(Loop) { Name = "mpq-online-learner", IsBackground = true };
    }

    /// <summary>Transitions taken from the ring.</summary>
    public long Transitions => Interlocked.Read(ref _transitions);

    /// <summary>Updates so far (the learner's count, a resumed run's included).</summary>
    public long Updates => _learner.Updates;

    /// <summary>Q files published and accepted by the acting side.</summary>
    public long Swaps => Interlocked.Read(ref _swaps);

    /// <summary>Times learning paused for the acting loop.</summary>
    public long BackOffs => Interlocked.Read(ref _backOffs);

    /// <summary>The latest update's loss.</summary>
    public double LastLoss => Volatile.Read(ref _lastLoss);

    /// <summary>What learning is doing, for a live line.</summary>
    public string State => Volatile.Read(ref _state);

    /// <summary>Why learning stopped early (null: it did not).</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Where the acting loop's transitions go.</summary>
    public TransitionRing Ring => _ring;

    /// <summary>Publishes the current Q at once (before <see cref="Start"/>: a controller that just connected acts with it).</summary>
    public void PublishNow()
    {
        if (_thread.IsAlive)
        {
            throw new InvalidOperationException("publish from the learner's own thread once it runs");
        }
        Publish();
    }

    public void Start() => _thread.Start();

    /// <summary>Stops learning (waits for the update in progress), publishes the last Q once more and writes the checkpoint.</summary>
    public void Stop()
    {
        if (_thread.ThreadState == System.Threading.ThreadState.Unstarted)
        {
            return;
        }
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private void Loop()
    {
        _log(RealtimeScheduling.TryLowerCurrentThread(Nice));
        var sinceSwap = Stopwatch.StartNew();
        var sinceCheck = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        var updatesAtSwap = _learner.Updates;
        var updatesAtStart = _learner.Updates;
        var pause = TimeSpan.Zero;
        var pausedUntil = TimeSpan.Zero;
        var running = Stopwatch.StartNew();
        var last = _health();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Add(ref _transitions, _ring.Drain(_learner.Replay));
                if (sinceCheck.Elapsed >= TimeSpan.FromSeconds(1))
                {
                    sinceCheck.Restart();
                    var now = _health();
                    var budget = _pacing.PlanBudget * _pacing.PeriodMs;
                    var reason = now.DeadlineMisses > last.DeadlineMisses
                        ? $"{now.DeadlineMisses - last.DeadlineMisses} deadline miss(es)"
                        : now.PlanMsP99 > budget ? string.Create(CultureInfo.InvariantCulture, $"plan p99 {now.PlanMsP99:F1} ms over {budget:F1} ms") : null;
                    last = now;
                    if (reason is not null)
                    {
                        pause = pause == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(2 * pause.Ticks, TimeSpan.FromSeconds(30).Ticks));
                        pausedUntil = running.Elapsed + pause;
                        Interlocked.Increment(ref _backOffs);
                        Volatile.Write(ref _state, $"backing off {pause.TotalSeconds:F0} s");
                        _log($"learning backs off for {pause.TotalSeconds:F0} s: the acting loop had {reason}");
                    }
                    else if (running.Elapsed >= pausedUntil + TimeSpan.FromSeconds(10))
                    {
                        pause = TimeSpan.Zero; // ten quiet seconds after a pause: the next one starts short again
                    }
                }
                if (sinceSwap.Elapsed >= TimeSpan.FromSeconds(_pacing.SwapEverySeconds) && _learner.Updates > updatesAtSwap)
                {
                    Publish();
                    updatesAtSwap = _learner.Updates;
                    sinceSwap.Restart();
                }
                if (_checkpoint is not null && sinceCheckpoint.Elapsed >= TimeSpan.FromSeconds(_pacing.CheckpointEverySeconds))
                {
                    _checkpoint();
                    sinceCheckpoint.Restart();
                }
                var owed = _pacing.UpdatesPerTransition * Transitions - (_learner.Updates - updatesAtStart);
                if (running.Elapsed < pausedUntil || owed < 1 || _learner.Replay.Count < Math.Max(_learner.Settings.BatchSize, _learner.Settings.Warmup))
                {
                    if (running.Elapsed >= pausedUntil)
                    {
                        Volatile.Write(ref _state, _learner.Replay.Count < _learner.Settings.BatchSize ? "waiting for transitions" : "learning");
                    }
                    _stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(5));
                    continue;
                }
                Volatile.Write(ref _state, "learning");
                Volatile.Write(ref _lastLoss, _learner.UpdateOnce());
            }
        }
        catch (InvalidOperationException e)
        {
            Volatile.Write(ref _failure, e.Message);
            Volatile.Write(ref _state, "stopped: " + e.Message);
            _log($"error: learning stopped ({e.Message}); the rig goes on acting with the last Q");
            return;
        }
        Interlocked.Add(ref _transitions, _ring.Drain(_learner.Replay));
        if (_learner.Updates > updatesAtSwap)
        {
            Publish();
        }
        _checkpoint?.Invoke();
    }

    private void Publish()
    {
        var result = _publish();
        if (result.StartsWith("ok", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _swaps);
        }
        else
        {
            _log($"the new Q was not taken: {result}");
        }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }
}
