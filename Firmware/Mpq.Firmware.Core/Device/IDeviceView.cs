namespace Mpq.Firmware.Device;

/// <summary>
/// What the link may ask of the device loop: the rig's clock and what a person at the console is shown. The device loop
/// implements it; every member is safe from any thread and never waits on the loop.
/// </summary>
public interface IDeviceView
{
    /// <summary>The rig's time in seconds (virtual in lockstep mode).</summary>
    double Now();

    /// <summary>The loop's line for <c>status</c>: ticks, timing, overruns.</summary>
    string Describe();

    /// <summary>Each joint's reading and each actuator's torque, for <c>status</c> and text telemetry.</summary>
    string DescribeJoints();

    /// <summary>A joint's calibrated position now (bring-up's <c>zero</c>).</summary>
    double JointPosition(int joint);

    /// <summary>The driver's health line (an encoder's missed edges), or null.</summary>
    string? DriverHealth { get; }

    /// <summary>CSV telemetry's header line (<c>stream csv</c>).</summary>
    string CsvHeader();

    /// <summary>One CSV telemetry line, now.</summary>
    string CsvRow();
}
