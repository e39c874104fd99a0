using System.Diagnostics;
using System.Globalization;
using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Logging;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Protocol.Messages;
using Mpq.Tasks;

namespace Mpq.Controller.Rig;

/// <summary>Why a run on the rig ended; <see cref="RunStopCodes.ExitCode"/> gives the program's exit code.</summary>
public enum RunStop
{
    /// <summary>The requested duration passed (exit 0).</summary>
    DurationReached,

    /// <summary>Ctrl-C or the console's quit (exit 0).</summary>
    StoppedByUser,

    /// <summary>No State from the rig at the start (exit 3: someone must look at the rig or the cable).</summary>
    NoState,

    /// <summary>The rig refused to arm or did not arm in time (exit 3).</summary>
    ArmRefused,

    /// <summary>The rig left the armed state on its own: watchdog, limit, estop (exit 3).</summary>
    LeftArmedState,

    /// <summary>The serial link failed (exit 3).</summary>
    LinkLost,
}

/// <summary>Exit codes of <see cref="RunStop"/>: 0 for a run that ended as asked, 3 (safety stop) otherwise.</summary>
public static class RunStopCodes
{
    public static int ExitCode(this RunStop stop) => stop is RunStop.DurationReached or RunStop.StoppedByUser ? 0 : 3;
}

/// <summary>What a run on the rig did. Times in ms.</summary>
public sealed record RunSummary(long Steps, long DeadlineMisses, double PlanMsP50, double PlanMsP99, double StateAgeMsP50, double? SecondsToUpright, bool UprightAtEnd, long StatesReceived, string StopReason)
{
    /// <summary>Why the run ended (<see cref="StopReason"/> says it for people).</summary>
    public RunStop Stop { get; init; }

    /// <summary>Overruns answered with the warm-started plan's next action.</summary>
    public long Fallbacks { get; init; }

    /// <summary>Planned actions that were not finite and went out as zero torque.</summary>
    public long NonFiniteActions { get; init; }

    /// <summary>Q files swapped in while running.</summary>
    public long QSwaps { get; init; }

    public double PlanMsMax { get; init; } = double.NaN;
    public double RoundTripMsP50 { get; init; } = double.NaN;
    public double RoundTripMsP99 { get; init; } = double.NaN;
    public double RoundTripMsMax { get; init; } = double.NaN;

    /// <summary>Frames this side sent (Commands, Heartbeats, ...).</summary>
    public long FramesSent { get; init; }

    /// <summary>Frames from the rig that decoded intact.</summary>
    public long FramesAccepted { get; init; }

    /// <summary>Frames from the rig missing by their sequence numbers (lost or rejected).</summary>
    public long FramesLost { get; init; }

    /// <summary>Chunks of bytes from the rig the decoder rejected, by cause.</summary>
    public IReadOnlyDictionary<string, long> FramesRejected { get; init; } = new Dictionary<string, long>();

    /// <summary>One line for people.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"run: {Steps} steps, {DeadlineMisses} deadline misses ({Fallbacks} answered with the warm-started plan), plan p50 {PlanMsP50:F2} ms p99 {PlanMsP99:F2} ms max {PlanMsMax:F2} ms, " +
        $"link round trip p50 {RoundTripMsP50:F2} ms p99 {RoundTripMsP99:F2} ms max {RoundTripMsMax:F2} ms, State age p50 {StateAgeMsP50:F2} ms, Q swaps {QSwaps}, non-finite actions {NonFiniteActions}, " +
        $"upright {(SecondsToUpright is { } t ? $"after {t:F2} s" : "never")}, upright at end {(UprightAtEnd ? "yes" : "no")}; " +
        $"link: sent {FramesSent} frames, received {FramesAccepted} intact, {FramesLost} lost, {FramesRejected.Values.Sum()} rejected; stopped: {StopReason}");
}

/// <summary>
/// Closes the loop over the serial line: every control period take the freshest State, plan on the model
/// (the prior's mean parameters: the best estimate of the rig), send a Command echoing that State's
/// sequence. Only this thread sends Commands, so a hung planner starves the Firmware's watchdog.
/// </summary>
/// <remarks>
/// Other threads (a tuning console, a Q file watcher) only publish requests — new settings
/// (<see cref="Tuning"/>), a new Q (<see cref="OfferTerminalCost"/>) — which the loop applies between two
/// steps. A step that overruns its period is answered at once with the warm-started plan's next action, so
/// the rig keeps getting fresh Commands; a planner that stops altogether sends nothing and the rig's watchdog trips.
/// </remarks>
public sealed class RigRunner : IDisposable
{
    private readonly ITask _task;
    private readonly RigClient _client;
    private readonly ITransitionSink? _log;
    private readonly MuJoCoDynamics _model;
    private readonly MuJoCoContext _observer;
    private readonly MppiPlanner _planner;
    private readonly double _period;
    private readonly int _m;

