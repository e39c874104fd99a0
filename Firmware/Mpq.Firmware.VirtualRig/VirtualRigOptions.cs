using System.Globalization;
using Mpq.Tasks;

namespace Mpq.Firmware.VirtualRig;

/// <summary>
/// A DC motor behind an H-bridge, seen at the joint (after any gearbox): the drive asks for the current τ / kt, the voltage
/// that takes (R·τ / kt + kt·ω, the back-EMF growing with speed) is capped by the supply, so the torque it can give falls
/// with speed and reverses hardest at speed.
/// </summary>
/// <param name="TorqueConstant">kt, N·m/A (also the back-EMF constant, V·s/rad).</param>
/// <param name="Resistance">Winding resistance, Ω.</param>
/// <param name="SupplyVoltage">The H-bridge's supply, V.</param>
public sealed record MotorModel(double TorqueConstant, double Resistance, double SupplyVoltage)
{
    /// <summary>The torque delivered for a <paramref name="commanded"/> torque at joint speed <paramref name="omega"/> (rad/s).</summary>
    public double Deliver(double commanded, double omega)
    {
        var volts = Math.Clamp(Resistance * commanded / TorqueConstant + TorqueConstant * omega, -SupplyVoltage, SupplyVoltage);
        return TorqueConstant * (volts - TorqueConstant * omega) / Resistance;
    }
}

