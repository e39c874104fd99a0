namespace Mpq.Firmware.Drivers;

/// <summary>The rig's motors and joint sensors as the device loop sees them.</summary>
/// <remarks>
/// Implemented by the GPIO hardware driver and the MuJoCo virtual rig; one contract test runs against
/// both. Called from the device loop thread only, except <see cref="Stop"/>, which any thread may call
/// and which must never throw: it is what runs on exit and on every exception.
/// </remarks>
public interface IRigDriver : IDisposable
{
    /// <summary>Short description for HelloAck and logs.</summary>
    string Name { get; }

    int Joints { get; }

    int Actuators { get; }

    /// <summary>The hardware's absolute torque maximum per actuator (N·m or N); commands beyond it are rejected.</summary>
    double TorqueMax { get; }

    /// <summary>The largest change of torque per second (N·m/s) this hardware should see, the default of the slew_rate
    /// parameter; null: the firmware's default (a reversal of the torque limit in 0.1 s, for a small gearmotor).</summary>
    double? SlewRate => null;

    /// <summary>Whether this rig must pass bring-up (zero, direction check) before it arms: real hardware does; a
    /// simulated rig's zero and direction are right by construction.</summary>
    bool NeedsBringUp => true;

    /// <summary>A line about the hardware's own health for the console's <c>status</c> (an encoder's missed edges), or
    /// null when there is nothing to say. Any thread may read it: it reads counters only.</summary>
    string? Health => null;

    /// <summary>Reads joint positions (rad or m) and velocities.</summary>
    void Read(Span<float> position, Span<float> velocity);

    /// <summary>Applies torques (already checked by the safety supervisor).</summary>
    void Apply(ReadOnlySpan<float> torque);

    /// <summary>Lets <paramref name="seconds"/> of time pass: the virtual rig integrates its physics; hardware does nothing.</summary>
    void Advance(double seconds);

    /// <summary>Zero torque now. Idempotent; never throws.</summary>
    void Stop();
}
