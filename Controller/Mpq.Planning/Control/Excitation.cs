using System.Globalization;
using Mpq.Common;

namespace Mpq.Planning.Control;

/// <summary>The shape of an excitation run's torque.</summary>
public enum ExcitationKind
{
    /// <summary>A sine whose frequency sweeps up from the low to the high frequency and back, over and over (log-spaced, phase-continuous).</summary>
    Chirp,

    /// <summary>A pseudo-random binary sequence: ±amplitude, each level held for a random 1–8 control periods.</summary>
    Prbs,
}

/// <summary>
/// An open-loop torque for system identification: a chirp or a PRBS within a person's amplitude, the same on every
/// actuator. Deterministic for a seed. Advances one control period per <see cref="Next"/>; allocates nothing.
/// </summary>
/// <remarks>
/// A chirp's smooth torque suits a drive with a slew limit and a delay (what it applies is what was asked); a PRBS
/// excites every frequency at once but its steps meet the slew limit. For a pendulum, sweep through its natural
/// frequency (√(g/l)/2π, about 0.6 Hz for the 1 m rod) so the swing grows and damping and friction show at many speeds.
/// </remarks>
public sealed class Excitation
{
    private readonly double _period;
    private SplitMix64 _rng;
    private double _phase;
    private double _t;
    private int _held;
    private double _level;

    public Excitation(ExcitationKind kind, double amplitude, double controlPeriod, double lowHz = 0.1, double highHz = 2, double sweepSeconds = 20, ulong seed = 1)
    {
        if (!double.IsFinite(amplitude) || amplitude <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amplitude), amplitude, "the excitation's amplitude must be a positive number");
        }
        if (!double.IsFinite(controlPeriod) || controlPeriod <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(controlPeriod), controlPeriod, "the control period must be positive");
        }
        var nyquist = 0.5 / controlPeriod;
        if (!(lowHz > 0) || !(highHz > lowHz) || highHz > nyquist || !double.IsFinite(highHz))
        {
            throw new ArgumentOutOfRangeException(nameof(lowHz),
                string.Create(CultureInfo.InvariantCulture, $"the chirp's frequencies must satisfy 0 < low < high ≤ {nyquist:G4} Hz (half the control rate); got {lowHz:G4} .. {highHz:G4}"));
        }
        if (!double.IsFinite(sweepSeconds) || sweepSeconds < 10 * controlPeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(sweepSeconds), sweepSeconds, "a sweep must last at least 10 control periods");
        }
        Kind = kind;
        Amplitude = amplitude;
        LowHz = lowHz;
        HighHz = highHz;
        SweepSeconds = sweepSeconds;
        _period = controlPeriod;
        _rng = new SplitMix64(seed);
    }

    public ExcitationKind Kind { get; }
    public double Amplitude { get; }
    public double LowHz { get; }
    public double HighHz { get; }
    public double SweepSeconds { get; }

    /// <summary>Parses <c>chirp:AMPLITUDE[:LOW_HZ:HIGH_HZ[:SWEEP_S]]</c> or <c>prbs:AMPLITUDE</c> (the controller's <c>--excite</c>).</summary>
    public static Excitation Parse(string text, double controlPeriod, ulong seed = 1)
    {
        var parts = text.Split(':');
        var kind = parts[0] switch
        {
            "chirp" => ExcitationKind.Chirp,
            "prbs" => ExcitationKind.Prbs,
            _ => throw new ArgumentException($"--excite '{text}': the signal is chirp or prbs (chirp:AMPLITUDE[:LOW_HZ:HIGH_HZ[:SWEEP_S]], prbs:AMPLITUDE)"),
        };
        double Number(int i, string what) =>
            double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v
                : throw new ArgumentException($"--excite '{text}': {what} '{parts[i]}' is not a number");
        if (parts.Length < 2 || parts.Length > (kind == ExcitationKind.Chirp ? 5 : 2) || parts.Length == 3)
        {
            throw new ArgumentException($"--excite '{text}': expected chirp:AMPLITUDE[:LOW_HZ:HIGH_HZ[:SWEEP_S]] or prbs:AMPLITUDE");
        }
        var amplitude = Number(1, "the amplitude");
        var low = parts.Length > 3 ? Number(2, "the low frequency") : 0.1;
        var high = parts.Length > 3 ? Number(3, "the high frequency") : Math.Min(2, 0.5 / controlPeriod);
        var sweep = parts.Length > 4 ? Number(4, "the sweep's seconds") : 20;
        try
        {
            return new Excitation(kind, amplitude, controlPeriod, low, high, sweep, seed);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"--excite '{text}': {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>The torque for the next control period.</summary>
    public double Next()
    {
        if (Kind == ExcitationKind.Prbs)
        {
            if (_held <= 0)
            {
                _level = _rng.NextDouble() < 0.5 ? -Amplitude : Amplitude;
                _held = 1 + (int)(_rng.NextDouble() * 8);
            }
            _held--;
            return _level;
        }
        // Up over one sweep, down over the next: the frequency is continuous, and so is the phase it integrates.
        var cycle = _t / SweepSeconds % 2;
        var up = cycle < 1 ? cycle : 2 - cycle;
        var frequency = LowHz * Math.Pow(HighHz / LowHz, up);
        var value = Amplitude * Math.Sin(_phase);
        _phase = (_phase + 2 * Math.PI * frequency * _period) % (2 * Math.PI);
        _t += _period;
        return value;
    }

    public override string ToString() => Kind == ExcitationKind.Prbs
        ? string.Create(CultureInfo.InvariantCulture, $"prbs ±{Amplitude:G4}")
        : string.Create(CultureInfo.InvariantCulture, $"chirp {Amplitude:G4} from {LowHz:G3} to {HighHz:G3} Hz over {SweepSeconds:G3} s");
}