/// <summary>How the virtual rig differs from the planner's model: the true physical parameters, and a real rig's imperfections.</summary>
/// <remarks>
/// The controller's model keeps only what the task's model has; what is set here exists only in the plant, so the bias
/// the controller meets is a real model mismatch. Set on the command line with <c>--true NAME=VALUE,...</c>
/// (<see cref="WithTrue"/>).
/// </remarks>
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

    /// <summary>The task's physical parameters at other true values (by the task's names), absolute: <c>mass=1.05</c>.</summary>
    public IReadOnlyDictionary<string, double> TrueParameters { get; init; } = new Dictionary<string, double>();

    /// <summary>Viscous damping per joint, N·m·s/rad (or N·s/m), added to the model's own; null: none.</summary>
    public double[]? Damping { get; init; }

    /// <summary>Coulomb (dry) friction per joint, N·m (or N), added to the model's own; null: none.</summary>
    public double[]? Friction { get; init; }

    /// <summary>A commanded torque at most this large (N·m) moves nothing: the drive's deadband.</summary>
    public double Deadband { get; init; }

    /// <summary>Refuse to arm until bring-up passed, as hardware does (practice, tests); off: a simulation's zero and direction are right by construction.</summary>
    public bool RequireBringUp { get; init; }

    /// <summary>A motor wired backwards on these actuators (positive command, negative torque): what bring-up's direction check must catch. Tests only.</summary>
    public bool[]? Reversed { get; init; }

    /// <summary>The motor between the command and the joint; null: an ideal torque source.</summary>
    public MotorModel? Motor { get; init; }

    /// <summary>The names <see cref="WithTrue"/> knows for a task with <paramref name="joints"/> joints.</summary>
    public static IReadOnlyList<string> Names(ITask task, int joints) =>
    [
        .. task.Parameters.Select(p => p.Name),
        .. Enumerable.Range(0, joints).Select(j => $"damping_{j}"),
        .. Enumerable.Range(0, joints).Select(j => $"friction_{j}"),
        "deadband", "motor_kt", "motor_ohm", "motor_volts", "delay_ms", "counts_per_rev", "sensor_noise",
    ];

    /// <summary>
    /// These options with <c>NAME=VALUE,...</c> applied (<c>--true</c>): the task's physical parameters (absolute values),
    /// <c>damping_J</c> and <c>friction_J</c> per joint, <c>deadband</c>, the motor (<c>motor_kt</c>, <c>motor_ohm</c>,
    /// <c>motor_volts</c>: all three or none), <c>delay_ms</c> (whole ticks at <paramref name="rateHz"/>),
    /// <c>counts_per_rev</c> and <c>sensor_noise</c> (position std, rad; velocity 10×).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the known ones are listed), a value that is not a finite number
    /// ≥ 0 (a physical parameter: &gt; 0), a name given twice, or an incomplete motor.</exception>
    public VirtualRigOptions WithTrue(string text, ITask task, int joints, int rateHz)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        var known = Names(task, joints);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq].Trim();
            if (eq < 0 || !double.TryParse(part[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new ArgumentException($"--true: '{part}' is not NAME=NUMBER");
            }
            if (!known.Contains(name))
            {
                throw new ArgumentException($"--true: '{name}' is not a parameter of the virtual {task.Name}; known: {string.Join(", ", known)}");
            }
            var physical = task.Parameters.Any(p => p.Name == name);
            if (!double.IsFinite(value) || value < 0 || (physical && value == 0))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--true: {name} must be a finite number {(physical ? "> 0" : ">= 0")} (got {value})"));
            }
            if (!values.TryAdd(name, value))
            {
                throw new ArgumentException($"--true: '{name}' is given twice");
            }
        }
        var motorParts = new[] { "motor_kt", "motor_ohm", "motor_volts" }.Count(values.ContainsKey);
        if (motorParts is not (0 or 3))
        {
            throw new ArgumentException("--true: a motor needs motor_kt, motor_ohm and motor_volts, all three above 0");
        }
        if (motorParts == 3 && (values["motor_kt"] <= 0 || values["motor_ohm"] <= 0 || values["motor_volts"] <= 0))
        {
            throw new ArgumentException("--true: motor_kt, motor_ohm and motor_volts must all be above 0");
        }
        double[]? PerJoint(string prefix, double[]? current)
        {
            if (!Enumerable.Range(0, joints).Any(j => values.ContainsKey($"{prefix}_{j}")))
            {
                return current;
            }
            var result = current?.ToArray() ?? new double[joints];
            for (var j = 0; j < joints; j++)
            {
                if (values.TryGetValue($"{prefix}_{j}", out var v))
                {
                    result[j] = v;
                }
            }
            return result;
        }
        var physicalValues = new Dictionary<string, double>(TrueParameters, StringComparer.Ordinal);
        foreach (var p in task.Parameters)
        {
            if (values.TryGetValue(p.Name, out var v))
            {
                physicalValues[p.Name] = v;
            }
        }
        return this with
        {
            TrueParameters = physicalValues,
            Damping = PerJoint("damping", Damping),
            Friction = PerJoint("friction", Friction),
            Deadband = values.GetValueOrDefault("deadband", Deadband),
            Motor = motorParts == 3 ? new MotorModel(values["motor_kt"], values["motor_ohm"], values["motor_volts"]) : Motor,
            ActuationDelayTicks = values.TryGetValue("delay_ms", out var ms) ? (int)Math.Round(ms * rateHz / 1000) : ActuationDelayTicks,
            CountsPerRevolution = values.TryGetValue("counts_per_rev", out var counts) ? (int)counts : CountsPerRevolution,
            PositionNoise = values.TryGetValue("sensor_noise", out var noise) ? noise : PositionNoise,
            VelocityNoise = values.TryGetValue("sensor_noise", out var n2) ? 10 * n2 : VelocityNoise,
        };
    }

    /// <summary>One line for the firmware's log: what differs from an ideal plant at the task's true values.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string>();
        parts.AddRange(TrueParameters.Select(kv => string.Create(c, $"{kv.Key} {kv.Value:G4}")));
        if (Damping is { } d)
        {
            parts.Add($"damping {string.Join("/", d.Select(v => v.ToString("G3", c)))} N·m·s/rad");
        }
        if (Friction is { } f)
        {
            parts.Add($"Coulomb friction {string.Join("/", f.Select(v => v.ToString("G3", c)))} N·m");
        }
        if (Deadband > 0)
        {
            parts.Add(string.Create(c, $"deadband {Deadband:G3} N·m"));
        }
        if (Motor is { } m)
        {
            parts.Add(string.Create(c, $"motor kt {m.TorqueConstant:G3} N·m/A, {m.Resistance:G3} Ω, {m.SupplyVoltage:G3} V (stall torque {m.TorqueConstant * m.SupplyVoltage / m.Resistance:G3} N·m, no-load speed {m.SupplyVoltage / m.TorqueConstant:G3} rad/s)"));
        }
        if (ActuationDelayTicks > 0)
        {
            parts.Add($"delay {ActuationDelayTicks} tick(s)");
        }
        if (CountsPerRevolution > 0)
        {
            parts.Add($"{CountsPerRevolution} counts/rev");
        }
        if (PositionNoise > 0)
        {
            parts.Add(string.Create(c, $"position noise {PositionNoise:G3} rad"));
        }
        return parts.Count == 0 ? "ideal (the task's true model, no imperfection)" : string.Join(", ", parts);
    }
}
