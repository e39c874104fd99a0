using System.Globalization;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.Trainer.Identification;

/// <summary>One logged step of a rig: the state it started in, the torque the rig applied over it, the state it ended in.</summary>
/// <param name="State">The model's state (positions, then velocities) at the step's start.</param>
/// <param name="Action">The action the rig reports it applied (after its clamp and slew limit); the commanded one in a log too old to carry it.</param>
/// <param name="Next">The state one control period later.</param>
/// <param name="Previous">The action applied over the step before (an actuation delay keeps it acting into this one); this step's own where the log has no step before it.</param>
/// <param name="Commanded">The action the controller asked for (a drive with a slew limit ramps from <paramref name="Previous"/> towards it), within the rig's torque limit where the log records it.</param>
public sealed record IdentificationSample(double[] State, double[] Action, double[] Next, double[] Previous, double[]? Commanded = null);

/// <summary>
/// The samples of one or more transition logs of one rig, checked at the boundary: every log must be of this rig (its
/// name and sizes), readable to its end, and free of non-finite numbers. A problem is one
/// <see cref="InvalidDataException"/> naming the file (and the record), never a silent skip.
/// </summary>
public sealed class IdentificationData
{
    private IdentificationData(IReadOnlyList<IdentificationSample> samples, double seconds, int files)
    {
        Samples = samples;
        Seconds = seconds;
        Files = files;
    }

    public IReadOnlyList<IdentificationSample> Samples { get; }

    /// <summary>Rig time the samples cover (samples × the control period).</summary>
    public double Seconds { get; }

    public int Files { get; }

    /// <summary>Reads <paramref name="paths"/> as logs of <paramref name="task"/> whose model state has <paramref name="stateSize"/> numbers.</summary>
    public static IdentificationData Read(ITask task, int stateSize, IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            throw new ArgumentException("identify needs at least one transition log");
        }
        var samples = new List<IdentificationSample>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"transition log '{path}' does not exist");
            }
            var log = TransitionLogReader.Read(path);
            var h = log.Header;
            if (h.Task != task.Name)
            {
                throw new InvalidDataException($"'{path}' is a log of rig '{h.Task}', not of '{task.Name}': its motion says nothing about this rig's model");
            }
            if (h.StateSize != stateSize || h.ActionSize != task.ActionSize)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"'{path}' has states of {h.StateSize} and actions of {h.ActionSize}; rig '{task.Name}''s model has {stateSize} and {task.ActionSize} (another version of the rig?)"));
            }
            if (log.DamagedRecords > 0 || log.SkippedBytes > 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"'{path}' is truncated or damaged after record {log.Records.Count} ({log.SkippedBytes} byte(s) unreadable): a fit must not silently use part of a log; copy the intact part with 'controller log' or record again"));
            }
            if (log.Records.Count == 0)
            {
                throw new InvalidDataException($"'{path}' holds no transitions (a run without --log, or stopped before its first step)");
            }
            double[]? previous = null;
            // The rig's torque limit as the controller logged it at the handshake ("1" or "1/0.5"): what a command was clamped to.
            var limits = h.Planner.TryGetValue("torque_limit", out var text)
                ? text.Split('/').Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) && l >= 0 ? l : double.PositiveInfinity).ToArray()
                : null;
            for (var i = 0; i < log.Records.Count; i++)
            {
                var r = log.Records[i];
                var action = r.Measured ?? r.Action;
                if (!AllFinite(r.State) || !AllFinite(r.NextState) || !AllFinite(action))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"'{path}': record {i} (t = {r.Time:F3} s) holds a number that is not finite (NaN or infinity): the log cannot be trusted as a measurement"));
                }
                double[] applied = [.. action.Select(a => (double)a)];
                var follows = i > 0 && log.Records[i - 1].Episode == r.Episode && log.Records[i - 1].Step == r.Step - 1;
                double[] commanded = [.. r.Action.Select((a, k) => limits is not null && k < limits.Length ? Math.Clamp(a, -limits[k], limits[k]) : (double)a)];
                samples.Add(new IdentificationSample(r.State, applied, r.NextState, follows && previous is not null ? previous : applied, commanded));
                previous = applied;
            }
        }
        return new IdentificationData(samples, samples.Count * task.ControlPeriod, paths.Count);
    }

    private static bool AllFinite(double[] values) => values.All(double.IsFinite);

    private static bool AllFinite(float[] values) => values.All(float.IsFinite);
}
