using System.Diagnostics;
using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Planning.Mppi;

/// <summary>
/// Infinite-horizon MPPI (DESIGN.md): sample N noisy action sequences around the nominal plan, roll
/// the model H − 1 steps, score with discounted running cost, control cost (optional, <see cref="MppiSettings.ControlCost"/>)
/// and a terminal cost,
/// weight by softmax(−S/λ) and move the plan by α · Σ w ε. Returns the free energy
/// V = −λ (logsumexp(−S/λ) − log N).
/// </summary>
/// <remarks>
/// All buffers are sized by <see cref="Configure"/>; a planning call allocates nothing. Rollouts
/// run on a <see cref="WorkerPool"/>, one rollout context per worker; noise comes from a stream
/// per (seed, call, sample), so results do not depend on the thread count.
/// Sampled actions are clipped to the limits; the nominal plan is clipped after each update.
/// </remarks>
public sealed class MppiPlanner : IPlanner, IParallelWork
{
    private const int CacheLinePad = 8; // doubles: 64 bytes

    private readonly IDynamicsModel _dynamics;
    private readonly IRunningCost _cost;
    private readonly WorkerPool _pool;
    private readonly IRolloutContext[] _contexts;
    private readonly Plan _plan;
    private readonly double[][] _observation;
    private readonly double[][] _action;
    private readonly double[][] _lastAction;
    private readonly double[] _previous;
    private bool _previousPending = true;
    private readonly double[] _state;
    private readonly int _actionSize;
    private ITerminalCost? _terminal;
    private MppiSettings _settings = new();

    private double[] _noise = [];
    private double[] _costs = [];
    private double[] _weights = [];
    private double[] _std = [];
    private double[] _inverseVariance = [];
    private float[] _terminalObservations = [];
    private float[] _terminalActions = [];
    private float[] _terminalValues = [];
    private ulong _call;
    private int _nextChunk;
    private int _chunk = 1;

    public MppiPlanner(IDynamicsModel dynamics, IRunningCost cost, ReadOnlySpan<double> actionLow, ReadOnlySpan<double> actionHigh,
        MppiSettings settings, WorkerPool pool, ITerminalCost? terminalCost = null)
    {
        _dynamics = dynamics;
        _cost = cost;
        _pool = pool;
        _actionSize = dynamics.ActionSize;
        if (actionLow.Length != _actionSize || actionHigh.Length != _actionSize)
        {
            throw new ArgumentException($"action limits need {_actionSize} entries each");
        }
        _state = new double[dynamics.StateSize];
        _plan = new Plan(_actionSize, actionLow, actionHigh, settings.Horizon);
        _contexts = new IRolloutContext[pool.Threads];
        _observation = new double[pool.Threads][];
        _action = new double[pool.Threads][];
        _lastAction = new double[pool.Threads][];
        _previous = new double[_actionSize];
        for (var w = 0; w < pool.Threads; w++)
        {
            _contexts[w] = dynamics.CreateContext();
            // Padded so two workers' scratch never share a cache line (false sharing costs ~20% on 2 cores).
            _observation[w] = new double[dynamics.ObservationSize + 2 * CacheLinePad];
            _action[w] = new double[_actionSize + 2 * CacheLinePad];
            _lastAction[w] = new double[_actionSize + 2 * CacheLinePad];
        }
        _terminal = terminalCost;
        Configure(settings);
    }

    /// <summary>
    /// Planning calls so far: with the seed it selects the noise streams, so a checkpointed run that restores it
    /// draws the same noise as an unbroken one.
    /// </summary>
    public ulong CallCounter { get => _call; set => _call = value; }

    /// <summary>Current settings.</summary>
    public MppiSettings Settings => _settings;

    /// <inheritdoc />
    public int StateSize => _state.Length;

    /// <inheritdoc />
    public int ActionSize => _actionSize;

    /// <summary>The nominal plan, H × m, row-major, with its reset/shift/hold life cycle.</summary>
    public Plan Plan => _plan;

