using Mpq.Controller.Onnx;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary>The planner settings <c>controller run --q</c> plans with, for tests that build the controller in-process.</summary>
internal static class ControllerSettings
{
    /// <summary>
    /// The task's planner defaults with γ and the terminal floor from the Q file, as <c>PlannerOptions.Settings</c> makes
    /// them: what a person running the controller gets, not MPPI's bare defaults (α 1, white noise, no action-rate cost).
    /// </summary>
    public static MppiSettings Of(ITask task, OnnxTerminalCost q, int samples, int horizon, ulong seed)
    {
        var d = task.PlannerDefaults;
        return new MppiSettings
        {
            Samples = samples,
            Horizon = horizon,
            Lambda = d.Lambda,
            NoiseStd = [d.NoiseStd],
            StepSize = d.StepSize,
            ActionRateCost = d.ActionRateCost,
            NoiseFilter = d.NoiseFilter,
            ControlCost = d.ControlCost,
            Gamma = q.TrainedGamma ?? d.Gamma,
            TerminalFloor = q.TrainedTerminalFloor ?? double.NegativeInfinity,
            Seed = seed,
        };
    }
}
