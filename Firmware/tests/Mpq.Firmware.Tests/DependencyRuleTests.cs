using System.Xml.Linq;

namespace Mpq.Firmware.Tests;

/// <summary>The hardware firmware must not carry MuJoCo or ONNX Runtime (DESIGN.md); the virtual rig is a separate project.</summary>
[TestFixture]
public class DependencyRuleTests
{
    [Test]
    public void HardwareFirmware_ReferencesNeitherMuJoCoNorOnnx()
    {
        var loaded = typeof(Mpq.Firmware.Safety.SafetySupervisor).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToArray();
        Assert.That(loaded, Has.None.Contains("MuJoCo").And.None.Contains("OnnxRuntime").And.None.Contains("Planning"));

        var project = Path.Combine(RepoRoot(), "Firmware", "Mpq.Firmware.Core", "Mpq.Firmware.Core.csproj");
        var doc = XDocument.Load(project);
        var references = doc.Descendants().Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference")
            .Select(e => (string?)e.Attribute("Include") ?? "").ToArray();
        Assert.That(references, Has.None.Contains("MuJoCo").And.None.Contains("OnnxRuntime").And.None.Contains("Controller"));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mpq.slnx")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Mpq.slnx) not found above the test directory");
    }
}
