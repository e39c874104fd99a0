namespace Mpq.Controller.Tests;

/// <summary>The planning library's rooms: what each namespace may use (the projects' own rules are DependencyRuleTests').</summary>
[TestFixture]
public class PlanningLayerTests
{
    private static string PlanningFolder(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mpq.slnx")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir!.FullName, "Controller", "Mpq.Planning", name);
    }

    // The control loop is what a rig runs; simulation is built on it (a simulated plant under the same loop), never the
    // other way: the loop, its transitions and their sinks know nothing of episodes in simulation.
    [TestCase("Control", "Mpq.Planning.Simulation")]
    [TestCase("Mppi", "Mpq.Planning.Simulation")]
    [TestCase("Mppi", "Mpq.Planning.Control")]
    public void Namespace_UsesNothingOf(string folder, string forbidden)
    {
        var offenders = Directory.GetFiles(PlanningFolder(folder), "*.cs")
            .Where(f => File.ReadAllText(f).Contains(forbidden, StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .ToArray();
        Assert.That(offenders, Is.Empty, $"{folder} uses {forbidden}");
    }
}