    /// <summary>Time spent in rollouts (including the noise draws) per iteration, ms.</summary>
    public LatencyRecorder RolloutTimes { get; } = new();

    /// <summary>Time spent in the batched terminal cost per iteration, ms.</summary>
    public LatencyRecorder TerminalTimes { get; } = new();

    /// <summary>Time spent weighting and updating the plan per iteration, ms.</summary>
    public LatencyRecorder UpdateTimes { get; } = new();

    /// <summary>Costs S of the last iteration's samples (after the terminal cost).</summary>
    public ReadOnlySpan<double> SampleCosts => _costs;

    /// <summary>The terminal cost in use, or null for the running cost.</summary>
    public ITerminalCost? TerminalCost => _terminal;

    /// <summary>
    /// Applies new settings and re-sizes buffers. Call between planning steps only.
    /// The plan is kept where the horizon allows (truncated or zero-extended).
    /// </summary>
    public void Configure(MppiSettings settings)
    {
        settings.Validate(_actionSize);
        var h = settings.Horizon;
        var n = settings.Samples;
        _plan.Resize(h);
        _noise = new double[n * h * _actionSize];
        _costs = new double[n];
        _weights = new double[n];
        _std = new double[_actionSize];
        _inverseVariance = new double[_actionSize];
        for (var d = 0; d < _actionSize; d++)
        {
            _std[d] = settings.Std(d);
            _inverseVariance[d] = 1.0 / (_std[d] * _std[d]);
        }
        _settings = settings;
        // Eight chunks per worker: a worker the OS preempts holds back one chunk, not its whole share.
        _chunk = Math.Max(1, n / (8 * _pool.Threads));
        BindTerminal(_terminal);
    }

    /// <summary>Sets (or removes, with null) the terminal cost. Call between planning steps only.</summary>
    public void SetTerminalCost(ITerminalCost? terminal)
    {
        if (terminal is not null && (terminal.ObservationSize != _dynamics.ObservationSize || terminal.ActionSize != _actionSize))
        {
            throw new ArgumentException(
                $"terminal cost expects observation {terminal.ObservationSize} and action {terminal.ActionSize}, the model has {_dynamics.ObservationSize} and {_actionSize}");
        }
        BindTerminal(terminal);
    }

    /// <summary>
    /// Resets the nominal plan: to zero now, and, at the next planning call, to the model's hold action at that
    /// state (<see cref="IRolloutContext.HoldAction"/>: zero for torque and velocity actuators, "stay where you
    /// are" for position servos, for which zero would mean "go to the origin").
    /// </summary>
    public void ResetPlan()
    {
        _plan.Reset();
        _previousPending = true;
    }

    /// <summary>
    /// The action the action-rate cost compares a plan's first step with: the last one <see cref="Step"/> or
    /// <see cref="Fallback"/> wrote, or after a reset the hold action of the next state planned from.
    /// </summary>
    public ReadOnlySpan<double> PreviousAction => _previous;

    /// <summary>
    /// One online control step: <see cref="MppiSettings.Iterations"/> iterations from
    /// <paramref name="state"/>, writes the first action of the plan, shifts the plan.
    /// </summary>
    /// <returns>The free energy of the last iteration's samples.</returns>
    /// <remarks>
    /// When no sample scored a finite cost (a terminal cost that gives NaN, a diverged model), nothing is known about the
    /// plan: the step writes the state's hold action instead (zero torque, or "stay" for a position servo), counts it in
    /// <see cref="NonFiniteSteps"/>, and resets the plan.
    /// </remarks>
    public double Step(ReadOnlySpan<double> state, Span<double> action)
    {
        var value = Optimize(state, _settings.Iterations);
        if (double.IsFinite(value))
        {
            _plan.First.CopyTo(action);
            action.CopyTo(_previous);
            Shift();
            return value;
        }
        NonFiniteSteps++;
        var context = _contexts[0];
        context.SetState(_state);
        _plan.HoldAction(context, action);
        ResetPlan();
        return value;
    }

