using System.Diagnostics;
using Mpq.MuJoCo.Interop;

namespace Mpq.Controller.Tests;

/// <summary>Every struct offset the binding reads is checked against the installed MuJoCo header.</summary>
[TestFixture]
public class MuJoCoLayoutTests
{
    [Test]
    public void Offsets_MatchInstalledHeader()
    {
        if (!File.Exists("/usr/include/mujoco/mujoco.h"))
        {
            Assert.Fail("MuJoCo headers are missing: install them with 'apt-get install libmujoco-dev'");
        }
        var source = Path.Combine(AppContext.BaseDirectory, "Native", "offsets_probe.c");
        var exe = Path.Combine(Path.GetTempPath(), $"mpq-offsets-probe-{Environment.ProcessId}");
        try
        {
            var (compileCode, compileOut) = RunProcess("cc", $"-O0 -o {exe} {source}");
            Assert.That(compileCode, Is.Zero, $"compiling the probe failed (is gcc installed?): {compileOut}");
            var (code, output) = RunProcess(exe, "");
            Assert.That(code, Is.Zero, output);
            var native = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' '))
                .ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Multiple(() =>
            {
                foreach (var (name, value) in MjLayout.All)
                {
                    Assert.That(native.ContainsKey(name), Is.True, $"the probe does not print {name}");
                    if (native.TryGetValue(name, out var expected))
                    {
                        Assert.That(value, Is.EqualTo(expected), $"offset of {name}");
                    }
                }
                Assert.That(native, Has.Count.EqualTo(MjLayout.All.Count), "the probe prints entries the C# table lacks");
            });
        }
        finally
        {
            File.Delete(exe);
        }
    }

    private static (int Code, string Output) RunProcess(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr);
    }
}
