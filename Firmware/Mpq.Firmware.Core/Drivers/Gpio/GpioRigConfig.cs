using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mpq.Firmware.Drivers.Gpio;

/// <summary>One joint's quadrature encoder: two GPIO inputs (logical numbering) and its resolution.</summary>
public sealed record EncoderConfig
{
    public int EncoderA { get; init; } = -1;
    public int EncoderB { get; init; } = -1;

    /// <summary>Counts per revolution after x4 decoding (4 × the encoder's lines).</summary>
    public int CountsPerRevolution { get; init; }

    /// <summary>Swap the counting direction so positive torque gives positive motion.</summary>
    public bool Invert { get; init; }

    /// <summary>Velocity low-pass factor per read, in (0, 1]: 1 is no filtering.</summary>
    public double VelocityFilter { get; init; } = 0.3;
}

/// <summary>One actuator: an H-bridge driven by a hardware PWM channel and a direction pin.</summary>
public sealed record MotorConfig
{
    public int PwmChip { get; init; }
    public int PwmChannel { get; init; }
    public int PwmFrequency { get; init; } = 20_000;
    public int DirectionPin { get; init; } = -1;

    /// <summary>Driver enable pin (-1: none). Low means the bridge is off.</summary>
    public int EnablePin { get; init; } = -1;

    /// <summary>Torque at 100 % duty (N·m): the hardware maximum.</summary>
    public double TorqueAtFullDuty { get; init; }

    public bool Invert { get; init; }
}

/// <summary>The pin map of a rig driven through GPIO (see Firmware/README.md, Wiring).</summary>
public sealed record GpioRigConfig
{
    public string Name { get; init; } = "gpio rig";
    public EncoderConfig[] Joints { get; init; } = [];
    public MotorConfig[] Actuators { get; init; } = [];

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Parses and validates a configuration.</summary>
    /// <exception cref="FormatException">Bad JSON or an invalid value; the message names it.</exception>
    public static GpioRigConfig Parse(string json)
    {
        GpioRigConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<GpioRigConfig>(json, Options);
        }
        catch (JsonException e)
        {
            throw new FormatException($"GPIO config: {e.Message}", e);
        }
        return (config ?? throw new FormatException("GPIO config: empty")).Validated();
    }

    private GpioRigConfig Validated()
    {
        if (Joints.Length is < 1 or > Protocol.Framing.Frame.MaxJoints || Actuators.Length is < 1 or > Protocol.Framing.Frame.MaxJoints)
        {
            throw new FormatException($"GPIO config: needs 1-{Protocol.Framing.Frame.MaxJoints} joints and actuators (has {Joints.Length} and {Actuators.Length})");
        }
        var pins = new HashSet<int>();
        void Pin(int pin, string what)
        {
            if (pin < 0)
            {
                throw new FormatException($"GPIO config: {what} is missing or negative");
            }
            if (!pins.Add(pin))
            {
                throw new FormatException($"GPIO config: pin {pin} is used twice ({what})");
            }
        }
        for (var j = 0; j < Joints.Length; j++)
        {
            var e = Joints[j];
            Pin(e.EncoderA, $"joints[{j}].encoderA");
            Pin(e.EncoderB, $"joints[{j}].encoderB");
            if (e.CountsPerRevolution <= 0)
            {
                throw new FormatException($"GPIO config: joints[{j}].countsPerRevolution must be positive");
            }
            if (e.VelocityFilter is <= 0 or > 1)
            {
                throw new FormatException($"GPIO config: joints[{j}].velocityFilter must be in (0, 1]");
            }
        }
        for (var a = 0; a < Actuators.Length; a++)
        {
            var m = Actuators[a];
            Pin(m.DirectionPin, $"actuators[{a}].directionPin");
            if (m.EnablePin >= 0)
            {
                Pin(m.EnablePin, $"actuators[{a}].enablePin");
            }
            if (!double.IsFinite(m.TorqueAtFullDuty) || m.TorqueAtFullDuty <= 0)
            {
                throw new FormatException($"GPIO config: actuators[{a}].torqueAtFullDuty must be a positive number (N·m at 100 % duty)");
            }
            if (m.PwmFrequency is < 100 or > 200_000)
            {
                throw new FormatException($"GPIO config: actuators[{a}].pwmFrequency must be 100-200000 Hz");
            }
        }
        return this;
    }
}