    // Loop state, allocated once.
    private readonly RigSnapshot _snapshot;
    private readonly double[] _state;
    private readonly double[] _next;
    private readonly double[] _observation;
    private readonly double[] _nextObservation;
    private readonly double[] _action;
    private readonly double[] _sent;
    private readonly LatencyRecorder _plan = new(1 << 14);
    private readonly LatencyRecorder _serial = new(1 << 14);
    private readonly LatencyRecorder _stateAge = new(1 << 14);
    private ushort _validity;
    private bool _havePrevious;
    private long _steps;
    private long _misses;
    private long _fallbacks;
    private long _nonFinite;
    private long _qSwaps;

    private ITerminalCost? _pendingQ;
    private bool _ownsCurrentQ;

    public RigRunner(ITask task, MppiSettings settings, WorkerPool pool, ITerminalCost? q, RigClient client, HelloAck rig, ITransitionSink? log, double? rateHz = null)
    {
        _task = task;
        _client = client;
        _log = log;
        if (rig.Actuators != task.ActionSize)
        {
            throw new ArgumentException($"rig '{rig.RigName}' has {rig.Actuators} actuator(s), task '{task.Name}' needs {task.ActionSize}");
        }
        _model = new MuJoCoDynamics(task, TaskParameters.Means(task.Parameters));
        if (_model.StateSize != 2 * rig.Joints || _model.Model.Nq != rig.Joints)
        {
            throw new ArgumentException($"rig '{rig.RigName}' reports {rig.Joints} joint(s); task '{task.Name}' has {_model.Model.Nq} position(s) in a state of {_model.StateSize}");
        }
        var low = task.ActionLow.ToArray();
        var high = task.ActionHigh.ToArray();
        for (var a = 0; a < low.Length; a++)
        {
            // Never plan for more torque than the rig will apply.
            low[a] = Math.Max(low[a], -rig.TorqueLimit[a]);
            high[a] = Math.Min(high[a], rig.TorqueLimit[a]);
        }
        _observer = _model.CreateMuJoCoContext();
        _planner = new MppiPlanner(_model, task, low, high, settings, pool, q);
        _period = 1.0 / (rateHz ?? 1.0 / task.ControlPeriod);
        _m = task.ActionSize;
        Tuning = new LiveTuning(settings);
        _snapshot = new RigSnapshot(_model.Model.Nq);
        _state = new double[_model.StateSize];
        _next = new double[_model.StateSize];
        _observation = new double[task.ObservationSize];
        _nextObservation = new double[task.ObservationSize];
        _action = new double[_m];
        _sent = new double[_m];
    }

    public MppiPlanner Planner => _planner;

    /// <summary>Settings a person may change while running; applied between two steps.</summary>
    public LiveTuning Tuning { get; }

    /// <summary>
    /// With a tuning console the run goes on when the rig leaves the armed state (planning, sending Commands the
    /// rig ignores) and waits for a person to re-arm; without one the run ends there.
    /// </summary>
    public bool KeepRunningWhenDisarmed { get; init; }

