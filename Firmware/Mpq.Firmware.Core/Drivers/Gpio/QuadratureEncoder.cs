using System.Device.Gpio;
using System.Diagnostics;

namespace Mpq.Firmware.Drivers.Gpio;

/// <summary>
/// Counts a quadrature encoder on two GPIO inputs with x4 decoding (every edge of A and B), from the
/// GPIO driver's event callbacks. Impossible transitions (both lines changed: an edge was missed) are
/// counted as errors rather than guessed.
/// </summary>
public sealed class QuadratureEncoder : IDisposable
{
    // Index: previous AB state (2 bits) << 2 | new AB state. +1 forward, -1 backward, 0 none, 2 invalid.
    private static readonly sbyte[] Transitions = [0, 1, -1, 2, -1, 0, 2, 1, 1, 2, 0, -1, 2, -1, 1, 0];

    private readonly GpioController _gpio;
    private readonly EncoderConfig _config;
    private readonly Lock _gate = new();
    private int _state;
    private long _count;
    private long _errors;
    private long _lastCount;
    private long _lastTime;
    private double _velocity;

    public QuadratureEncoder(GpioController gpio, EncoderConfig config)
    {
        _gpio = gpio;
        _config = config;
        gpio.OpenPin(config.EncoderA, PinMode.Input);
        gpio.OpenPin(config.EncoderB, PinMode.Input);
        _state = ReadState();
        gpio.RegisterCallbackForPinValueChangedEvent(config.EncoderA, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
        gpio.RegisterCallbackForPinValueChangedEvent(config.EncoderB, PinEventTypes.Rising | PinEventTypes.Falling, OnEdge);
        _lastTime = Stopwatch.GetTimestamp();
    }

    /// <summary>Signed count since start.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Transitions that skipped a state (missed edges).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Position (rad) and filtered velocity (rad/s) now.</summary>
    public (double Position, double Velocity) Read()
    {
        var sign = _config.Invert ? -1 : 1;
        var radiansPerCount = 2 * Math.PI / _config.CountsPerRevolution;
        var count = Count;
        var now = Stopwatch.GetTimestamp();
        var dt = (now - _lastTime) / (double)Stopwatch.Frequency;
        if (dt > 0)
        {
            var raw = (count - _lastCount) * radiansPerCount / dt;
            _velocity += _config.VelocityFilter * (raw - _velocity);
        }
        _lastCount = count;
        _lastTime = now;
        return (sign * count * radiansPerCount, sign * _velocity);
    }

    private void OnEdge(object sender, PinValueChangedEventArgs e)
    {
        lock (_gate)
        {
            var next = ReadState();
            var step = Transitions[(_state << 2) | next];
            if (step == 2)
            {
                Interlocked.Increment(ref _errors);
            }
            else if (step != 0)
            {
                Interlocked.Add(ref _count, step);
            }
            _state = next;
        }
    }

    private int ReadState() => (_gpio.Read(_config.EncoderA) == PinValue.High ? 2 : 0) | (_gpio.Read(_config.EncoderB) == PinValue.High ? 1 : 0);

    /// <summary>Stops counting and gives the pins back (a controller the caller keeps can open them again).</summary>
    public void Dispose()
    {
        foreach (var pin in new[] { _config.EncoderA, _config.EncoderB })
        {
            if (_gpio.IsPinOpen(pin))
            {
                _gpio.UnregisterCallbackForPinValueChangedEvent(pin, OnEdge);
                _gpio.ClosePin(pin);
            }
        }
    }
}
