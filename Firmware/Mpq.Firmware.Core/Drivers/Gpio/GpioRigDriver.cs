using System.Device.Gpio;

namespace Mpq.Firmware.Drivers.Gpio;

/// <summary>A rig on GPIO: H-bridge motors on hardware PWM, quadrature encoders on GPIO edges.</summary>
/// <remarks>
/// Takes a <see cref="GpioController"/> and a <c>shouldDispose</c> flag (as dotnet/iot's bindings do), so a
/// test can pass one built on a fake <see cref="GpioDriver"/>. <see cref="Stop"/> sets every duty to zero
/// and disables the bridges; it never throws.
/// </remarks>
public sealed class GpioRigDriver : IRigDriver
{
    private readonly GpioController _gpio;
    private readonly bool _shouldDispose;
    private readonly QuadratureEncoder[] _encoders;
    private readonly HBridgeMotor[] _motors;

    public GpioRigDriver(GpioRigConfig config, GpioController gpio, bool shouldDispose, Func<MotorConfig, IPwmOutput> pwmFactory)
    {
        _gpio = gpio;
        _shouldDispose = shouldDispose;
        Name = config.Name;
        _encoders = config.Joints.Select(j => new QuadratureEncoder(gpio, j)).ToArray();
        _motors = config.Actuators.Select(m => new HBridgeMotor(gpio, m, pwmFactory(m))).ToArray();
        TorqueMax = config.Actuators.Min(m => m.TorqueAtFullDuty);
    }

    /// <summary>Opens the board's GPIO and hardware PWM as the config file describes.</summary>
    public static GpioRigDriver FromConfigFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"GPIO config '{path}' does not exist");
        }
        var config = GpioRigConfig.Parse(File.ReadAllText(path));
        try
        {
            return new GpioRigDriver(config, new GpioController(), shouldDispose: true, m => new HardwarePwmOutput(m.PwmChip, m.PwmChannel, m.PwmFrequency));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // dotnet/iot says only "Exception while calling libgpiod" (or names a sysfs file): say what a person checks.
            throw new InvalidOperationException(
                $"cannot open the board's GPIO or PWM for '{config.Name}' ({e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}): "
                + "run on a board with GPIO (a Raspberry Pi) with libgpiod installed (apt-get install libgpiod2), as a user in the 'gpio' group, "
                + "and hardware PWM enabled (dtoverlay=pwm); see Firmware/README.md, Wiring", e);
        }
    }

    public string Name { get; }
    public int Joints => _encoders.Length;
    public int Actuators => _motors.Length;
    public double TorqueMax { get; }

    /// <summary>Encoder transitions that skipped a state, over all joints.</summary>
    public long EncoderErrors => _encoders.Sum(e => e.Errors);

    /// <summary>Per joint: the encoder's count and its missed edges (a missed edge is a count lost: the angle has drifted
    /// by that many counts; a growing number means a noisy line or edges faster than the pins are read).</summary>
    public string Health => "encoders: " + string.Join("  ", _encoders.Select((e, j) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"j{j} count {e.Count} missed edges {e.Errors}")));

    public void Read(Span<float> position, Span<float> velocity)
    {
        for (var j = 0; j < _encoders.Length; j++)
        {
            var (p, v) = _encoders[j].Read();
            position[j] = (float)p;
            velocity[j] = (float)v;
        }
    }

    public void Apply(ReadOnlySpan<float> torque)
    {
        for (var a = 0; a < _motors.Length; a++)
        {
            _motors[a].SetTorque(torque[a]);
        }
    }

    public void Advance(double seconds)
    {
        // Real physics advances by itself.
    }

    public void Stop()
    {
        foreach (var m in _motors)
        {
            try
            {
                m.Stop();
            }
            catch (Exception)
            {
                // Keep stopping the others; a failing pin must not leave another motor driven.
            }
        }
    }

    /// <summary>Duty of an actuator (for tests and status).</summary>
    public double Duty(int actuator) => _motors[actuator].Duty;

    public void Dispose()
    {
        Stop();
        foreach (var m in _motors)
        {
            m.Dispose();
        }
        foreach (var e in _encoders)
        {
            e.Dispose();
        }
        if (_shouldDispose)
        {
            _gpio.Dispose();
        }
    }
}
