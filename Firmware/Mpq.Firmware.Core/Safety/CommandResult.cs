namespace Mpq.Firmware.Safety;

/// <summary>What the supervisor did with a Command.</summary>
public enum CommandResult
{
    /// <summary>Fresh and valid: it feeds the watchdog and its torques may be applied.</summary>
    Accepted,

    /// <summary>NaN, infinity, above the hardware maximum, or the wrong number of actuators.</summary>
    RejectedInvalid,

    /// <summary>Answers a State already answered, one never sent, or one sent too long ago.</summary>
    RejectedStale,

    /// <summary>Valid, but the rig is not armed: ignored (and it does not arm anything).</summary>
    IgnoredNotArmed,
}
