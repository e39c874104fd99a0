namespace Mpq.Tasks;

/// <summary>The one-step cost c(s, a) the planner minimises, computed from the observation of s.</summary>
public interface IRunningCost
{
    /// <summary>c(s, a); must not allocate (called N × H times per planning step).</summary>
    double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action);
}
