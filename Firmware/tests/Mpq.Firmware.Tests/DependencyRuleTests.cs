using System.Xml.Linq;

namespace Mpq.Firmware.Tests;

/// <summary>
/// The layers DESIGN.md draws, checked on the project files: the hardware firmware carries neither MuJoCo nor
/// ONNX Runtime nor any task or planner; the shared libraries point one way; no program references another program.
/// </summary>
[TestFixture]
public class DependencyRuleTests
{
    private static readonly string[] Forbidden = ["MuJoCo", "OnnxRuntime", "Mpq.Tasks", "Mpq.Planning", "Mpq.Controller", "VirtualRig"];

    [Test]
    public void HardwareFirmware_WholeGraph_HasNeitherMuJoCoNorOnnxNorPlanner()
    {
        var graph = ProjectGraph.Walk(Project("Firmware", "Mpq.Firmware"), hardwareOnly: true);
        Assert.That(graph.Projects, Does.Contain("Mpq.Firmware.Core").And.Contain("Mpq.Protocol").And.Contain("Mpq.Common"), "the walk must reach the libraries");
        foreach (var name in Forbidden)
        {
            Assert.That(graph.Projects.Concat(graph.Packages), Has.None.Contains(name), $"the hardware build must not carry {name}");
        }
    }

    [Test]
    public void DefaultFirmware_WholeGraph_CarriesTheVirtualRigAndMuJoCo()
    {
        // The other side of the rule above: without HardwareOnly the same walk finds what the hardware build leaves out,
        // so the walk itself is not blind.
        var graph = ProjectGraph.Walk(Project("Firmware", "Mpq.Firmware"), hardwareOnly: false);
        Assert.That(graph.Projects, Does.Contain("Mpq.Firmware.VirtualRig").And.Contain("Mpq.MuJoCo").And.Contain("Mpq.Tasks"));
        Assert.That(graph.Projects, Has.None.EqualTo("Mpq.Planning"), "the virtual rig needs the tasks, never the planner");
    }

    [Test]
    public void HardwareFirmware_LoadedAssembly_ReferencesNoMuJoCo()
    {
        var loaded = typeof(Mpq.Firmware.Safety.SafetySupervisor).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToArray();
        Assert.That(loaded, Has.None.Contains("MuJoCo").And.None.Contains("OnnxRuntime").And.None.Contains("Planning").And.None.Contains("Tasks"));
    }

    [TestCase("Protocol", "Mpq.Common", new string[0])]
    [TestCase("Protocol", "Mpq.Protocol", new[] { "Mpq.Common" })]
    [TestCase("Protocol", "Mpq.Protocol.Serial", new[] { "Mpq.Common" })]
    [TestCase("Controller", "Mpq.MuJoCo", new string[0])]
    [TestCase("Controller", "Mpq.Tasks", new[] { "Mpq.MuJoCo", "Mpq.Common" })]
    [TestCase("Controller", "Mpq.Planning", new[] { "Mpq.MuJoCo", "Mpq.Tasks", "Mpq.Common" })]
    public void Library_ReferencesOnlyTheLayersBelow(string folder, string project, string[] allowed)
    {
        var graph = ProjectGraph.Walk(Project(folder, project), hardwareOnly: false);
        Assert.That(graph.Projects.Where(p => p != project), Is.EquivalentTo(allowed));
        Assert.That(graph.Packages, Has.None.Contains("OnnxRuntime"), $"{project} must not need ONNX Runtime");
    }

    [TestCase("Trainer", "Mpq.Trainer")]
    [TestCase("Controller", "Mpq.Controller")]
    [TestCase("Firmware", "Mpq.Firmware")]
    [TestCase("Firmware", "Mpq.Firmware.VirtualRig")]
    [TestCase("Controller", "Mpq.Controller.Core")]
    public void Project_ReferencesNoExecutable(string folder, string project)
    {
        var graph = ProjectGraph.Walk(Project(folder, project), hardwareOnly: false);
        Assert.That(graph.Executables.Where(p => p != project), Is.Empty, $"{project} must reference libraries, not programs");
    }

    private static string Project(string folder, string name) => Path.Combine(RepoRoot(), folder, name, name + ".csproj");

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mpq.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Mpq.slnx) not found above the test directory");
    }

    /// <summary>Every project and package a project pulls in, read from the .csproj files (item groups conditioned on HardwareOnly honoured).</summary>
    private sealed class ProjectGraph
    {
        public SortedSet<string> Projects { get; } = [];
        public SortedSet<string> Packages { get; } = [];
        public SortedSet<string> Executables { get; } = [];

        public static ProjectGraph Walk(string root, bool hardwareOnly)
        {
            var graph = new ProjectGraph();
            graph.Visit(Path.GetFullPath(root), hardwareOnly);
            return graph;
        }

        private void Visit(string path, bool hardwareOnly)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (!Projects.Add(name))
            {
                return;
            }
            var doc = XDocument.Load(path);
            if (doc.Descendants().Any(e => e.Name.LocalName == "OutputType" && e.Value.Trim() == "Exe"))
            {
                Executables.Add(name);
            }
            foreach (var item in doc.Descendants().Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference"))
            {
                if (!Included(item, hardwareOnly))
                {
                    continue;
                }
                var include = (string?)item.Attribute("Include") ?? "";
                if (item.Name.LocalName == "PackageReference")
                {
                    Packages.Add(include);
                }
                else
                {
                    Visit(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, include)), hardwareOnly);
                }
            }
        }

        private static bool Included(XElement item, bool hardwareOnly)
        {
            foreach (var scope in item.AncestorsAndSelf())
            {
                var condition = (string?)scope.Attribute("Condition");
                if (condition is null)
                {
                    continue;
                }
                if (!condition.Contains("HardwareOnly", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"a condition this test cannot evaluate: {condition}");
                }
                var whenNotHardware = condition.Contains("!=", StringComparison.Ordinal);
                if (whenNotHardware == hardwareOnly)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
