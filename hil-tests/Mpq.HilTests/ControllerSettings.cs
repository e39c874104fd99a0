using Mpq.Controller.Onnx;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.HilTests;

/// <summary>The planner settings <c>controller run --q</c> plans with, for tests that build the controller in-process.</summary>
internal static class ControllerSettings
{
    /// <summary>
    /// The task's planner defaults with γ and the terminal floor from the Q file, as <c>PlannerOptions.Settings</c> makes
    /// them: what a person running the controller gets, not MPPI's bare defaults (α 1, white noise, no action-rate cost). N is the
    /// task's unless given.
    /// </summary>
    public static MppiSettings Of(ITask task, OnnxTerminalCost q, int horizon, ulong seed, int? samples = null)
    {
        var d = MppiSettings.ForTask(task, horizon);
        return d with
        {
            Samples = samples ?? d.Samples,
            Gamma = q.TrainedGamma ?? d.Gamma,
            TerminalFloor = q.TrainedTerminalFloor ?? double.NegativeInfinity,
            Seed = seed,
        };
    }
}
