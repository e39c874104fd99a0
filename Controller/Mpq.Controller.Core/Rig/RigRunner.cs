using System.Diagnostics;
using System.Globalization;
using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Logging;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Protocol.Messages;
using Mpq.Tasks;

namespace Mpq.Controller.Rig;

/// <summary>What a run on the rig did. Times in ms.</summary>
/// <param name="Steps">Control steps (Commands sent by the loop).</param>
/// <param name="DeadlineMisses">Steps whose planning overran the period.</param>
/// <param name="PlanMsP50">Median planning step.</param>
/// <param name="PlanMsP99">99th percentile planning step.</param>
/// <param name="StateAgeMsP50">Median age of the State a step planned from.</param>
/// <param name="StatesReceived">States the link received.</param>
/// <param name="StopReason">Why the run ended, for people.</param>
/// <param name="SecondsToSuccess">When the task's success rule first held over its own window (the pendulum: upright for 2 s), from the start of the run; null if never.</param>
/// <param name="Success">Whether the task's success rule held at the end of the run (over its window; for a window of 0, at any step).</param>
public sealed record RunSummary(long Steps, long DeadlineMisses, double PlanMsP50, double PlanMsP99, double StateAgeMsP50, double? SecondsToSuccess, bool Success, long StatesReceived, string StopReason)
{
    /// <summary>Why the run ended (<see cref="StopReason"/> says it for people).</summary>
    public RunStop Stop { get; init; }

    /// <summary>Overruns answered with the warm-started plan's next action.</summary>
    public long Fallbacks { get; init; }

    /// <summary>Planned actions that were not finite and went out as zero torque.</summary>
    public long NonFiniteActions { get; init; }

    /// <summary>How smooth the applied torque was over the armed steps (sign flips, mean |Δτ|, share at the limit).</summary>
    public SmoothnessFigures? Smoothness { get; init; }

    /// <summary>The same over the armed steps in the task's success region (the pendulum: upright).</summary>
    public SmoothnessFigures? SmoothnessInSuccessRegion { get; init; }

    /// <summary>Q files swapped in while running.</summary>
    public long QSwaps { get; init; }

    public double PlanMsMax { get; init; } = double.NaN;

    /// <summary>Where the slowest step spent its time (a deadline miss says which part overran).</summary>
    public StepTiming? SlowestStep { get; init; }

    /// <summary>The oldest State a step planned from, ms (the State timeout stops the run above it).</summary>
    public double StateAgeMsMax { get; init; } = double.NaN;
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
        $"link round trip p50 {RoundTripMsP50:F2} ms p99 {RoundTripMsP99:F2} ms max {RoundTripMsMax:F2} ms, State age p50 {StateAgeMsP50:F2} ms max {StateAgeMsMax:F2} ms, Q swaps {QSwaps}, non-finite actions {NonFiniteActions}, " +
        $"success {(SecondsToSuccess is { } t ? $"after {t:F2} s" : "never")}, success at end {(Success ? "yes" : "no")}; " +
        $"link: sent {FramesSent} frames, received {FramesAccepted} intact, {FramesLost} lost, {FramesRejected.Values.Sum()} rejected; stopped: {StopReason}");
}

/// <summary>
/// Runs the control loop against the rig: every control period take the freshest State, plan on the model
/// (the prior's mean parameters: the best estimate of the rig), send a Command echoing that State's
/// sequence. Only the loop's thread sends Commands, so a hung planner starves the Firmware's watchdog.
/// </summary>
/// <remarks>
/// The loop is <see cref="ControlLoop"/> over a <see cref="RigPlant"/>, paced on its own thread
/// (<see cref="DedicatedThread"/>: SustainedLowLatency, SCHED_FIFO at <see cref="RealtimePriority"/> where granted).
/// Other threads (a tuning console, a Q file watcher) only publish requests — new settings (<see cref="Tuning"/>),
/// a new Q (<see cref="OfferTerminalCost"/>) — which the loop applies between two steps.
/// </remarks>
public sealed class RigRunner : IDisposable
{
    private readonly ITask _task;
    private readonly RigClient _client;
    private readonly MuJoCoDynamics _model;
    private readonly MppiPlanner _planner;
    private readonly RigPlant _plant;
    private readonly ControlLoop _loop;
    private readonly double _period;
    private readonly int _actionSize;
    private readonly double[] _warmState;
    private readonly double[] _warmObservation;
    private readonly double[] _warmAction;
    private long _qSwaps;

    private ITerminalCost? _pendingQ;
    private bool _ownsCurrentQ;
    private double _loggedTorqueScale = 1;
    private readonly double[] _limitLow;
    private readonly double[] _limitHigh;
    private double[]? _pendingTorqueLimit;

