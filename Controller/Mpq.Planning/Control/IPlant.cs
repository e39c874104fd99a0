namespace Mpq.Planning.Control;

/// <summary>
/// What a <see cref="ControlLoop"/> drives: a simulated plant (MuJoCo at the true parameters) or a rig behind a
/// serial link. The loop owns timing and the planner; the plant owns how a state is read and an action applied.
/// </summary>
/// <remarks>
/// Called from the loop's thread only, and never blocking for long: a rig plant reads the freshest State its
/// link thread received and hands Commands to the link, it never waits for the rig. Safety stays the plant's
/// (and the rig's) business: a plant that cannot go on says so through <see cref="Stop"/>, and the loop ends.
/// </remarks>
public interface IPlant
{
    /// <summary>State vector length (the planner's).</summary>
    int StateSize { get; }

    /// <summary>Observation vector length (the task's).</summary>
    int ObservationSize { get; }

    /// <summary>Action vector length.</summary>
    int ActionSize { get; }

    /// <summary>Reads the plant's freshest state and the task's observation of it.</summary>
    /// <returns>Whether the plant is live: an action sent now takes effect (a rig that is armed; a simulation always).</returns>
    bool Observe(Span<double> state, Span<double> observation);

    /// <summary>Applies <paramref name="action"/>, answering the last <see cref="Observe"/>; a simulation advances one control period.</summary>
    /// <param name="action">The planner's action, already finite.</param>
    /// <param name="applied">Receives what the plant was asked to apply (after its own scaling); this is what a transition records.</param>
    void Act(ReadOnlySpan<double> action, Span<double> applied);

    /// <summary>
    /// What the plant reports it applied over the step that just ended, read after the next <see cref="Observe"/>: a rig's
    /// own torque after its clamp and slew limit (from its State); a simulation's action clamped to the actuator limits.
    /// Logged beside the commanded action.
    /// </summary>
    void Measured(Span<double> applied);

    /// <summary>
    /// Why the plant is not live after an <see cref="Observe"/> that said so (a rig's arm state and fault bits: "Disarmed,
    /// faults Estop"), for the log's disarm event; null where there is nothing to say. Read only on a live-to-not-live
    /// edge, so it may allocate.
    /// </summary>
    string? NotLiveReason => null;

    /// <summary>Why the plant cannot go on (a lost link, a rig that left the armed state), or null. Checked before every step.</summary>
    PlantStop? Stop { get; }
}

/// <summary>Why a plant ended a run: the kind (for the exit code) and a sentence for people.</summary>
public sealed record PlantStop(RunStop Kind, string Reason);

/// <summary>Why a run of the control loop ended; <see cref="RunStopCodes.ExitCode"/> gives the program's exit code.</summary>
public enum RunStop
{
    /// <summary>The requested duration or number of steps passed (exit 0).</summary>
    DurationReached,

    /// <summary>Ctrl-C or the console's quit (exit 0).</summary>
    StoppedByUser,

    /// <summary>No State from the rig at the start, or none fresh for longer than the State timeout while running (exit 3: someone must look at the rig or the cable).</summary>
    NoState,

    /// <summary>The rig refused to arm or did not arm in time (exit 3).</summary>
    ArmRefused,

    /// <summary>The rig left the armed state on its own: watchdog, limit, estop (exit 3).</summary>
    LeftArmedState,

    /// <summary>The serial link failed (exit 3).</summary>
    LinkLost,

    /// <summary>The rig sent what its own handshake rules out: a State of another size, non-finite values (exit 3).</summary>
    RigBrokeProtocol,
}

/// <summary>Exit codes of <see cref="RunStop"/>: 0 for a run that ended as asked, 3 (safety stop) otherwise.</summary>
public static class RunStopCodes
{
    public static int ExitCode(this RunStop stop) => stop is RunStop.DurationReached or RunStop.StoppedByUser ? 0 : Mpq.Common.Cli.ExitCodes.SafetyStop;
}
