using System.Device.Gpio;

namespace Mpq.Firmware.Drivers.Gpio;

/// <summary>A DC motor on an H-bridge: PWM duty sets the magnitude, a direction pin the sign, an optional enable pin gates the bridge.</summary>
public sealed class HBridgeMotor : IDisposable
{
    private readonly GpioController _gpio;
    private readonly MotorConfig _config;
    private readonly IPwmOutput _pwm;

    public HBridgeMotor(GpioController gpio, MotorConfig config, IPwmOutput pwm)
    {
        _gpio = gpio;
        _config = config;
        _pwm = pwm;
        _pwm.DutyCycle = 0;
        gpio.OpenPin(config.DirectionPin, PinMode.Output, PinValue.Low);
        if (config.EnablePin >= 0)
        {
            gpio.OpenPin(config.EnablePin, PinMode.Output, PinValue.Low);
        }
    }

    /// <summary>Duty cycle last written (for tests and status).</summary>
    public double Duty => _pwm.DutyCycle;

    /// <summary>Applies a torque (N·m); the magnitude saturates at 100 % duty.</summary>
    public void SetTorque(double torque)
    {
        var duty = Math.Clamp(Math.Abs(torque) / _config.TorqueAtFullDuty, 0, 1);
        if (duty == 0 || !double.IsFinite(torque))
        {
            Stop();
            return;
        }
        var forward = torque > 0 ^ _config.Invert;
        _gpio.Write(_config.DirectionPin, forward ? PinValue.High : PinValue.Low);
        if (_config.EnablePin >= 0)
        {
            _gpio.Write(_config.EnablePin, PinValue.High);
        }
        _pwm.DutyCycle = duty;
    }

    /// <summary>Duty zero and the bridge disabled.</summary>
    public void Stop()
    {
        _pwm.DutyCycle = 0;
        if (_config.EnablePin >= 0)
        {
            _gpio.Write(_config.EnablePin, PinValue.Low);
        }
    }

    /// <summary>Stops the motor, then gives its pins back (direction low first), whoever owns the controller.</summary>
    public void Dispose()
    {
        Stop();
        _pwm.Dispose();
        if (_gpio.IsPinOpen(_config.DirectionPin))
        {
            _gpio.Write(_config.DirectionPin, PinValue.Low);
            _gpio.ClosePin(_config.DirectionPin);
        }
        if (_config.EnablePin >= 0 && _gpio.IsPinOpen(_config.EnablePin))
        {
            _gpio.ClosePin(_config.EnablePin);
        }
    }
}
