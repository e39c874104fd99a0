namespace Mpq.Firmware.VirtualRig;

/// <summary>How imperfect the virtual rig's sensors and actuators are.</summary>
public sealed record VirtualRigOptions
{
    /// <summary>Std of Gaussian noise on positions (rad).</summary>
    public double PositionNoise { get; init; }

    /// <summary>Std of Gaussian noise on velocities (rad/s).</summary>
    public double VelocityNoise { get; init; }

    /// <summary>Encoder counts per revolution for position quantisation (0: none).</summary>
    public int CountsPerRevolution { get; init; }

    /// <summary>Ticks between a torque being applied and reaching the plant.</summary>
    public int ActuationDelayTicks { get; init; }

    /// <summary>Start state (qpos then qvel); null: hanging at rest, as a real pendulum waits.</summary>
    public double[]? InitialState { get; init; }

    /// <summary>Seed of the sensor noise.</summary>
    public ulong Seed { get; init; } = 1;
}