    /// <summary>Steps in which no sample had a finite cost and the hold action was sent instead of the plan.</summary>
    public long NonFiniteSteps { get; private set; }

    /// <summary>
    /// The action for a period there is no time to plan in: the warm-started plan's next action from
    /// <paramref name="state"/>, without sampling, then a shift. A tail still waiting for its state (all of a
    /// one-step plan) is that state's hold action first, so a position servo is told to stay, not to go to zero.
    /// </summary>
    /// <exception cref="ArgumentException">The state has the wrong length or a non-finite entry.</exception>
    public void Fallback(ReadOnlySpan<double> state, Span<double> action)
    {
        LoadState(state);
        _plan.First.CopyTo(action);
        action.CopyTo(_previous);
        Shift();
    }

    /// <summary>Runs <paramref name="iterations"/> sample-and-update iterations from <paramref name="state"/>.</summary>
    /// <returns>The free energy of the last iteration's samples (before its update).</returns>
    /// <exception cref="ArgumentException">The state has the wrong length or a non-finite entry.</exception>
    public double Optimize(ReadOnlySpan<double> state, int iterations)
    {
        LoadState(state);
        var value = double.PositiveInfinity;
        for (var k = 0; k < iterations; k++)
        {
            value = Iterate(update: true);
        }
        return value;
    }

    /// <summary>
    /// The H-step free energy used as a Q target: reset the plan, run <paramref name="iterations"/>
    /// iterations, then score one more batch around the improved plan.
    /// </summary>
    /// <remarks>
    /// The plan is reset before the state is loaded, so it starts at that state's hold action ("stay" for a position
    /// servo), not at zero (for a servo, "drive to the origin"). With an action-rate cost the first step is compared
    /// with <paramref name="previousAction"/>, the action of the transition into the state: the Q this trains is the
    /// value given the previous action, which is its own input.
    /// </remarks>
    /// <exception cref="ArgumentException">A bad state, or a previous action of the wrong length or not finite.</exception>
    public double EstimateValue(ReadOnlySpan<double> state, int iterations, ReadOnlySpan<double> previousAction = default)
    {
        if (!previousAction.IsEmpty && previousAction.Length != _actionSize)
        {
            throw new ArgumentException($"previous action has length {previousAction.Length}, the model has {_actionSize} actions", nameof(previousAction));
        }
        ResetPlan();
        LoadState(state);
        if (!previousAction.IsEmpty)
        {
            for (var d = 0; d < _actionSize; d++)
            {
                var a = previousAction[d];
                if (!double.IsFinite(a))
                {
                    throw new ArgumentException("previous action contains NaN or infinity", nameof(previousAction));
                }
                _previous[d] = Math.Clamp(a, _plan.Low[d], _plan.High[d]);
            }
        }
        for (var k = 0; k < iterations; k++)
        {
            Iterate(update: true);
        }
        return Iterate(update: false);
    }

    /// <summary>Moves the plan one step earlier and fills the tail (<see cref="Mppi.Plan.Shift"/>).</summary>
    public void Shift() => _plan.Shift(_settings.Tail);

