using System.Globalization;
using System.Text;
using Mpq.Tasks;

namespace Mpq.Trainer;

/// <summary>Formats a task's physical parameters and biased priors as the paper's Table 1 does.</summary>
public static class TaskTable
{
    /// <summary>A Markdown table: parameter, true value, bias (mean factor), σ (half-width factor), range.</summary>
    public static string Format(ITask task)
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.AppendLine(c, $"{task.Name}: {task.EpisodeSteps} steps of {task.ControlPeriod} s, {task.ActionSize} action(s), observation [{string.Join(", ", task.ObservationLayout)}]");
        b.AppendLine("| parameter | true | bias | sigma | range |");
        b.AppendLine("|---|---|---|---|---|");
        foreach (var p in task.Parameters)
        {
            var low = p.TrueValue * (p.Prior.MeanFactor - p.Prior.HalfWidthFactor);
            var high = p.TrueValue * (p.Prior.MeanFactor + p.Prior.HalfWidthFactor);
            b.AppendLine(c, $"| {p.Name} | {p.TrueValue:G4} | {p.Prior.MeanFactor:G4} | {p.Prior.HalfWidthFactor:G4} | U[{low:G4}, {high:G4}] |");
        }
        return b.ToString();
    }
}
