namespace Mpq.Firmware.Safety;

/// <summary>The limits the supervisor enforces; the device loop refreshes them from the parameters.</summary>
public sealed class SafetyLimits(int joints)
{
    /// <summary>Applied torques are clamped to ±this (N·m or N).</summary>
    public double TorqueLimit { get; set; } = 1;

    /// <summary>Commands asking for more than ±this are rejected as invalid (the hardware's absolute maximum).</summary>
    public double TorqueMax { get; set; } = 10;

    /// <summary>Largest change of applied torque per second; +∞ disables slew limiting.</summary>
    public double SlewRate { get; set; } = double.PositiveInfinity;

    /// <summary>Armed without a fresh Command for longer than this: zero torque and disarm.</summary>
    public double WatchdogSeconds { get; set; } = 0.05;

    /// <summary>A Command must answer a State sent no longer ago than this to be fresh.</summary>
    public double CommandMaxAgeSeconds { get; set; } = 0.5;

    public double[] PositionMin { get; } = Enumerable.Repeat(double.NegativeInfinity, joints).ToArray();
    public double[] PositionMax { get; } = Enumerable.Repeat(double.PositiveInfinity, joints).ToArray();
    public double[] VelocityLimit { get; } = Enumerable.Repeat(double.PositiveInfinity, joints).ToArray();
}
