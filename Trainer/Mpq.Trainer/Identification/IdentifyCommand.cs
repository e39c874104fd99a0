using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mpq.Tasks;
using Mpq.Tasks.Rigs;

namespace Mpq.Trainer.Identification;

/// <summary><c>trainer identify --task RIG LOG... [--fit NAMES] [--out DIR] [--json]</c>: the rig's physical parameters from its own logs.</summary>
internal static class IdentifyCommand
{
    public static Command Create()
    {
        var logs = new Argument<string[]>("logs") { Description = "transition logs of the rig (controller run --log: a free swing logged disarmed, an excitation run with --arm --excite)", Arity = ArgumentArity.OneOrMore };
        var task = new Option<string>("--task") { Description = $"the rig the logs are of: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", Required = true };
        var fit = new Option<string?>("--fit") { Description = "the parameters to fit, comma-separated (default: every rig parameter, and damping_J and friction_J on each joint no rig parameter scales)" };
        var output = new Option<string?>("--out") { Description = "write the identified rig here (a new folder): the prior centred on the estimates, the damping and friction in its model" };
        var json = new Option<bool>("--json") { Description = "print the result as one JSON object on stdout (the table goes to stderr)" };
        var step = new Option<double>("--max-step") { Description = "largest integration step of the prediction, seconds", DefaultValueFactory = _ => 0.002 };
        var slewRate = new Option<string?>("--slew-rate")
        {
            Description = "the rig's slew_rate when the logs were made, N·m/s, or 'off' (default: the rig file's slew_rate, else the firmware's default, 20 × min(1, the largest actuator torque)); a ramp the model does not know looks like a delay and hides friction",
        };
        var command = new Command("identify", "Estimate the rig's physical parameters (those of its rig file, and damping and Coulomb friction per joint) from its logs, with MuJoCo in the loop; print each ± its standard error and the prediction error before and after.")
        {
            logs, task, fit, output, json, step, slewRate,
        };
        command.SetAction(r => TrainerCli.Run(() =>
        {
            var maxStep = r.GetValue(step);
            if (!double.IsFinite(maxStep) || maxStep <= 0 || maxStep > 0.1)
            {
                throw new ArgumentException($"--max-step must be between 0 and 0.1 s (got {maxStep})");
            }
            var names = r.GetValue(fit) is { } list ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : null;
            if (names is { Length: 0 })
            {
                throw new ArgumentException("--fit names no parameter");
            }
            var outDir = r.GetValue(output);
            if (outDir is not null && Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            {
                throw new IOException($"--out '{outDir}' exists and is not empty: an identified rig is written to a new folder, never over one");
            }
            var rig = TaskCatalog.Create(r.GetValue(task)!) as RigTask
                ?? throw new ArgumentException($"--task '{r.GetValue(task)}' is not a rig folder: identify writes a rig file");
            using var probe = Mpq.MuJoCo.MjModel.FromXmlString(rig.ModelXml);
            var paths = r.GetValue(logs)!;
            var data = IdentificationData.Read(rig, probe.StateSize, paths);
            double? slew = r.GetValue(slewRate) switch
            {
                null => rig.SlewRate ?? 20 * Math.Min(1, RigIdentifier.LargestAction(rig)),
                "off" => null,
                var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0 => v,
                var text => throw new ArgumentException($"--slew-rate must be a positive number of N·m/s or 'off' (got '{text}')"),
            };
            using var identifier = new RigIdentifier(rig, data, new IdentifyOptions { Fit = names, MaxStep = maxStep, SlewRate = slew });
            var result = identifier.Fit();
            var table = Table(result);
            var asJson = r.GetValue(json);
            (asJson ? Console.Error : Console.Out).Write(table);
            RigTask? written = null;
            if (outDir is not null)
            {
                (written, var leftOut) = IdentifiedRig.Write(rig, result, outDir, paths);
                var said = asJson ? Console.Error : Console.Out;
                foreach (var line in leftOut)
                {
                    said.WriteLine($"left out: {line}");
                }
                said.WriteLine($"wrote the identified rig to {outDir} (fingerprint {written.Fingerprint}); use it with --task {outDir}");
            }
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    rig = result.Rig,
                    logs = paths,
                    samples = result.Samples,
                    seconds = result.Seconds,
                    iterations = result.Iterations,
                    parameters = result.Parameters.Select(p => new { name = p.Name, kind = p.Kind.ToString().ToLowerInvariant(), unit = p.Unit, joint = p.Joint, start = p.Start, estimate = p.Estimate, std_error = p.StdError, model_value = p.ModelValue }),
                    prediction_rms_before = result.Velocities.Select((v, i) => new { joint = v, value = result.RmsBefore[i] }),
                    prediction_rms_after = result.Velocities.Select((v, i) => new { joint = v, value = result.RmsAfter[i] }),
                    velocity_unit = result.VelocityUnit,
                    written = outDir,
                    fingerprint = written?.Fingerprint,
                }));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The result as a person reads it: each parameter against where the fit started, then the prediction error before and after.</summary>
    internal static string Table(IdentificationResult result)
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(inv, $"identify: rig '{result.Rig}', {result.Samples} steps ({result.Seconds:F1} s of rig time), {result.Iterations} iterations"));
        text.AppendLine(string.Create(inv, $"{"parameter",-22} {"unit",-10} {"start",12} {"estimate",12} {"± 1 s.e.",10} {"s.e. %",7}"));
        foreach (var p in result.Parameters)
        {
            var added = p.Kind is IdentifiedKind.Damping or IdentifiedKind.Friction;
            var start = added ? $"+{p.Start.ToString("G3", inv)}" : p.Start.ToString("G5", inv);
            var shown = p.Estimate == 0 ? 0 : p.Estimate; // never "-0"
            var estimate = added ? $"{(shown >= 0 ? "+" : "")}{shown.ToString("G5", inv)}" : shown.ToString("G5", inv);
            text.AppendLine(string.Create(inv, $"{p.Name,-22} {p.Unit,-10} {start,12} {estimate,12} {p.StdError,10:G2} {(double.IsFinite(p.Relative) ? (100 * p.Relative).ToString("F2", inv) : "-"),7}"));
        }
        if (result.Parameters.Any(p => p.Kind is IdentifiedKind.Damping or IdentifiedKind.Friction))
        {
            text.AppendLine("(damping and friction: added to the model file's own; start and estimate are the addition)");
        }
        for (var j = 0; j < result.Velocities.Count; j++)
        {
            text.AppendLine(string.Create(inv,
                $"one-step prediction error of {result.Velocities[j]}'s velocity (RMS, {result.VelocityUnit}): {result.RmsBefore[j]:G3} at the start, {result.RmsAfter[j]:G3} at the estimate"));
        }
        text.AppendLine("(standard errors assume independent errors; an encoder's quantisation is not in the model, so treat them as a floor)");
        return text.ToString();
    }
}
