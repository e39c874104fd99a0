using System.Globalization;
using Mpq.Planning.Mppi;
using Mpq.Protocol.Learning;

namespace Mpq.Controller.Rig;

/// <summary>
/// The learning link's <see cref="Planner"/> message and <see cref="MppiSettings"/>, both ways: the trainer writes the
/// settings its own acting planner uses, the controller reads them, checked like anything that crosses a link.
/// </summary>
/// <remarks>γ and the terminal floor are not in it: they are the Q's own and come with each Q file's metadata.</remarks>
public static class PlannerMessage
{
    /// <summary>The message for <paramref name="settings"/> (its seed, γ and floor left out).</summary>
    public static Planner Write(MppiSettings settings)
    {
        var m = new Planner
        {
            Horizon = settings.Horizon,
            Samples = settings.Samples,
            Iterations = settings.Iterations,
            Lambda = settings.Lambda,
            StepSize = settings.StepSize,
            ControlCost = settings.ControlCost,
            ActionRateCost = settings.ActionRateCost,
            Tail = settings.Tail.ToString(),
        };
        m.NoiseStd.AddRange(settings.NoiseStd);
        if (settings.NoiseFilter is { } filter)
        {
            m.NoiseFilter.AddRange(filter);
        }
        return m;
    }

    /// <summary>
    /// <paramref name="current"/> with every field the message carries (γ, floor and seed kept), checked by
    /// <see cref="MppiSettings.Validate"/> for <paramref name="actionSize"/> actions.
    /// </summary>
    /// <exception cref="InvalidDataException">A field missing or out of range, naming it.</exception>
    public static MppiSettings Read(Planner m, MppiSettings current, int actionSize)
    {
        if (!Enum.GetNames<TailMode>().Contains(m.Tail))
        {
            throw new InvalidDataException($"planner tail '{m.Tail}' is not one of {string.Join(", ", Enum.GetNames<TailMode>())}");
        }
        if (m.NoiseFilter.Count is not (0 or 3))
        {
            throw new InvalidDataException($"planner noise filter needs 0 or 3 coefficients (got {m.NoiseFilter.Count})");
        }
        var settings = current with
        {
            Horizon = m.Horizon,
            Samples = m.Samples,
            Iterations = m.Iterations,
            Lambda = m.Lambda,
            NoiseStd = [.. m.NoiseStd],
            StepSize = m.StepSize,
            NoiseFilter = m.NoiseFilter.Count == 0 ? null : [.. m.NoiseFilter],
            ControlCost = m.ControlCost,
            ActionRateCost = m.ActionRateCost,
            Tail = Enum.Parse<TailMode>(m.Tail),
        };
        try
        {
            settings.Validate(actionSize);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"planner: {e.Message}", e);
        }
        return settings;
    }

    /// <summary>One line: what a planner with <paramref name="s"/> does.</summary>
    public static string Describe(MppiSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"H {s.Horizon} N {s.Samples} K {s.Iterations} λ {s.Lambda:G4} σ {s.Std(0):G4} α {s.StepSize:G3} rate cost {s.ActionRateCost:G3} noise filter {(s.NoiseFilter is { } f ? string.Join(",", f.Select(c => c.ToString("G3", CultureInfo.InvariantCulture))) : "off")}");
}
