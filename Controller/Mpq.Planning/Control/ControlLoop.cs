using System.Diagnostics;
using Mpq.Common;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Planning.Control;

/// <summary>How long a run of the loop lasts: a number of steps (an episode), a wall-clock duration (a rig run), or both.</summary>
public readonly record struct LoopLimits(int? Steps = null, TimeSpan? Duration = null)
{
    public static LoopLimits ForSteps(int steps) => new(Steps: steps);

    public static LoopLimits ForDuration(TimeSpan duration) => new(Duration: duration);
}

/// <summary>
/// Where the slowest step of a run spent its time, ms: the live changes applied between steps, planning, handing the
/// action to the plant, and reading the next state after the period's sleep. A step that overran says which part did.
/// </summary>
/// <param name="Step">Its index in the run.</param>
/// <param name="AtSeconds">When it began, seconds after the run began.</param>
/// <param name="WorkMs">From its start until the action was handed over (between + plan + act).</param>
/// <param name="BetweenMs">Applying live changes (<see cref="ControlLoop.BetweenSteps"/>).</param>
/// <param name="PlanMs">The planner's step (or its fallback).</param>
/// <param name="ActMs">Handing the action to the plant.</param>
/// <param name="ObserveMs">Reading the next state, after the sleep to the period's end.</param>
public readonly record struct StepTiming(long Step, double AtSeconds, double WorkMs, double BetweenMs, double PlanMs, double ActMs, double ObserveMs);

/// <summary>What a run of the loop did.</summary>
/// <param name="Steps">Control steps taken (actions sent).</param>
/// <param name="TotalCost">Sum of the task's one-step cost over the steps in which the plant was live.</param>
/// <param name="Success">The task's success rule over the run (its window at the end, or any step for a window of 0).</param>
/// <param name="SecondsToSuccess">When the success rule first held (for a window: when the window began), in control time; null if never.</param>
/// <param name="Stop">Why the run ended.</param>
/// <param name="StopReason">The same for people.</param>
public sealed record LoopResult(long Steps, double TotalCost, bool Success, double? SecondsToSuccess, RunStop Stop, string StopReason)
{
    /// <summary>The step whose work (between + plan + act) took longest, or whose next-state read did, whichever was slower.</summary>
    public StepTiming SlowestStep { get; init; }

    /// <summary>Steps whose planning overran the period (paced loops only).</summary>
    public long DeadlineMisses { get; init; }

    /// <summary>Periods answered with the warm-started plan's next action after an overrun.</summary>
    public long Fallbacks { get; init; }

    /// <summary>Planned actions that were not finite and went out as zero.</summary>
    public long NonFiniteActions { get; init; }

    /// <summary>How smooth the applied actions were over the run's live steps.</summary>
    public SmoothnessFigures? Smoothness { get; init; }

    /// <summary>The same over the live steps planned from the task's success region (the pendulum: upright).</summary>
    public SmoothnessFigures? SmoothnessInSuccessRegion { get; init; }
}

/// <summary>
/// The one observe → plan → act → record loop, for a simulation and for a rig alike: it owns the deadlines, the
/// overrun fallback, the timing statistics, the non-finite-action policy, success tracking from the task's own
/// window, and the transition sink. What it drives is an <see cref="IPlant"/>.
/// </summary>
/// <remarks>
/// <para>Free-running (<see cref="Period"/> null): every <see cref="IPlant.Act"/> advances the plant one control
/// period, as a simulation does; nothing waits. Paced: steps sit on an absolute deadline grid
/// (<see cref="PreciseClock"/>); a step whose planning overran its period is followed at once by the warm-started
/// plan's next action (<see cref="IPlanner.Fallback"/>) so the plant keeps getting fresh actions, then the loop
/// rejoins the grid. A planner that stops altogether sends nothing, and a rig's watchdog trips.</para>
/// <para>Any doubt means zero: a non-finite planned action is sent as zero and the plan is forgotten. A
/// transition is recorded only when the plant was live both before and after the action (only what a rig
/// applied is data). Other threads only publish requests, which <see cref="BetweenSteps"/> applies between two
/// steps; the loop's counters may be read from any thread while it runs. The per-step path allocates nothing.</para>
/// </remarks>
public sealed class ControlLoop
{
    private readonly ITask _task;
    private readonly IPlant _plant;
    private readonly double[] _state;
    private readonly double[] _next;
    private readonly double[] _observation;
    private readonly double[] _nextObservation;
    private readonly double[] _action;
    private readonly double[] _applied;
    private readonly double[] _measured;
    private long _currentStep;
    private long _steps;
    private long _misses;
    private long _fallbacks;
    private long _nonFinite;

