using System.Device.Pwm;

namespace Mpq.Firmware.Drivers.Gpio;

/// <summary>A PWM output: duty cycle in [0, 1].</summary>
public interface IPwmOutput : IDisposable
{
    double DutyCycle { get; set; }
}

/// <summary>A hardware PWM channel through System.Device.Pwm (Linux sysfs PWM).</summary>
public sealed class HardwarePwmOutput(int chip, int channel, int frequency) : IPwmOutput
{
    private readonly PwmChannel _channel = Start(chip, channel, frequency);

    public double DutyCycle
    {
        get => _channel.DutyCycle;
        set => _channel.DutyCycle = Math.Clamp(value, 0, 1);
    }

    private static PwmChannel Start(int chip, int channel, int frequency)
    {
        var pwm = PwmChannel.Create(chip, channel, frequency, 0);
        pwm.Start();
        return pwm;
    }

    public void Dispose()
    {
        _channel.DutyCycle = 0;
        _channel.Stop();
        _channel.Dispose();
    }
}
