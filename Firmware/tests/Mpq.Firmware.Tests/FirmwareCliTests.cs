using System.Diagnostics;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Serial;

namespace Mpq.Firmware.Tests;

/// <summary>The firmware executable as a user runs it: bad input ends in one clear line and a non-zero exit.</summary>
[TestFixture]
public class FirmwareCliTests
{
    internal static (int Code, string Stdout, string Stderr) Run(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"firmware {string.Join(' ', args)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "firmware.dll");

    // Issue 29: on a machine without GPIO the firmware said only "Exception while calling libgpiod".
    [Test]
    public void Gpio_NoGpioOnThisMachine_SaysWhatToCheck()
    {
        Assume.That(Directory.GetFiles("/dev", "gpiochip*"), Is.Empty, "this machine has GPIO");
        var config = Path.Combine(Path.GetTempPath(), $"mpq-gpio-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """
            { "name": "pendulum-rig",
              "joints": [ { "encoderA": 17, "encoderB": 27, "countsPerRevolution": 4096, "invert": false } ],
              "actuators": [ { "pwmChip": 0, "pwmChannel": 0, "pwmFrequency": 20000, "directionPin": 22, "enablePin": 23, "torqueAtFullDuty": 2.0 } ] }
            """);
        try
        {
            var (code, _, stderr) = Run(Dll, "--port", "/dev/null", "--driver", "gpio", "--config", config);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain("cannot open the board's GPIO or PWM for 'pendulum-rig'").And.Contain("libgpiod2").And.Contain("'gpio' group"));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line: " + stderr);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [TestCase("--port", "/dev/does-not-exist-mpq", "--driver", "virtual:pendulum", "cannot open serial device '/dev/does-not-exist-mpq'")]
    [TestCase("--port", "/dev/null", "--driver", "warp-drive", "unknown driver 'warp-drive'")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:cartpole", "unknown task 'cartpole'")]
    [TestCase("--port", "/dev/null", "--driver", "gpio", "--driver gpio needs --config")]
    [TestCase("--port", "/dev/null", "--driver", "gpio", "--config", "/nonexistent/rig.json", "does not exist")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--loop-rate", "5", "--loop-rate must be between 50 and 2000")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--duration", "0", "--duration must be a positive number of seconds")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--duration", "-1", "--duration must be a positive number of seconds")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--baud", "0", "--baud must be positive")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--sensor-noise", "NaN", "--sensor-noise must be 0 or a positive number")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--counts-per-rev", "-4", "--counts-per-rev must be 0 (off) or positive")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--delay-ticks", "-1", "--delay-ticks must be between 0 and 1000")]
    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--initial", "nan,0", "NaN or infinity")]
    public void BadInput_OneLineErrorNonZeroExit(params string[] argsAndMessage)
    {
        var args = argsAndMessage[..^1];
        var (code, _, stderr) = Run(Dll, args);
        Assert.That(code, Is.EqualTo(2), "usage errors exit 2");
        Assert.That(stderr, Does.Contain(argsAndMessage[^1]));
        Assert.That(stderr.Trim().Split('\n').Where(l => l.StartsWith("error", StringComparison.Ordinal)).Count(), Is.EqualTo(1));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [TestCase("--port", "/dev/null", "--driver", "virtual:pendulum", "--loop-rate", "fast")]
    [TestCase("--port", "/dev/null", "--no-such-option")]
    [TestCase("--driver", "virtual:pendulum")]
    public void ParseError_ExitsTwoWithErrorLines(params string[] args)
    {
        var (code, _, stderr) = Run(Dll, args);
        Assert.That(code, Is.EqualTo(2), "a command line that does not parse is a usage error");
        Assert.That(stderr, Does.StartWith("error:").And.Contain("firmware --help"));
    }

    // Issue 15, case 7: --list-ports in every program; the required --port and --driver do not stand in its way.
    [Test]
    public void ListPorts_NeedsNoPortOrDriver()
    {
        var (code, stdout, stderr) = Run(Dll, "--list-ports");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Length > 0 ? stdout : stderr, Does.StartWith("/dev/").Or.StartWith("no serial ports found"));
    }

    // Issue 25, case 2: a duplicate key exited 2 with "An item with the same key…", naming no file; a damaged file armed on defaults.
    [Test]
    public void DamagedParamsFile_StartsSayingWhichFileAndWhy_ArmingHeld_ResetParamsAcceptsTheDefaults()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-cli-params-").FullName;
        try
        {
            using var pair = SocatPair.Create();
            var file = Path.Combine(dir, "p.json");
            File.WriteAllText(file, """{ "format": 1, "values": { "torque_limit": 0.3, "torque_limit": 2 }, "crc32c": "0" }""");
            var (code, _, stderr) = Run(Dll, "--port", pair.PathA, "--driver", "virtual:pendulum", "--params", file, "--duration", "0.5");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stderr, Does.Contain($"parameters file {file} is damaged: 'torque_limit' appears twice").And.Contain("arming is refused"));
            Assert.That(stderr, Does.Not.Contain("same key"));

            (code, _, stderr) = Run(Dll, "--port", pair.PathA, "--driver", "virtual:pendulum", "--params", file, "--reset-params", "--duration", "0.5");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stderr, Does.Contain("--reset-params: the defaults are saved").And.Not.Contain("is damaged"));
            Assert.That(Directory.GetFiles(dir, "p.json.before-reset-*"), Has.Length.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void SignParams_AfterAHandEdit_SignsAValidFile_RefusesABadOneNamingTheField()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-cli-sign-").FullName;
        try
        {
            var file = Path.Combine(dir, "p.json");
            var table = FirmwareParameters.Create(1, 2.0);
            new ParameterStore(file, _ => { }).Save(table);
            var saved = File.ReadAllText(file);
            File.WriteAllText(file, saved.Replace("\"torque_limit\": 1", "\"torque_limit\": 0.5", StringComparison.Ordinal));
            var (code, stdout, stderr) = Run(Dll, "--driver", "virtual:pendulum", "--params", file, "--sign-params");
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("checked and signed"));
            var loaded = FirmwareParameters.Create(1, 2.0);
            Assert.That(new ParameterStore(file, _ => { }).Load(loaded).Problem, Is.Null);
            Assert.That(loaded.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.5));

            File.WriteAllText(file, saved.Replace("\"torque_limit\": 1", "\"torque_limit\": 7", StringComparison.Ordinal));
            (code, _, stderr) = Run(Dll, "--driver", "virtual:pendulum", "--params", file, "--sign-params");
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain($"error: parameters file {file}: 'torque_limit' = 7 is outside 0 .. 2 N·m"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // A service manager stops a program with SIGTERM, and a program a shell started in the background has SIGINT
    // ignored: SIGTERM must stop it as Ctrl-C does (torque zero, statistics), not kill it without a word.
    [Test]
    public void Sigterm_StopsLikeCtrlC_PrintsItsStatistics()
    {
        using var pair = SocatPair.Create();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Dll, "--port", pair.PathA, "--driver", "virtual:pendulum", "--duration", "60", "--json"])
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        p.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Text().Contains("firmware: ", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
        }
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        Assert.That(p.WaitForExit(5000), Is.True, "stopped within 5 s of SIGTERM\n" + Text());
        Assert.That(p.ExitCode, Is.Zero, Text());
        Assert.That(Text(), Does.Contain("firmware: stopped (SIGTERM); motors at zero torque"));
        Assert.That(stdout.Result, Does.Contain("\"ticks\":"), "the statistics were printed");

        string Text()
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    [Test]
    public void Duration_RunsAndReportsLoopStatistics()
    {
        using var pair = SocatPair.Create();
        var (code, stdout, stderr) = Run(Dll, "--port", pair.PathA, "--driver", "virtual:pendulum", "--duration", "1", "--json");
        Assert.That(code, Is.Zero, stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetProperty("ticks").GetInt64(), Is.GreaterThan(100));
        Assert.That(doc.RootElement.TryGetProperty("jitter_us_p99", out _), Is.True);
        Assert.That(stderr, Does.Contain("Ctrl-C stops (torque zero)"));
    }
}

/// <summary>The hardware build must not carry MuJoCo: build it as a user would and look at what it ships.</summary>
[TestFixture]
[Category("Slow")]
public class HardwareOnlyBuildTests
{
    [Test]
    public void HardwareOnlyBuild_ContainsNoMuJoCoAndRefusesTheVirtualRig()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Mpq.slnx")))
        {
            root = root.Parent;
        }
        Assert.That(root, Is.Not.Null, "repository root not found");
        var output = Directory.CreateTempSubdirectory("mpq-hw-build-").FullName;
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root!.FullName };
            foreach (var a in new[] { "build", "Firmware/Mpq.Firmware/Mpq.Firmware.csproj", "-c", "Release", "-p:HardwareOnly=true", "-o", output, "-nologo", "-v", "quiet" })
            {
                info.ArgumentList.Add(a);
            }
            using (var p = Process.Start(info)!)
            {
                var log = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.That(p.ExitCode, Is.Zero, log);
            }
            var files = Directory.GetFiles(output).Select(Path.GetFileName).ToArray();
            Assert.That(files, Has.Member("firmware.dll"));
            Assert.That(files, Has.None.Contains("MuJoCo").And.None.Contains("Planning").And.None.Contains("VirtualRig").And.None.Contains("OnnxRuntime"));
            var (code, _, stderr) = FirmwareCliTests.Run(Path.Combine(output, "firmware.dll"), "--port", "/dev/null", "--driver", "virtual:pendulum");
            Assert.That(code, Is.Not.Zero);
            Assert.That(stderr, Does.Contain("hardware-only build"));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
