using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Planning.Dynamics;
using Mpq.Protocol.Messages;
using Mpq.Tasks;

namespace Mpq.Controller.Rig;

/// <summary>
/// A rig behind a serial link as the control loop's plant: the freshest State the link thread received is the
/// state (its observation computed on the model), an action goes out as a Command answering that State's
/// sequence, scaled by the live torque scale. Owns the link's health and the arm-state edges.
/// </summary>
/// <remarks>
/// <para>Never blocks the loop: <see cref="Observe"/> copies the latest snapshot, <see cref="Act"/> hands one frame to
/// the link. The plant is live only while the rig reports itself armed; a rig that leaves the armed state ends the
/// run (<see cref="Stop"/>) unless <see cref="KeepRunningWhenDisarmed"/>, when the loop goes on planning and the
/// rig ignores the Commands until a person re-arms it. A write that fails outright (a hung-up port) is a lost link.</para>
/// <para>Freshness is judged every step: when the newest State is older than the State timeout given to
/// <see cref="Begin"/> (the rig watchdog this controller asked for: by then a rig that is alive has stopped by itself),
/// the plant is no longer live and every Command carries zero torque. Without <see cref="KeepRunningWhenDisarmed"/>
/// the run ends there (<see cref="RunStop.NoState"/>, exit 3; the runner sends the Disarm). With it, a Disarm goes out
/// at once and the run waits for the rig, ending only when it stays silent past <see cref="SilenceEndsRun"/> (a rig
/// silent that long has ended the session: its link timeout is 1 s by default). So after the last fresh State, at most
/// ⌊timeout / period⌋ + 1 steps send torque (one more if a step overran and was answered by the fallback).</para>
/// </remarks>
public sealed class RigPlant : IPlant, IDisposable
{
    private readonly ITask _task;
    private readonly RigClient _client;
    private readonly MuJoCoContext _observer;
    private readonly RigSnapshot _snapshot;
    private readonly Func<double> _torqueScale;
    private readonly double[] _sent;
    private readonly ushort _validity;
    private readonly Disarm _disarm = new();
    private bool _wasArmed;
    private bool _armedByRequest;
    private bool _stale;
    private long _staleAfter = long.MaxValue;
    private long _silenceEndsRunAfter = long.MaxValue;
    private long _rejectedAtBegin;
    private PlantStop? _stop;

    /// <param name="task">The task (its observation of a state).</param>
    /// <param name="client">The link, after its handshake.</param>
    /// <param name="model">The planner's model: observations are computed on it.</param>
    /// <param name="period">The loop's period, s: a Command is valid for 3 periods.</param>
    /// <param name="torqueScale">Read on every Command (the live tuning's torque scale).</param>
    public RigPlant(ITask task, RigClient client, MuJoCoDynamics model, double period, Func<double> torqueScale)
    {
        _task = task;
        _client = client;
        _observer = model.CreateMuJoCoContext();
        StateSize = model.StateSize;
        _snapshot = new RigSnapshot(model.Model.Nq);
        _torqueScale = torqueScale;
        _sent = new double[task.ActionSize];
        _validity = (ushort)Math.Clamp(3000 * period, 1, 60000);
    }

    public int StateSize { get; }
    public int ObservationSize => _task.ObservationSize;
    public int ActionSize => _task.ActionSize;

    /// <summary>The last snapshot read (arm state, faults, sequence).</summary>
    public RigSnapshot Snapshot => _snapshot;

    /// <summary>See the class remarks.</summary>
    public bool KeepRunningWhenDisarmed { get; init; }

    /// <summary>Time to hand one Command to the link, ms.</summary>
    public LatencyRecorder SendTimes { get; } = new(1 << 14);

    /// <summary>Age of the State each step planned from, ms.</summary>
    public LatencyRecorder StateAges { get; } = new(1 << 14);

    /// <summary>The State timeout of the run (see the class remarks); zero before <see cref="Begin"/>.</summary>
    public TimeSpan StateTimeout { get; private set; }

    /// <summary>With <see cref="KeepRunningWhenDisarmed"/>: how long a silent rig is waited for before the run ends.</summary>
    public TimeSpan SilenceEndsRun { get; private set; }

    /// <summary>Times the newest State grew older than <see cref="StateTimeout"/> in this run.</summary>
    public long StaleEpisodes { get; private set; }

    public PlantStop? Stop => _stop ?? (_client.Failure is not { } failure ? null
        : _client.FailureIsProtocolViolation ? new PlantStop(RunStop.RigBrokeProtocol, failure) : new PlantStop(RunStop.LinkLost, $"link lost: {failure}"));

    /// <summary>Whether a first State arrived within <paramref name="timeout"/>.</summary>
    public bool WaitForFirstState(TimeSpan timeout) =>
        _client.TryGetLatest(_snapshot) || (_client.WaitForState(timeout) && _client.TryGetLatest(_snapshot));

    /// <summary>Waits up to <paramref name="timeout"/> for a newer State and reads it.</summary>
    public void WaitForNextState(TimeSpan timeout)
    {
        _client.WaitForState(timeout);
        _client.TryGetLatest(_snapshot);
    }