    private void LoadState(ReadOnlySpan<double> state)
    {
        if (state.Length != _state.Length)
        {
            throw new ArgumentException($"state has length {state.Length}, the model's state size is {_state.Length}", nameof(state));
        }
        foreach (var v in state)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException("state contains NaN or infinity", nameof(state));
            }
        }
        state.CopyTo(_state);
        if (_plan.Pending || _previousPending)
        {
            // Worker 0's context is idle between iterations: the hold action of the state being planned from.
            var context = _contexts[0];
            context.SetState(_state);
            if (_plan.Pending)
            {
                _plan.Begin(context);
            }
            if (_previousPending)
            {
                _plan.HoldAction(context, _previous);
                _previousPending = false;
            }
        }
    }

    private double Iterate(bool update)
    {
        var t0 = Stopwatch.GetTimestamp();
        _call++;
        Volatile.Write(ref _nextChunk, 0);
        _pool.Run(this);
        var t1 = Stopwatch.GetTimestamp();
        RolloutTimes.Record(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);

        var n = _settings.Samples;
        if (_terminal is not null)
        {
            _terminal.Evaluate(n);
            var discount = Math.Pow(_settings.Gamma, _settings.Horizon - 1);
            var floor = _settings.TerminalFloor;
            for (var i = 0; i < n; i++)
            {
                _costs[i] += discount * Math.Max(_terminalValues[i], floor);
            }
        }
        var t2 = Stopwatch.GetTimestamp();
        TerminalTimes.Record(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);

        var value = Weigh();
        if (update && double.IsFinite(value))
        {
            UpdatePlan();
        }
        UpdateTimes.RecordSince(t2);
        return value;
    }

    /// <summary>Softmax weights with log-sum-exp; returns the free energy (or +∞ if no sample is finite).</summary>
    private double Weigh()
    {
        var n = _settings.Samples;
        var lambda = _settings.Lambda;
        var min = double.PositiveInfinity;
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(_costs[i]))
            {
                _costs[i] = double.PositiveInfinity; // a diverged rollout gets weight zero
            }
            else if (_costs[i] < min)
            {
                min = _costs[i];
            }
        }
        if (!double.IsFinite(min))
        {
            Array.Clear(_weights);
            return double.PositiveInfinity;
        }
        var sum = 0.0;
        for (var i = 0; i < n; i++)
        {
            var w = Math.Exp(-(_costs[i] - min) / lambda);
            _weights[i] = w;
            sum += w;
        }
        var inv = 1.0 / sum;
        for (var i = 0; i < n; i++)
        {
            _weights[i] *= inv;
        }
        // V = −λ (logsumexp(−S/λ) − log N), with logsumexp(−S/λ) = −min/λ + log Σ exp(−(S − min)/λ)
        return min - lambda * Math.Log(sum) + lambda * Math.Log(n);
    }

    private void UpdatePlan()
    {
        var n = _settings.Samples;
        var plan = _plan.Values;
        var width = plan.Length;
        var alpha = _settings.StepSize;
        for (var i = 0; i < n; i++)
        {
            var w = _weights[i];
            if (w == 0)
            {
                continue;
            }
            var scale = alpha * w;
            var eps = _noise.AsSpan(i * width, width);
            for (var j = 0; j < width; j++)
            {
                plan[j] += scale * eps[j];
            }
        }
        _plan.Clamp();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Samples are claimed in chunks from a shared counter rather than split in fixed shares: under contention (another
    /// busy process on the cores) a preempted worker delays only the chunk it holds while the others take the rest.
    /// Results do not depend on who rolls a sample: each sample has its own noise stream and starts from the same state.
    /// </remarks>
    void IParallelWork.Execute(int worker, int workers)
    {
        var n = _settings.Samples;
        var chunk = _chunk;
        var context = _contexts[worker];
        var observation = _observation[worker];
        var action = _action[worker];
        var obs = observation.AsSpan(CacheLinePad, _dynamics.ObservationSize);
        var act = action.AsSpan(CacheLinePad, _actionSize);
        var last = _lastAction[worker].AsSpan(CacheLinePad, _actionSize);
        while (true)
        {
            var start = (Interlocked.Increment(ref _nextChunk) - 1) * chunk;
            if (start >= n)
            {
                return;
            }
            var end = Math.Min(n, start + chunk);
            for (var i = start; i < end; i++)
            {
                _costs[i] = Rollout(i, context, obs, act, last);
            }
        }
    }

    private double Rollout(int sample, IRolloutContext context, Span<double> observation, Span<double> action, Span<double> last)
    {
        var s = _settings;
        var h = s.Horizon;
        var m = _actionSize;
        var lambda = s.Lambda;
        var gamma = s.Gamma;
        var filter = s.NoiseFilter;
        var rng = SplitMix64.ForStream(s.Seed, _call, (ulong)sample);
        var noise = _noise.AsSpan(sample * h * m, h * m);
        var plan = _plan.Values;
        var low = _plan.Low;
        var high = _plan.High;
        // Draw the whole sequence's noise first: a tight arithmetic loop, apart from the native steps.
        for (var t = 0; t < h; t++)
        {
            for (var d = 0; d < m; d++)
            {
                var e = rng.NextGaussian() * _std[d];
                if (filter is not null)
                {
                    e *= filter[0];
                    if (t >= 1)
                    {
                        e += filter[1] * noise[(t - 1) * m + d];
                    }
                    if (t >= 2)
                    {
                        e += filter[2] * noise[(t - 2) * m + d];
                    }
                }
                noise[t * m + d] = e;
            }
        }
        context.BeginSample(sample);
        context.SetState(_state);
        var total = 0.0;
        var discount = 1.0;
        var controlWeight = s.ControlCost ? lambda : 0.0;
        var rateWeight = s.ActionRateCost;
        _previous.CopyTo(last);
        for (var t = 0; t < h; t++)
        {
            // λ (½ uᵀΣ⁻¹u + uᵀΣ⁻¹ε): the importance weight of a sample drawn around u rather than from the zero-mean
            // prior. The ½ uᵀΣ⁻¹u half is the same for every sample (no effect on the weights) but belongs in the free
            // energy: without it V is optimistic by λ/2 Σ uᵀΣ⁻¹u (mjmpc's MPPI has both halves, on every step).
            var controlCost = 0.0;
            for (var d = 0; d < m; d++)
            {
                var e = noise[t * m + d];
                var u = plan[t * m + d];
                action[d] = Math.Clamp(u + e, low[d], high[d]);
                controlCost += u * _inverseVariance[d] * (0.5 * u + e);
            }
            total += discount * controlWeight * controlCost;
            if (rateWeight > 0)
            {
                // w Σ (a_t − a_{t−1})², on every step including the one Q stands for: Q(s, a) is the value given a.
                var rate = 0.0;
                for (var d = 0; d < m; d++)
                {
                    var change = action[d] - last[d];
                    rate += change * change;
                    last[d] = action[d];
                }
                total += discount * rateWeight * rate;
            }
            context.Observe(observation);
            if (t < h - 1)
            {
                total += discount * _cost.Cost(observation, action);
                context.Step(action);
                discount *= gamma;
            }
            else if (_terminal is not null)
            {
                var o = _terminalObservations.AsSpan(sample * observation.Length, observation.Length);
                for (var j = 0; j < observation.Length; j++)
                {
                    o[j] = (float)observation[j];
                }
                var a = _terminalActions.AsSpan(sample * m, m);
                for (var d = 0; d < m; d++)
                {
                    a[d] = (float)action[d];
                }
            }
            else
            {
                total += discount * _cost.Cost(observation, action);
            }
        }
        return total;
    }

    private void BindTerminal(ITerminalCost? terminal)
    {
        _terminal = terminal;
        if (terminal is null)
        {
            return;
        }
        var n = _settings.Samples;
        if (_terminalValues.Length != n || _terminalObservations.Length != n * _dynamics.ObservationSize)
        {
            _terminalObservations = GC.AllocateArray<float>(n * _dynamics.ObservationSize, pinned: true);
            _terminalActions = GC.AllocateArray<float>(n * _actionSize, pinned: true);
            _terminalValues = GC.AllocateArray<float>(n, pinned: true);
        }
        terminal.Bind(_terminalObservations, _terminalActions, _terminalValues, n);
    }

    public void Dispose()
    {
        foreach (var c in _contexts)
        {
            c.Dispose();
        }
    }
}