    public RigRunner(ITask task, MppiSettings settings, WorkerPool pool, ITerminalCost? q, RigClient client, HelloAck rig, ITransitionSink? log, double? rateHz = null, bool keepRunningWhenDisarmed = false,
        Excitation? excitation = null, bool recordNotLive = false)
    {
        _task = task;
        _client = client;
        if (rig.Actuators != task.ActionSize)
        {
            throw new ArgumentException($"rig '{rig.RigName}' has {rig.Actuators} actuator(s), task '{task.Name}' needs {task.ActionSize}");
        }
        _model = new MuJoCoDynamics(task, TaskParameters.Means(task.Parameters));
        if (_model.StateSize != 2 * rig.Joints || _model.Model.Nq != rig.Joints)
        {
            var message = $"rig '{rig.RigName}' reports {rig.Joints} joint(s); task '{task.Name}' has {_model.Model.Nq} position(s) in a state of {_model.StateSize}";
            _model.Dispose();
            throw new ArgumentException(message);
        }
        var low = task.ActionLow.ToArray();
        var high = task.ActionHigh.ToArray();
        for (var a = 0; a < low.Length; a++)
        {
            // Never plan for more torque than the rig will apply.
            low[a] = Math.Max(low[a], -rig.TorqueLimit[a]);
            high[a] = Math.Min(high[a], rig.TorqueLimit[a]);
        }
        _limitLow = new double[low.Length];
        _limitHigh = new double[high.Length];
        _planner = new MppiPlanner(_model, task, low, high, settings, pool, q);
        _period = 1.0 / (rateHz ?? 1.0 / task.ControlPeriod);
        _actionSize = task.ActionSize;
        Tuning = new LiveTuning(settings);
        _plant = new RigPlant(task, client, _model, _period, () => Tuning.TorqueScaleValue) { KeepRunningWhenDisarmed = keepRunningWhenDisarmed };
        _loop = new ControlLoop(task, _planner, _plant)
        {
            Period = _period,
            Sink = log,
            BetweenSteps = ApplyRequests,
            Excitation = excitation,
            RecordNotLive = recordNotLive,
        };
        _warmState = new double[_model.StateSize];
        _warmObservation = new double[task.ObservationSize];
        _warmAction = new double[_actionSize];
    }

    public MppiPlanner Planner => _planner;

    /// <summary>The loop's planning step times (approximate while running; for live views).</summary>
    public LatencyRecorder PlanTimes => _loop.PlanTimes;

    /// <summary>Steps so far and those whose planning overran (safe to read while running).</summary>
    public (long Steps, long DeadlineMisses) Progress => (_loop.Steps, _loop.DeadlineMisses);

    /// <summary>Settings a person may change while running; applied between two steps.</summary>
    public LiveTuning Tuning { get; }

    /// <summary>SCHED_FIFO priority of the loop's thread (0: normal scheduling). Below the Firmware's device loop (80) on a shared machine.</summary>
    public int RealtimePriority { get; init; }

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
    /// The rig watchdog asked for, ms: <see cref="WatchdogMs"/>, or by default 2.5 periods and never under 20 ms (which a
    /// .NET process on a shared machine cannot promise between two Commands). It is also the State timeout: a State
    /// older than this is never acted on, and without a console the run ends (see <see cref="RigPlant"/>).
    /// </summary>
    public double WatchdogMsInEffect => WatchdogMs ?? Math.Max(20, Math.Ceiling(2500 * _period));