    /// <summary>
    /// Starts a run: the arm state now is the one whose loss ends it; an arm that comes later without
    /// <paramref name="armRequested"/> is logged. A State older than <paramref name="stateTimeout"/> is never acted on.
    /// </summary>
    public void Begin(bool armRequested, TimeSpan stateTimeout)
    {
        if (stateTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(stateTimeout), $"the State timeout must be positive (got {stateTimeout.TotalMilliseconds} ms)");
        }
        _client.TryGetLatest(_snapshot);
        _wasArmed = _snapshot.Arm == RigArmState.Armed;
        _armedByRequest = armRequested;
        _stop = null;
        _stale = false;
        StaleEpisodes = 0;
        _rejectedAtBegin = _client.Received.DroppedTotal;
        StateTimeout = stateTimeout;
        SilenceEndsRun = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, 4 * stateTimeout.Ticks));
        _staleAfter = (long)(stateTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        _silenceEndsRunAfter = (long)(SilenceEndsRun.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public bool Observe(Span<double> state, Span<double> observation)
    {
        _client.TryGetLatest(_snapshot);
        var joints = _snapshot.Position.Length;
        for (var j = 0; j < joints; j++)
        {
            state[j] = _snapshot.Position[j];
            state[joints + j] = _snapshot.Velocity[j];
        }
        _observer.SetState(state);
        _observer.Observe(observation);
        StateAges.RecordSince(_snapshot.ArrivalTimestamp);

        var age = System.Diagnostics.Stopwatch.GetTimestamp() - _snapshot.ArrivalTimestamp;
        if (age > _staleAfter)
        {
            OnStale(age);
            return false; // never live on an old State: Act sends zero torque
        }
        if (_stale)
        {
            _stale = false;
            _client.Log("States from the rig again; it was sent a Disarm: re-arm only on request");
        }

        var armed = _snapshot.Arm == RigArmState.Armed;
        if (_wasArmed && !armed)
        {
            var why = $"the rig left the armed state ({_snapshot.Arm}, faults {_snapshot.Faults}){Advice(_snapshot.Faults)}; re-arm only on request";
            if (KeepRunningWhenDisarmed)
            {
                _client.Log($"{why}: type 'arm' to re-arm");
            }
            else
            {
                _stop ??= new PlantStop(RunStop.LeftArmedState, why);
            }
        }
        else if (!_wasArmed && armed && !_armedByRequest)
        {
            _client.Log("rig armed");
        }
        _wasArmed = armed;
        return armed;
    }

    /// <summary>The rig's arm state and fault bits as its newest State gave them, or that no fresh State came.</summary>
    public string? NotLiveReason => _stale ? "no fresh State from the rig" : $"{_snapshot.Arm}, faults {_snapshot.Faults}";

    /// <summary>The newest State is older than the State timeout (see the class remarks). Rare: it may allocate its messages.</summary>
    private void OnStale(long age)
    {
        var ms = age * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        var limit = StateTimeout.TotalMilliseconds;
        if (!_stale)
        {
            _stale = true;
            StaleEpisodes++;
            if (KeepRunningWhenDisarmed)
            {
                _client.Send(_disarm);
                _client.Log(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"no State from the rig for {ms:F0} ms (limit {limit:F0} ms): torque zero, Disarm sent; the run ends if it stays silent for {SilenceEndsRun.TotalMilliseconds:F0} ms"));
            }
        }
        if (!KeepRunningWhenDisarmed || age > _silenceEndsRunAfter)
        {
            // A rig that talks but whose frames are refused (another protocol, an arm byte of 9) looks silent: say so.
            var rejected = _client.Received.DroppedTotal - _rejectedAtBegin;
            var why = rejected == 0 ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"; {rejected} frame(s) from it were rejected meanwhile (since start, by cause: {string.Join(", ", _client.Received.DroppedByCause().Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}"))})");
            _stop ??= new PlantStop(RunStop.NoState, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"no State from the rig for {ms:F0} ms (limit {(KeepRunningWhenDisarmed ? SilenceEndsRun.TotalMilliseconds : limit):F0} ms){why}; torque zero, Disarm sent"));
        }
    }

    public void Act(ReadOnlySpan<double> action, Span<double> applied)
    {
        var scale = _torqueScale();
        var finite = true;
        for (var a = 0; a < _sent.Length; a++)
        {
            _sent[a] = action[a] * scale;
            finite &= double.IsFinite(_sent[a]);
        }
        if (!finite || _stale)
        {
            Array.Clear(_sent); // any doubt means zero torque; an old State is doubt
        }
        _sent.CopyTo(applied);
        Send();
    }

    /// <inheritdoc />
    /// <remarks>The torque in the rig's latest State: what its supervisor applied after the clamp and the slew limit.</remarks>
    public void Measured(Span<double> applied)
    {
        var torque = _snapshot.Torque;
        for (var a = 0; a < applied.Length; a++)
        {
            applied[a] = a < torque.Length ? torque[a] : double.NaN;
        }
    }

    /// <summary>A Command of zero torque answering the latest State (warm-up, arming).</summary>
    public void SendZeroTorque()
    {
        Array.Clear(_sent);
        Send();
    }

    private void Send()
    {
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _client.SendCommand(_snapshot.Sequence, _sent, _validity);
        SendTimes.RecordSince(t0);
    }

    public void Dispose() => _observer.Dispose();

    /// <summary>
    /// What a person can do about a fault the rig reported (a watchdog trip on a busy machine said nothing about why, and
    /// was read as a broken rig). Built once, on the armed-to-disarmed edge.
    /// </summary>
    internal static string Advice(FaultBits faults) =>
        (faults & FaultBits.WatchdogTimeout) != 0
            ? ": the rig's watchdog saw no command in time (a busy machine, a slow USB adapter or a stalled controller step);"
              + " close busy programs, check 'timing:' for late steps, or give the rig more time with --watchdog-ms"
            : (faults & FaultBits.LinkLost) != 0
                ? ": the rig heard nothing from the controller for link_timeout_ms (the cable, the adapter, or a stalled controller)"
                : "";
}