    /// <summary>Where timing reports go every <see cref="ReportEvery"/> while running (null: no reports).</summary>
    public Action<string>? Report { get; init; }

    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The rig watchdog this controller asks for when it arms (null: 2.5 periods, at least 20 ms). A longer one
    /// rides out runs of lost Commands on a noisy line, at the price of a longer wait before a dead controller's
    /// last torque is dropped; never less than one period.
    /// </summary>
    public int? WatchdogMs
    {
        get => _watchdogMs;
        init
        {
            if (value is { } ms && (ms < 1000 * _period || ms > 1000))
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"the rig watchdog must be between one control period ({1000 * _period:F0} ms) and 1000 ms (got {ms})");
            }
            _watchdogMs = value;
        }
    }

    private readonly int? _watchdogMs;

    /// <summary>
    /// Publishes a new terminal cost to be swapped in before the next step; the runner then owns it (disposes it
    /// when it is replaced or at the end). Call from any thread but the loop's.
    /// </summary>
    public void OfferTerminalCost(ITerminalCost q)
    {
        if (q.ObservationSize != _task.ObservationSize || q.ActionSize != _m)
        {
            throw new ArgumentException($"terminal cost expects observation {q.ObservationSize} and action {q.ActionSize}, task '{_task.Name}' has {_task.ObservationSize} and {_m}");
        }
        (Interlocked.Exchange(ref _pendingQ, q) as IDisposable)?.Dispose(); // an offer the loop never took
    }

    /// <summary>
    /// Sets the rig's watchdog for this controller's period and asks it to arm. Blocks up to 1 s for the rig's
    /// answer, so call it from the console thread or before the loop, never from the loop.
    /// </summary>
    /// <returns>Null when the Arm was sent, else why not.</returns>
    public string? RequestArm()
    {
        // The rig's watchdog must outlast this controller's period with room for jitter: 2.5 periods, and never
        // under 20 ms, which a .NET process on a shared machine cannot promise between two Commands.
        var watchdogMs = WatchdogMs ?? Math.Max(20, Math.Ceiling(2500 * _period));
        var (status, value) = _client.SetParameter("watchdog_ms", watchdogMs, TimeSpan.FromSeconds(1));
        if (status != ParamStatus.Ok)
        {
            return $"the rig refused watchdog_ms = {watchdogMs} ({status}); a {1 / _period:F0} Hz controller needs it above {1000 * _period:F0} ms";
        }
        _client.Log($"rig watchdog set to {value} ms for a {1 / _period:F0} Hz controller");
        _client.Send(new Arm());
        return null;
    }

    /// <summary>Timing so far, for the console's <c>status</c> and the periodic report (approximate while running).</summary>
    public string DescribeTiming()
    {
        var s = _planner.Settings;
        return string.Create(CultureInfo.InvariantCulture,
            $"steps {Interlocked.Read(ref _steps)}, deadline misses {Interlocked.Read(ref _misses)} (fallbacks {Interlocked.Read(ref _fallbacks)}), H {s.Horizon} N {s.Samples} λ {s.Lambda:G4} σ {s.Std(0):G4} α {s.StepSize:G3}, torque scale {Tuning.TorqueScaleValue:G3}, Q swaps {Interlocked.Read(ref _qSwaps)}\n" +
            $"ms p50/p99/max: plan {Triple(_plan)}, rollouts {Triple(_planner.RolloutTimes)}, Q {Triple(_planner.TerminalTimes)}, update {Triple(_planner.UpdateTimes)}, serial {Triple(_serial)}, round trip {Triple(_client.RoundTrip)}, State age {Triple(_stateAge)}");
    }

    private static string Triple(LatencyRecorder r) => r.Count == 0
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{r.Percentile(0.5):F2}/{r.Percentile(0.99):F2}/{r.Max:F2}");

    /// <summary>Runs until <paramref name="duration"/>, cancellation, a lost link, or (unless <see cref="KeepRunningWhenDisarmed"/>) the rig leaving the armed state.</summary>
    public RunSummary Run(TimeSpan duration, bool arm, CancellationToken cancel)
    {
        _validity = (ushort)Math.Clamp(3000 * _period, 1, 60000);
        double? upright = null;
        var uprightRun = 0;
        var stop = "duration reached";
        var kind = RunStop.DurationReached;
        var clock = Stopwatch.StartNew();
        using var reporter = StartReports(cancel);
        try
        {
            if (!_client.TryGetLatest(_snapshot) && (!_client.WaitForState(TimeSpan.FromSeconds(2)) || !_client.TryGetLatest(_snapshot)))
            {
                return Summary("no State from the rig within 2 s", RunStop.NoState, null, false);
            }
            WarmUp();
            if (arm && ArmAndWait() is { } refused)
            {
                return Summary(refused, RunStop.ArmRefused, null, false);
            }
            var wasArmed = _snapshot.Arm == RigArmState.Armed;
            var deadline = Stopwatch.GetTimestamp();
            var periodTicks = (long)(_period * Stopwatch.Frequency);
            while (clock.Elapsed < duration)
            {
                if (cancel.IsCancellationRequested)
                {
                    stop = "stopped by the user";
                    kind = RunStop.StoppedByUser;
                    break;
                }
                if (_client.Failure is { } failure)
                {
                    stop = $"link lost: {failure}";
                    kind = RunStop.LinkLost;
                    break;
                }
                ApplyRequests();
                _client.TryGetLatest(_snapshot);
                var armed = _snapshot.Arm == RigArmState.Armed;
                if (wasArmed && !armed)
                {
                    var why = $"the rig left the armed state ({_snapshot.Arm}, faults {_snapshot.Faults}); re-arm only on request";
                    if (!KeepRunningWhenDisarmed)
                    {
                        stop = why;
                        kind = RunStop.LeftArmedState;
                        break;
                    }
                    _client.Log($"{why}: type 'arm' to re-arm");
                }
                else if (!wasArmed && armed && !arm)
                {
                    _client.Log("rig armed");
                }
                wasArmed = armed;

                TakeSnapshot(armed);
                var t0 = Stopwatch.GetTimestamp();
                _planner.Step(_state, _action);
                _plan.RecordSince(t0);
                Send(_action);
                Interlocked.Increment(ref _steps);

                if (_task.IsSuccess(_observation))
                {
                    if (++uprightRun == (int)Math.Round(1 / _period) && upright is null)
                    {
                        upright = clock.Elapsed.TotalSeconds - 1;
                    }
                }
                else
                {
                    uprightRun = 0;
                }

                deadline += periodTicks;
                var now = Stopwatch.GetTimestamp();
                if (now > deadline)
                {
                    // Planning overran into the next period: answer that period at once with the warm-started
                    // plan's next action rather than leave the rig without a fresh Command, then rejoin the grid.
                    Interlocked.Increment(ref _misses);
                    _client.TryGetLatest(_snapshot);
                    TakeSnapshot(_snapshot.Arm == RigArmState.Armed);
                    _planner.Fallback(_state, _action);
                    Send(_action);
                    Interlocked.Increment(ref _fallbacks);
                    while (deadline <= now)
                    {
                        deadline += periodTicks;
                    }
                }
                WaitUntil(deadline);
            }
        }
        catch (IOException e)
        {
            // A write that fails outright (a hung-up port: EIO) can come before the reader has seen the line die:
            // the same stop as a failure the reader reports, not an error of the run's input (exit 3, not 2).
            stop = $"link lost: {e.Message}";
            kind = RunStop.LinkLost;
        }
        finally
        {
            try
            {
                _client.Send(new Disarm());
            }
            catch (IOException)
            {
                // The line is gone: the Firmware's watchdog and link timeout zero the torque.
            }
        }
        return Summary(stop, kind, upright, uprightRun > 0);
    }

    /// <summary>
    /// Runs the step's whole path (State, plan, Command) before arming, until JIT tiering and ONNX Runtime have
    /// settled (a cold first step takes several periods at 500 Hz), then forgets the plan. The Commands it sends
    /// carry zero torque, whatever the rig's state.
    /// </summary>
    private void WarmUp()
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200 && clock.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            _client.TryGetLatest(_snapshot);
            TakeSnapshot(armed: false);
            _planner.Step(_state, _action);
            SendZeroTorque();
        }
        _planner.ResetPlan();
        _plan.Clear();
        _serial.Clear();
        _stateAge.Clear();
    }

    /// <summary>Arms before the loop starts, feeding the watchdog while the Arm takes effect.</summary>
    private string? ArmAndWait()
    {
        if (RequestArm() is { } refused)
        {
            return refused;
        }
        var waiting = Stopwatch.StartNew();
        var lastArm = waiting.Elapsed;
        while (_snapshot.Arm != RigArmState.Armed && waiting.Elapsed < TimeSpan.FromSeconds(1))
        {
            _client.WaitForState(TimeSpan.FromMilliseconds(50));
            _client.TryGetLatest(_snapshot);
            if (_snapshot.Arm != RigArmState.Armed)
            {
                SendZeroTorque(); // keeps the watchdog fed while the Arm takes effect
                if (waiting.Elapsed - lastArm > TimeSpan.FromMilliseconds(250))
                {
                    _client.Send(new Arm()); // the same request again: the first may have been lost on the line
                    lastArm = waiting.Elapsed;
                }
            }
        }
        return _snapshot.Arm == RigArmState.Armed ? null : $"the rig did not arm ({_snapshot.Arm}, faults {_snapshot.Faults})";
    }

    /// <summary>Settings and Q changes requested by other threads, applied between two steps.</summary>
    private void ApplyRequests()
    {
        if (Tuning.TakePending() is { } settings)
        {
            try
            {
                _planner.Configure(settings);
                _client.Log($"planner now H {settings.Horizon} N {settings.Samples} λ {settings.Lambda:G4} σ {settings.Std(0):G4} α {settings.StepSize:G3}");
            }
            catch (ArgumentException e)
            {
                _client.Log($"error: settings refused, the old ones stay: {e.Message}");
            }
        }
        if (Volatile.Read(ref _pendingQ) is not null && Interlocked.Exchange(ref _pendingQ, null) is { } q)
        {
            var old = _planner.TerminalCost;
            _planner.SetTerminalCost(q);
            if (_ownsCurrentQ && old is IDisposable retired)
            {
                // Never on the loop thread: closing an ONNX Runtime session takes longer than a step may.
                ThreadPool.QueueUserWorkItem(static r => r.Dispose(), retired, preferLocal: false);
            }
            _ownsCurrentQ = true;
            Interlocked.Increment(ref _qSwaps);
        }
    }

    /// <summary>Reads the freshest State into the model's state and logs the transition that led to it.</summary>
    private void TakeSnapshot(bool armed)
    {
        var joints = _snapshot.Position.Length;
        for (var j = 0; j < joints; j++)
        {
            _next[j] = _snapshot.Position[j];
            _next[joints + j] = _snapshot.Velocity[j];
        }
        _observer.SetState(_next);
        _observer.Observe(_nextObservation);
        if (_havePrevious && armed)
        {
            _log?.Add(new Transition((int)_steps - 1, _observation, _sent, _task.Cost(_observation, _sent), _nextObservation, _state, _next, false));
        }
        // Only what the rig applied is data: while it is disarmed nothing is logged.
        _havePrevious = armed;
        _next.CopyTo(_state, 0);
        _nextObservation.CopyTo(_observation, 0);
        _stateAge.RecordSince(_snapshot.ArrivalTimestamp);
    }

    /// <summary>Sends <paramref name="action"/> × torque scale answering the snapshot's State; zero if it is not finite.</summary>
    private void Send(ReadOnlySpan<double> action)
    {
        var scale = Tuning.TorqueScaleValue;
        var finite = true;
        for (var a = 0; a < _m; a++)
        {
            _sent[a] = action[a] * scale;
            finite &= double.IsFinite(_sent[a]);
        }
        if (!finite)
        {
            // Any doubt means zero torque; the plan starts again from nothing.
            Array.Clear(_sent);
            _planner.ResetPlan();
            Interlocked.Increment(ref _nonFinite);
        }
        var t0 = Stopwatch.GetTimestamp();
        _client.SendCommand(_snapshot.Sequence, _sent, _validity);
        _serial.RecordSince(t0);
    }

    private void SendZeroTorque()
    {
        Array.Clear(_action);
        Send(_action);
    }

    private static void WaitUntil(long deadline)
    {
        var sleepMs = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency - 1;
        if (sleepMs > 0)
        {
            Thread.Sleep((int)sleepMs);
        }
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(20);
        }
    }

    private Timer? StartReports(CancellationToken cancel) => Report is null
        ? null
        : new Timer(_ =>
        {
            if (!cancel.IsCancellationRequested)
            {
                Report(DescribeTiming());
            }
        }, null, ReportEvery, ReportEvery);

    private RunSummary Summary(string stop, RunStop kind, double? upright, bool uprightAtEnd) =>
        new(_steps, _misses, _plan.Percentile(0.5), _plan.Percentile(0.99), _stateAge.Percentile(0.5), upright, uprightAtEnd, _client.StatesReceived, stop)
        {
            Stop = kind,
            Fallbacks = _fallbacks,
            NonFiniteActions = _nonFinite + _planner.NonFiniteSteps,
            QSwaps = _qSwaps,
            PlanMsMax = _plan.Count == 0 ? double.NaN : _plan.Max,
            RoundTripMsP50 = _client.RoundTrip.Percentile(0.5),
            RoundTripMsP99 = _client.RoundTrip.Percentile(0.99),
            RoundTripMsMax = _client.RoundTrip.Count == 0 ? double.NaN : _client.RoundTrip.Max,
            FramesSent = _client.FramesSent,
            FramesAccepted = _client.Received.FramesAccepted,
            FramesLost = _client.Received.FramesLost,
            FramesRejected = _client.Received.DroppedByCause(),
        };

    public void Dispose()
    {
        (Interlocked.Exchange(ref _pendingQ, null) as IDisposable)?.Dispose();
        if (_ownsCurrentQ)
        {
            (_planner.TerminalCost as IDisposable)?.Dispose();
        }
        _planner.Dispose();
        _observer.Dispose();
        _model.Dispose();
    }
}