    /// <summary>
    /// The rig's torque limit changed (a <c>rig set torque_limit</c> it accepted): from the next step the planner plans
    /// within it, so the model is never credited with torque the rig will clamp away. Call from any thread but the loop's.
    /// </summary>
    public void OfferTorqueLimit(double limit)
    {
        if (!double.IsFinite(limit) || limit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), $"a torque limit must be a finite number ≥ 0 (got {limit})");
        }
        var limits = new double[_actionSize];
        Array.Fill(limits, limit);
        Volatile.Write(ref _pendingTorqueLimit, limits);
    }

    /// <summary>
    /// Publishes a new terminal cost to be swapped in before the next step; the runner then owns it (disposes it
    /// when it is replaced or at the end). Call from any thread but the loop's.
    /// </summary>
    public void OfferTerminalCost(ITerminalCost q)
    {
        if (q.ObservationSize != _task.ObservationSize || q.ActionSize != _actionSize)
        {
            throw new ArgumentException($"terminal cost expects observation {q.ObservationSize} and action {q.ActionSize}, task '{_task.Name}' has {_task.ObservationSize} and {_actionSize}");
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
        var watchdogMs = WatchdogMsInEffect;
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
            $"steps {_loop.Steps}, deadline misses {_loop.DeadlineMisses} (fallbacks {_loop.Fallbacks}), H {s.Horizon} N {s.Samples} λ {s.Lambda:G4} σ {s.Std(0):G4} α {s.StepSize:G3}, torque scale {Tuning.TorqueScaleValue:G3}, Q swaps {Interlocked.Read(ref _qSwaps)}\n" +
            $"ms p50/p99/max: plan {Percentiles(_loop.PlanTimes)}, rollouts {Percentiles(_planner.RolloutTimes)}, Q {Percentiles(_planner.TerminalTimes)}, update {Percentiles(_planner.UpdateTimes)}, serial {Percentiles(_plant.SendTimes)}, round trip {Percentiles(_client.RoundTrip)}, State age {Percentiles(_plant.StateAges)}");
    }

    private static string Percentiles(LatencyRecorder r) => r.Count == 0
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{r.Percentile(0.5):F2}/{r.Percentile(0.99):F2}/{r.Max:F2}");

    /// <summary>
    /// Runs until <paramref name="duration"/>, cancellation, a lost link, or (unless the runner keeps running when
    /// disarmed) the rig leaving the armed state. The rig is sent a Disarm at the end, whatever ended the run.
    /// </summary>
    public RunSummary Run(TimeSpan duration, bool arm, CancellationToken cancel) =>
        DedicatedThread.Run("mpq-control-loop", RealtimePriority, _client.Log, () => RunOnThisThread(duration, arm, cancel));

    private RunSummary RunOnThisThread(TimeSpan duration, bool arm, CancellationToken cancel)
    {
        using var reporter = StartReports(cancel);
        LoopResult? result = null;
        RunStop stop;
        string reason;
        try
        {
            (stop, reason) = (RunStop.NoState, "no State from the rig within 2 s");
            if (_plant.WaitForFirstState(TimeSpan.FromSeconds(2)))
            {
                WarmUp();
                if (arm && ArmAndWait() is { } refused)
                {
                    (stop, reason) = (RunStop.ArmRefused, refused);
                }
                else
                {
                    _plant.Begin(armRequested: arm, stateTimeout: TimeSpan.FromMilliseconds(WatchdogMsInEffect));
                    result = _loop.Run(LoopLimits.ForDuration(duration), cancel);
                    (stop, reason) = (result.Stop, result.StopReason);
                }
            }
        }
        finally
        {
            // On the line before Run returns; if the line is gone, the Firmware's watchdog and link timeout zero the torque.
            _client.Send(new Disarm());
            _client.Flush(TimeSpan.FromSeconds(1));
        }
        // Counted after the Disarm went out: the run's link counts end with its last frame.
        return Summary(result, stop, reason);
    }

    /// <summary>
    /// Runs the step's whole path (State, plan, Command) before arming, until JIT tiering and ONNX Runtime have
    /// settled (a cold first step takes several periods at 500 Hz), then forgets the plan. The Commands it sends
    /// carry zero torque, whatever the rig's state.
    /// </summary>
    /// <remarks>
    /// Each step is followed by a rest as long as the step (at least 1 ms): the loop and its workers run at SCHED_FIFO on
    /// every core, and back-to-back steps of a heavy planner (8 ms at N 1024, K 3) held the cores for the whole second,
    /// starving every normal thread on the machine — the link's writer and, on a shared machine, the Firmware's reader —
    /// until the rig heard nothing for its link_timeout_ms, forgot the handshake and refused the Arm.
    /// </remarks>
    private void WarmUp()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 200 && clock.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            var start = clock.Elapsed;
            _plant.Observe(_warmState, _warmObservation);
            _planner.Step(_warmState, _warmAction);
            _plant.SendZeroTorque();
            var rest = clock.Elapsed - start;
            Thread.Sleep(rest < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : rest);
        }
        _planner.ResetPlan();
        _loop.ClearStatistics();
        _plant.SendTimes.Clear();
        _plant.StateAges.Clear();
    }

    /// <summary>Arms before the loop starts, feeding the watchdog while the Arm takes effect.</summary>
    private string? ArmAndWait()
    {
        if (RequestArm() is { } refused)
        {
            return refused;
        }
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var lastArm = waiting.Elapsed;
        while (_plant.Snapshot.Arm != RigArmState.Armed && waiting.Elapsed < TimeSpan.FromSeconds(1))
        {
            _plant.WaitForNextState(TimeSpan.FromMilliseconds(50));
            if (_plant.Snapshot.Arm != RigArmState.Armed)
            {
                _plant.SendZeroTorque(); // keeps the watchdog fed while the Arm takes effect
                if (waiting.Elapsed - lastArm > TimeSpan.FromMilliseconds(250))
                {
                    _client.Send(new Arm()); // the same request again: the first may have been lost on the line
                    lastArm = waiting.Elapsed;
                }
            }
        }
        return _plant.Snapshot.Arm == RigArmState.Armed ? null : $"the rig did not arm ({_plant.Snapshot.Arm}, faults {_plant.Snapshot.Faults})";
    }

    /// <summary>Settings and Q changes requested by other threads, applied between two steps.</summary>
    private void ApplyRequests()
    {
        if (Volatile.Read(ref _pendingTorqueLimit) is not null && Interlocked.Exchange(ref _pendingTorqueLimit, null) is { } limits)
        {
            for (var a = 0; a < _actionSize; a++)
            {
                _limitLow[a] = Math.Max(_task.ActionLow[a], -limits[a]);
                _limitHigh[a] = Math.Min(_task.ActionHigh[a], limits[a]);
            }
            _planner.Plan.SetLimits(_limitLow, _limitHigh);
            _loop.RecordEvent(string.Create(CultureInfo.InvariantCulture, $"torque_limit={limits[0]:R}"));
            _client.Log(string.Create(CultureInfo.InvariantCulture, $"planner now plans within ±{limits[0]:G4} (the rig's torque limit)"));
        }
        var scale = Tuning.TorqueScaleValue;
        if (scale != _loggedTorqueScale)
        {
            _loggedTorqueScale = scale;
            _loop.RecordEvent(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"torque_scale={scale:R}"));
        }
        if (Tuning.TakePending() is { } tuned)
        {
            // γ and the floor are the Q's own, set when a Q is loaded or swapped in: tuning never changes them.
            var settings = tuned with { Gamma = _planner.Settings.Gamma, TerminalFloor = _planner.Settings.TerminalFloor };
            try
            {
                _planner.Configure(settings);
                _loop.RecordEvent(TransitionLogFiles.DescribeLine(settings));
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
            // γ and the floor are the Q's own, as at load: a Q learned under a floor (a trainer's online Q) is believed only
            // above it, and its values are sums discounted by its γ (a file that does not say keeps the γ in use).
            var file = q as Onnx.OnnxTerminalCost;
            var floor = file?.TrainedTerminalFloor ?? double.NegativeInfinity;
            var gamma = file?.TrainedGamma ?? _planner.Settings.Gamma;
            if (!floor.Equals(_planner.Settings.TerminalFloor) || !gamma.Equals(_planner.Settings.Gamma))
            {
                _planner.Configure(_planner.Settings with { TerminalFloor = floor, Gamma = gamma });
                _loop.RecordEvent(string.Create(CultureInfo.InvariantCulture, $"terminal_floor={floor:R} gamma={gamma:R}"));
            }
            if (_ownsCurrentQ && old is IDisposable retired)
            {
                // Never on the loop thread: closing an ONNX Runtime session takes longer than a step may.
                ThreadPool.QueueUserWorkItem(static r => r.Dispose(), retired, preferLocal: false);
            }
            _ownsCurrentQ = true;
            Interlocked.Increment(ref _qSwaps);
            _loop.RecordEvent(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"q=swap {Interlocked.Read(ref _qSwaps)}"));
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

    private RunSummary Summary(LoopResult? result, RunStop stop, string reason) =>
        new(_loop.Steps, _loop.DeadlineMisses, _loop.PlanTimes.Percentile(0.5), _loop.PlanTimes.Percentile(0.99), _plant.StateAges.Percentile(0.5),
            result?.SecondsToSuccess, result?.Success ?? false, _client.StatesReceived, reason)
        {
            Stop = stop,
            Smoothness = result?.Smoothness,
            SmoothnessInSuccessRegion = result?.SmoothnessInSuccessRegion,
            SlowestStep = result?.SlowestStep,
            Fallbacks = _loop.Fallbacks,
            NonFiniteActions = _loop.NonFiniteActions + _planner.NonFiniteSteps,
            QSwaps = Interlocked.Read(ref _qSwaps),
            PlanMsMax = _loop.PlanTimes.Count == 0 ? double.NaN : _loop.PlanTimes.Max,
            StateAgeMsMax = _plant.StateAges.Count == 0 ? double.NaN : _plant.StateAges.Max,
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
        _plant.Dispose();
        _model.Dispose();
    }
}
