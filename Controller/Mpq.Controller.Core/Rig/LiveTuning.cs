using Mpq.Planning.Mppi;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Controller.Rig;

/// <summary>
/// The planner settings a person may change while the rig runs (λ, σ, H, N, α and a torque scale), as a
/// range-checked <see cref="ParameterTable"/>. A change made on the console thread is published here and
/// taken by the loop between two steps (<see cref="TakePending"/>); the loop never waits for the console.
/// </summary>
/// <remarks>
/// The ranges keep every accepted value valid for <see cref="MppiSettings.Validate"/>. γ and the terminal floor are not
/// tuned here: they are the Q's own (the loop takes them from each Q it loads).
/// </remarks>
public sealed class LiveTuning
{
    public const string Lambda = "lambda";
    public const string Sigma = "sigma";
    public const string Horizon = "horizon";
    public const string Samples = "samples";
    public const string Alpha = "alpha";
    public const string TorqueScale = "torque_scale";

    private readonly Lock _gate = new();
    private readonly int _torqueScale;
    private MppiSettings _requested;
    private MppiSettings? _pending;

    public LiveTuning(MppiSettings initial)
    {
        _requested = initial;
        Table = new ParameterTable(
        [
            new(Lambda, ParamKind.Real, 1e-6, 1e6, initial.Lambda, "", "MPPI temperature λ"),
            new(Sigma, ParamKind.Real, 1e-6, 1e3, initial.Std(0), "", "exploration noise std σ (every action)"),
            new(Horizon, ParamKind.Integer, 1, 256, Math.Min(initial.Horizon, 256), "steps", "H: actions per planned sequence"),
            new(Samples, ParamKind.Integer, 1, 16384, Math.Min(initial.Samples, 16384), "", "N: sampled sequences per step"),
            new(Alpha, ParamKind.Real, 1e-3, 1, initial.StepSize, "", "plan update step size α"),
            new(TorqueScale, ParamKind.Real, 0, 1, 1, "", "scales every torque sent (0: planning runs, the rig gets zero)"),
        ]);
        _torqueScale = Table.IndexOf(TorqueScale);
        Table.Changed += OnChanged;
    }

    /// <summary>The parameters the console lists, gets and sets.</summary>
    public ParameterTable Table { get; }

    /// <summary>The factor applied to every torque sent.</summary>
    public double TorqueScaleValue => Table[_torqueScale];

    /// <summary>The settings last requested (applied by the loop at its next step).</summary>
    public MppiSettings Requested
    {
        get
        {
            lock (_gate)
            {
                return _requested;
            }
        }
    }

    /// <summary>Called by the loop between steps: new settings to apply, or null when nothing changed.</summary>
    public MppiSettings? TakePending()
    {
        if (Volatile.Read(ref _pending) is null)
        {
            return null;
        }
        lock (_gate)
        {
            var pending = _pending;
            _pending = null;
            return pending;
        }
    }

    /// <summary>
    /// Every planner setting at once (a trainer's, over <c>--learn-from</c>), published like a console change after the
    /// console's own range checks; the seed stays this run's. Null when published, else why not (nothing changed).
    /// </summary>
    public string? Adopt(MppiSettings settings)
    {
        (string Name, double Value)[] shown =
            [(Lambda, settings.Lambda), (Sigma, settings.Std(0)), (Horizon, settings.Horizon), (Samples, settings.Samples), (Alpha, settings.StepSize)];
        foreach (var (name, value) in shown)
        {
            var d = Table.Definitions[Table.IndexOf(name)];
            if (!d.Accepts(value))
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} {value:G6} is outside {d.Min:G6} .. {d.Max:G6}");
            }
        }
        lock (_gate)
        {
            _requested = settings with { Seed = _requested.Seed };
            foreach (var (name, value) in shown)
            {
                Table.Load(name, value); // the console shows what the planner now uses; no change event: published below
            }
            Volatile.Write(ref _pending, _requested);
        }
        return null;
    }

    private void OnChanged(ParameterDefinition definition, double value)
    {
        if (definition.Name == TorqueScale)
        {
            return; // read by the loop at every send
        }
        lock (_gate)
        {
            _requested = definition.Name switch
            {
                Lambda => _requested with { Lambda = value },
                Sigma => _requested with { NoiseStd = [value] },
                Horizon => _requested with { Horizon = (int)value },
                Samples => _requested with { Samples = (int)value },
                Alpha => _requested with { StepSize = value },
                _ => _requested,
            };
            Volatile.Write(ref _pending, _requested);
        }
    }
}