    public ControlLoop(ITask task, IPlanner planner, IPlant plant)
    {
        if (plant.StateSize != planner.StateSize || plant.ActionSize != planner.ActionSize || plant.ActionSize != task.ActionSize || plant.ObservationSize != task.ObservationSize)
        {
            throw new ArgumentException($"plant (state {plant.StateSize}, observation {plant.ObservationSize}, action {plant.ActionSize}) does not fit planner (state {planner.StateSize}, action {planner.ActionSize}) and task '{task.Name}' (observation {task.ObservationSize}, action {task.ActionSize})");
        }
        _task = task;
        Planner = planner;
        _plant = plant;
        _state = new double[plant.StateSize];
        _next = new double[plant.StateSize];
        _observation = new double[plant.ObservationSize];
        _nextObservation = new double[plant.ObservationSize];
        _action = new double[plant.ActionSize];
        _applied = new double[plant.ActionSize];
        _measured = new double[plant.ActionSize];
        Smoothness = new ActionSmoothness(planner.Plan.Low, planner.Plan.High); // the planner's limits: on a rig, the rig's torque limit
    }

    /// <summary>Action smoothness of the current run (cleared at each run's start).</summary>
    public ActionSmoothness Smoothness { get; }

    public IPlanner Planner { get; }

    /// <summary>The control period in seconds for a paced loop (a rig); null: free-running (a simulation, one task period per step).</summary>
    public double? Period
    {
        get => _period;
        init
        {
            if (value is { } p && (!double.IsFinite(p) || p <= 0 || p > 10))
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"the control period must be in (0, 10] s (got {p})");
            }
            _period = value;
        }
    }

    private readonly double? _period;

    /// <summary>Receives every transition in which the plant was live; may be changed between runs.</summary>
    public ITransitionSink? Sink { get; set; }

    /// <summary>
    /// Records a live setting change in the sink (a transition log) at the step it takes effect: the next one planned.
    /// Call from <see cref="BetweenSteps"/> (the loop's thread).
    /// </summary>
    public void RecordEvent(string text) => Sink?.Event(Volatile.Read(ref _currentStep), text);

    /// <summary>Called on the loop's thread before every step: applies requests other threads published (settings, a new Q).</summary>
    public Action? BetweenSteps { get; init; }

    /// <summary>
    /// An open-loop torque instead of the planner (a system-identification run): every actuator gets the signal's next
    /// value, the plant and the rig clamp it as they clamp any action. Null (the default): the planner acts.
    /// </summary>
    public Excitation? Excitation { get; init; }

    /// <summary>
    /// Records the steps the plant was not live for, too (a rig disarmed: a free swing after a push by hand, a decay
    /// test), with the torque the plant reports it applied (zero) as the action, so a log of them is true to what moved
    /// the rig. Off (the default): only live steps, what a learner acts on.
    /// </summary>
    public bool RecordNotLive { get; init; }

    /// <summary>Wall time of each planning step (<see cref="IPlanner.Step"/>), ms; cleared by <see cref="ClearStatistics"/>.</summary>
    public LatencyRecorder PlanTimes { get; } = new(1 << 14);

    /// <summary>Steps so far (all runs since the last <see cref="ClearStatistics"/>); safe to read while running.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Steps whose planning overran the period; safe to read while running.</summary>
    public long DeadlineMisses => Interlocked.Read(ref _misses);

    /// <summary>Periods answered with the warm-started plan after an overrun; safe to read while running.</summary>
    public long Fallbacks => Interlocked.Read(ref _fallbacks);

    /// <summary>Non-finite planned actions sent as zero; safe to read while running.</summary>
    public long NonFiniteActions => Interlocked.Read(ref _nonFinite);

    /// <summary>Forgets counters and timings (after a warm-up, at an episode's start).</summary>
    public void ClearStatistics()
    {
        PlanTimes.Clear();
        Interlocked.Exchange(ref _steps, 0);
        Interlocked.Exchange(ref _misses, 0);
        Interlocked.Exchange(ref _fallbacks, 0);
        Interlocked.Exchange(ref _nonFinite, 0);
    }

    /// <summary>Runs until <paramref name="limits"/>, cancellation or the plant's <see cref="IPlant.Stop"/>.</summary>
    public LoopResult Run(LoopLimits limits, CancellationToken cancel = default)
    {
        if (limits.Steps is null && limits.Duration is null)
        {
            throw new ArgumentException("a run needs a number of steps, a duration, or both");
        }
        var period = _period ?? _task.ControlPeriod;
        var paced = _period is not null;
        var periodTicks = (long)(period * Stopwatch.Frequency);
        var window = _task.SuccessWindow <= 0 ? 0 : Math.Max(1, (int)Math.Round(_task.SuccessWindow * _task.ControlPeriod / period));
        var startMisses = DeadlineMisses;
        var startFallbacks = Fallbacks;
        var startNonFinite = NonFiniteActions;
        var clock = Stopwatch.StartNew();
        var clockStart = Stopwatch.GetTimestamp();
        var deadline = Stopwatch.GetTimestamp();
        var total = 0.0;
        var run = 0;
        var everSucceeded = false;
        long? firstSuccess = null;
        var late = false;
        Smoothness.Clear();
        var stop = RunStop.DurationReached;
        var reason = "duration reached";
        long t = 0;
        var slowest = default(StepTiming);
        var ms = 1000.0 / Stopwatch.Frequency;

        var live = _plant.Observe(_state, _observation);
        while (true)
        {
            if (cancel.IsCancellationRequested)
            {
                (stop, reason) = (RunStop.StoppedByUser, "stopped by the user");
                break;
            }
            if (_plant.Stop is { } plantStop)
            {
                (stop, reason) = (plantStop.Kind, plantStop.Reason);
                Sink?.Event(t, $"stop: {plantStop.Reason}"); // once per run: a plot's marker
                break;
            }
            if (t >= limits.Steps || clock.Elapsed >= limits.Duration)
            {
                reason = limits.Steps is { } n && t >= n ? $"{n} steps done" : "duration reached";
                break;
            }
            Volatile.Write(ref _currentStep, t);
            var stepStart = Stopwatch.GetTimestamp();
            BetweenSteps?.Invoke();
            var planStart = Stopwatch.GetTimestamp();

            if (Excitation is { } signal)
            {
                // Open loop: never the planner's plan, not even in a late period.
                Array.Fill(_action, signal.Next());
            }
            else if (late)
            {
                Planner.Fallback(_state, _action);
                Interlocked.Increment(ref _fallbacks);
            }
            else
            {
                var t0 = Stopwatch.GetTimestamp();
                Planner.Step(_state, _action);
                PlanTimes.RecordSince(t0);
            }
            if (!AllFinite(_action))
            {
                // Any doubt means zero; the plan starts again from nothing.
                Array.Clear(_action);
                Planner.ResetPlan();
                Interlocked.Increment(ref _nonFinite);
            }
            var actStart = Stopwatch.GetTimestamp();
            _plant.Act(_action, _applied);
            var actEnd = Stopwatch.GetTimestamp();
            var cost = _task.Cost(_observation, _applied);
            if (live)
            {
                total += cost;
                Smoothness.Add(_applied, _task.IsSuccess(_observation));
            }
            else
            {
                Smoothness.Break();
            }
            Interlocked.Increment(ref _steps);

            if (paced)
            {
                deadline += periodTicks;
                var now = Stopwatch.GetTimestamp();
                if (late)
                {
                    // The overrun's period is answered: rejoin the grid at the next deadline still ahead.
                    while (deadline <= now)
                    {
                        deadline += periodTicks;
                    }
                    late = false;
                    PreciseClock.SleepUntil(deadline);
                }
                else if (now > deadline)
                {
                    // Planning overran into the next period: answer it at once with the warm-started plan.
                    Interlocked.Increment(ref _misses);
                    late = true;
                }
                else
                {
                    PreciseClock.SleepUntil(deadline);
                }
            }

            var observeStart = Stopwatch.GetTimestamp();
            var liveNext = _plant.Observe(_next, _nextObservation);
            var observeEnd = Stopwatch.GetTimestamp();
            var work = (actEnd - stepStart) * ms;
            var observe = (observeEnd - observeStart) * ms;
            if (Math.Max(work, observe) > Math.Max(slowest.WorkMs, slowest.ObserveMs))
            {
                slowest = new StepTiming(t, (stepStart - clockStart) * ms / 1000, work, (planStart - stepStart) * ms, (actStart - planStart) * ms,
                    (actEnd - actStart) * ms, observe);
            }
            if (_task.IsSuccess(_nextObservation))
            {
                run++;
                if (firstSuccess is null && (window == 0 || run == window))
                {
                    firstSuccess = t + 1 - Math.Max(window, 1);
                }
                everSucceeded = true;
            }
            else
            {
                run = 0;
            }
            var done = limits.Steps is { } last && t == last - 1;
            if (live && liveNext)
            {
                _plant.Measured(_measured);
                Sink?.Add(new Transition((int)t, _observation, _applied, cost, _nextObservation, _state, _next, done, _measured));
            }
            else if (RecordNotLive && !live && !liveNext)
            {
                // A wholly disarmed step: what moved the rig is what it applied (zero), not what was asked of it.
                _plant.Measured(_measured);
                Sink?.Add(new Transition((int)t, _observation, _measured, _task.Cost(_observation, _measured), _nextObservation, _state, _next, done, _measured));
            }
            if (liveNext != live)
            {
                // Arm-state edges as events (rare, so the reason's text may allocate), for plots' markers and the log's
                // account of why a rig stopped (an estop, a watchdog trip).
                Sink?.Event(t + 1, liveNext ? "armed" : _plant.NotLiveReason is { } why ? $"disarmed ({why})" : "disarmed");
            }
            _next.CopyTo(_state, 0);
            _nextObservation.CopyTo(_observation, 0);
            live = liveNext;
            t++;
        }
        var success = window == 0 ? everSucceeded : run >= window;
        return new LoopResult(t, total, success, firstSuccess * period, stop, reason)
        {
            DeadlineMisses = DeadlineMisses - startMisses,
            Fallbacks = Fallbacks - startFallbacks,
            NonFiniteActions = NonFiniteActions - startNonFinite,
            Smoothness = Smoothness.All,
            SmoothnessInSuccessRegion = Smoothness.InSuccessRegion,
            SlowestStep = slowest,
        };
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
