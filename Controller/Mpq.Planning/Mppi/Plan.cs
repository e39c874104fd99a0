using Mpq.Planning.Dynamics;

namespace Mpq.Planning.Mppi;

/// <summary>
/// The nominal action sequence a receding-horizon planner warm-starts from (H × m, row-major), with its life cycle
/// apart from the optimiser that improves it: reset, shift after each step, and the hold action that fills what a
/// reset or a shift left open once the state it belongs to is known (mujoco_mpc keeps its policy apart from its
/// planner in the same way).
/// </summary>
/// <remarks>
/// States: after <see cref="Reset"/> every slot is zero and "pending"; after <see cref="Shift"/> the last slot is
/// (for <see cref="TailMode.Zero"/>). <see cref="Begin"/> with the state being planned from turns the pending slots
/// into that state's hold action (zero torque, or "stay where you are" for a position servo — never zero, which for a
/// servo means "drive to the origin"). Every value is kept within the action limits.
/// </remarks>
public sealed class Plan
{
    private readonly int _actionSize;
    private readonly double[] _low;
    private readonly double[] _high;
    private readonly double[] _hold;
    private double[] _values = [];
    private bool _resetPending = true;
    private bool _tailPending;

    /// <exception cref="ArgumentException">The limits' lengths differ from <paramref name="actionSize"/>.</exception>
    public Plan(int actionSize, ReadOnlySpan<double> low, ReadOnlySpan<double> high, int horizon)
    {
        if (low.Length != actionSize || high.Length != actionSize)
        {
            throw new ArgumentException($"action limits need {actionSize} entries each");
        }
        _actionSize = actionSize;
        _low = low.ToArray();
        _high = high.ToArray();
        _hold = new double[actionSize];
        Resize(horizon);
    }

    /// <summary>Actions per step.</summary>
    public int ActionSize => _actionSize;

    /// <summary>Steps in the plan.</summary>
    public int Horizon => _values.Length / _actionSize;

    /// <summary>The values, H × m, row-major (the optimiser adds its update here, then calls <see cref="Clamp"/>).</summary>
    public Span<double> Values => _values;

    /// <summary>The first step's action (what is sent).</summary>
    public ReadOnlySpan<double> First => _values.AsSpan(0, _actionSize);

    /// <summary>Lower action limits.</summary>
    public ReadOnlySpan<double> Low => _low;

    /// <summary>Upper action limits.</summary>
    public ReadOnlySpan<double> High => _high;

    /// <summary>Whether a reset or a shift's tail waits for <see cref="Begin"/>.</summary>
    public bool Pending => _resetPending || _tailPending;

    /// <summary>Changes the horizon, keeping the prefix (truncated or zero-extended), clamped.</summary>
    public void Resize(int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        var old = _values;
        _values = new double[horizon * _actionSize];
        old.AsSpan(0, Math.Min(old.Length, _values.Length)).CopyTo(_values);
        Clamp();
    }

    /// <summary>Forgets the plan: zero now, the hold action of the next state <see cref="Begin"/> is given.</summary>
    public void Reset()
    {
        Array.Clear(_values);
        Clamp();
        _resetPending = true;
        _tailPending = false;
    }

    /// <summary>
    /// Moves the plan one step earlier (after its first action was used). The new last step repeats the old one
    /// (<see cref="TailMode.Repeat"/>, horizon above 1) or is zero until <see cref="Begin"/> makes it the hold action.
    /// </summary>
    public void Shift(TailMode tail)
    {
        var h = Horizon;
        if (h > 1)
        {
            _values.AsSpan(_actionSize).CopyTo(_values);
        }
        if (tail == TailMode.Zero || h == 1)
        {
            var last = _values.AsSpan((h - 1) * _actionSize, _actionSize);
            last.Clear();
            ClampSpan(last);
            _tailPending = true;
        }
    }

    /// <summary>
    /// Fills what a reset or a shift left open with the hold action of the state <paramref name="context"/> is set to
    /// (the caller set it to the state being planned from). Does nothing when nothing is pending.
    /// </summary>
    public void Begin(IRolloutContext context)
    {
        if (!Pending)
        {
            return;
        }
        context.HoldAction(_hold);
        ClampSpan(_hold);
        var from = _resetPending ? 0 : Horizon - 1;
        for (var t = from; t < Horizon; t++)
        {
            _hold.CopyTo(_values.AsSpan(t * _actionSize, _actionSize));
        }
        _resetPending = false;
        _tailPending = false;
    }

    /// <summary>The hold action of the state <paramref name="context"/> is set to, clamped (a step with nothing better to send).</summary>
    public void HoldAction(IRolloutContext context, Span<double> action)
    {
        context.HoldAction(action);
        ClampSpan(action);
    }

    /// <summary>
    /// New action limits (a rig whose torque limit was lowered while running), the plan clamped into them. Call between
    /// planning steps only; allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong lengths, a non-finite limit, or a low above its high.</exception>
    public void SetLimits(ReadOnlySpan<double> low, ReadOnlySpan<double> high)
    {
        if (low.Length != _actionSize || high.Length != _actionSize)
        {
            throw new ArgumentException($"action limits need {_actionSize} entries each");
        }
        for (var d = 0; d < _actionSize; d++)
        {
            if (!double.IsFinite(low[d]) || !double.IsFinite(high[d]) || low[d] > high[d])
            {
                throw new ArgumentException($"action limits [{low[d]}, {high[d]}] for entry {d} are not a finite range");
            }
        }
        low.CopyTo(_low);
        high.CopyTo(_high);
        Clamp();
    }

    /// <summary>Clamps every value to the action limits.</summary>
    public void Clamp() => ClampSpan(_values);

    private void ClampSpan(Span<double> values)
    {
        for (var j = 0; j < values.Length; j++)
        {
            var d = j % _actionSize;
            values[j] = Math.Clamp(values[j], _low[d], _high[d]);
        }
    }
}
