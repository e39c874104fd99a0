using System.Device.Gpio;
using Mpq.Firmware.Drivers.Gpio;

namespace Mpq.Firmware.Tests;

/// <summary>An in-memory GPIO chip for unit tests of the GPIO driver: pins, modes and edge callbacks.</summary>
internal sealed class FakeGpioDriver : GpioDriver
{
    private readonly Dictionary<int, PinValue> _values = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, List<(PinEventTypes Types, PinChangeEventHandler Handler)>> _callbacks = [];

    protected override int PinCount => 64;

    public PinValue Value(int pin) => _values.GetValueOrDefault(pin, PinValue.Low);

    /// <summary>Drives an input pin as the outside world would, raising edge callbacks.</summary>
    public void SetInput(int pin, PinValue value)
    {
        var old = Value(pin);
        _values[pin] = value;
        if (old == value || !_callbacks.TryGetValue(pin, out var list))
        {
            return;
        }
        var type = value == PinValue.High ? PinEventTypes.Rising : PinEventTypes.Falling;
        foreach (var (types, handler) in list.ToArray())
        {
            if (types.HasFlag(type))
            {
                handler(this, new PinValueChangedEventArgs(type, pin));
            }
        }
    }

    /// <summary>Changes a pin without raising its callback: an edge the driver missed.</summary>
    public void SetSilently(int pin, PinValue value) => _values[pin] = value;

    protected override void OpenPin(int pinNumber) => _modes[pinNumber] = PinMode.Input;
    protected override void ClosePin(int pinNumber) => _modes.Remove(pinNumber);
    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[pinNumber] = mode;
    protected override PinMode GetPinMode(int pinNumber) => _modes[pinNumber];
    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;
    protected override PinValue Read(int pinNumber) => Value(pinNumber);
    protected override void Write(int pinNumber, PinValue value) => _values[pinNumber] = value;

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        if (!_callbacks.TryGetValue(pinNumber, out var list))
        {
            _callbacks[pinNumber] = list = [];
        }
        list.Add((eventTypes, callback));
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        _callbacks.GetValueOrDefault(pinNumber)?.RemoveAll(c => c.Handler == callback);
}

internal sealed class FakePwm : IPwmOutput
{
    public double DutyCycle { get; set; }
    public bool Disposed { get; private set; }
    public void Dispose() => Disposed = true;
}

/// <summary>Turns an encoder shaft: emits the Gray-code edges for a number of counts.</summary>
internal static class Quadrature
{
    private static readonly (bool A, bool B)[] Sequence = [(false, false), (false, true), (true, true), (true, false)];

    public static void Turn(FakeGpioDriver gpio, int pinA, int pinB, ref int phase, int counts)
    {
        var step = Math.Sign(counts);
        for (var i = 0; i < Math.Abs(counts); i++)
        {
            phase = ((phase + step) % 4 + 4) % 4;
            var (a, b) = Sequence[phase];
            gpio.SetInput(pinA, a ? PinValue.High : PinValue.Low);
            gpio.SetInput(pinB, b ? PinValue.High : PinValue.Low);
        }
    }
}
