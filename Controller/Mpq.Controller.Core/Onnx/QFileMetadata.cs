using System.Globalization;

namespace Mpq.Controller.Onnx;

/// <summary>
/// The Q file's contract, both sides of it: the ONNX names and the metadata a Q carries besides its weights, written by
/// the trainer's exporter (<see cref="Entries"/>) and read back by <see cref="OnnxTerminalCost"/> (with these
/// <see cref="Keys"/>). ActionLow and ActionHigh are the action range the Q was learned for (null: not recorded); a Q is a
/// cost-to-go under it. TerminalFloor null: none.
/// </summary>
public sealed record QFileMetadata(string Task, IReadOnlyList<string> ObservationLayout, int ActionSize, double Lambda, double Gamma, int Horizon, string RunId,
    double ActionRateCost = 0, double? TerminalFloor = null, IReadOnlyList<double>? ActionLow = null, IReadOnlyList<double>? ActionHigh = null, string? RigFingerprint = null)
{
    /// <summary>The input of observations, [N, observation size].</summary>
    public const string ObservationInput = "observation";

    /// <summary>The input of actions, [N, action size].</summary>
    public const string ActionInput = "action";

    /// <summary>The output, [N, 1]: Q(s, a) as a cost-to-go.</summary>
    public const string Output = "q";

    /// <summary>The metadata keys.</summary>
    public static class Keys
    {
        public const string Format = "mpq.format";
        public const string Task = "mpq.task";
        public const string ObservationLayout = "mpq.observation_layout";
        public const string ActionSize = "mpq.action_size";
        public const string Lambda = "mpq.lambda";
        public const string Gamma = "mpq.gamma";
        public const string Horizon = "mpq.horizon";
        public const string ActionRateCost = "mpq.action_rate_cost";
        public const string TerminalFloor = "mpq.terminal_floor";
        public const string ActionLow = "mpq.action_low";
        public const string ActionHigh = "mpq.action_high";
        public const string RunId = "mpq.run_id";

        /// <summary>The hash of the rig files a Q was learned for (<see cref="Tasks.ITask.Fingerprint"/>).</summary>
        public const string RigFingerprint = "mpq.rig_fingerprint";
    }

    /// <summary>The metadata entries as the file stores them (numbers round-trip exactly; a floor of none is "none").</summary>
    public IEnumerable<(string Key, string Value)> Entries()
    {
        var c = CultureInfo.InvariantCulture;
        yield return (Keys.Format, "1");
        yield return (Keys.Task, Task);
        yield return (Keys.ObservationLayout, string.Join(',', ObservationLayout));
        yield return (Keys.ActionSize, ActionSize.ToString(c));
        yield return (Keys.Lambda, Lambda.ToString("R", c));
        yield return (Keys.Gamma, Gamma.ToString("R", c));
        yield return (Keys.Horizon, Horizon.ToString(c));
        yield return (Keys.ActionRateCost, ActionRateCost.ToString("R", c));
        yield return (Keys.TerminalFloor, TerminalFloor?.ToString("R", c) ?? "none");
        yield return (Keys.RunId, RunId);
        if (RigFingerprint is { } fingerprint)
        {
            yield return (Keys.RigFingerprint, fingerprint);
        }
        if (ActionLow is { } low && ActionHigh is { } high)
        {
            yield return (Keys.ActionLow, string.Join(',', low.Select(v => v.ToString("R", c))));
            yield return (Keys.ActionHigh, string.Join(',', high.Select(v => v.ToString("R", c))));
        }
    }
}
