using System.Diagnostics;
using System.Text.Json;

namespace Mpq.Controller.Tests;

/// <summary>The controller executable as a user runs it: exit codes, one-line errors, JSON shape.</summary>
[TestFixture]
public class ControllerCliTests
{
    internal static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "controller.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"controller {string.Join(' ', args)} did not finish in 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    // Issue 15, case 7: 'run' planned with H=32 by default, without a word, when the Q had been trained for H=8.
    [Test]
    public void Sim_QTrainedForH8_HorizonDefaultsToItAndAnOtherHorizonIsWarned()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Mpq.slnx")))
        {
            dir = dir.Parent;
        }
        var q = Path.Combine(dir!.FullName, "Trainer", "results", "pendulum-mpq-h8", "q.onnx");
        var (code, stdout, stderr) = Run("sim", "--q", q, "--samples", "16", "--episodes", "1", "--json");
        Assert.That(code, Is.Zero, stderr);
        using (var doc = JsonDocument.Parse(stdout))
        {
            Assert.That(doc.RootElement.GetProperty("horizon").GetInt32(), Is.EqualTo(8), "the Q's own horizon");
        }
        Assert.That(stderr, Does.Not.Contain("warning"));
        var (other, _, warned) = Run("sim", "--q", q, "--horizon", "12", "--samples", "16", "--episodes", "1", "--json");
        Assert.That(other, Is.Zero, warned);
        Assert.That(warned, Does.Contain("warning: the Q").And.Contain("was trained for H=8; planning with H=12"));
    }

    [Test]
    public void Sim_UnknownTask_NoCSharpParameterNameInTheError()
    {
        var (code, _, stderr) = Run("sim", "--task", "cartpole", "--episodes", "1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr.Trim(), Does.StartWith("error: unknown task 'cartpole'").And.Not.Contain("(Parameter"));
    }

    // Issue 15, case 7: no program listed the serial ports (SerialTransports.ListPorts existed unused).
    [Test]
    public void Ports_ListsPortsOrSaysThereAreNone()
    {
        var (code, stdout, stderr) = Run("ports", "--all");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Length > 0 ? stdout : stderr, Does.StartWith("/dev/").Or.StartWith("no serial ports found"));
    }

    // Issue 15, case 7: one vocabulary: --list-ports and --transport as in the firmware and the trainer.
    [Test]
    public void Run_ListPorts_NeedsNoPortAndExitsZero()
    {
        var (code, stdout, stderr) = Run("run", "--list-ports");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Length > 0 ? stdout : stderr, Does.StartWith("/dev/").Or.StartWith("no serial ports found"));
    }

    [Test]
    public void Run_NoPort_UsageErrorPointingAtListPorts()
    {
        var (code, _, stderr) = Run("run", "--duration", "1");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--port is required").And.Contain("--list-ports"));
    }

    [Test]
    public void Run_LiveWithoutATerminal_UsageErrorBeforeThePortIsOpened()
    {
        var (code, _, stderr) = Run("run", "--port", "/dev/does-not-exist-mpq", "--live", "--console", "none");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--live draws on the terminal"));
    }

    [TestCase("run", "--port", "/dev/null", "--transport", "usb")]
    [TestCase("sim", "--no-such-option")]
    [TestCase("sim", "--samples", "many")]
    [TestCase("no-such-command")]
    public void ParseError_ExitsTwoWithErrorLines(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(2), "a command line that does not parse is a usage error (README: exit 2)");
        Assert.That(stderr, Does.StartWith("error:").And.Contain("controller --help"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void Sim_Json_HasDocumentedKeys()
    {
        var (code, stdout, stderr) = Run("sim", "--task", "pendulum", "--horizon", "8", "--samples", "32", "--episodes", "2", "--json");
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.That(root.GetProperty("episodes").GetArrayLength(), Is.EqualTo(2));
        Assert.That(root.GetProperty("episodes")[0].TryGetProperty("cost", out _), Is.True);
        Assert.That(root.GetProperty("episodes")[0].TryGetProperty("success", out _), Is.True);
        Assert.That(root.GetProperty("success_rate").GetDouble(), Is.InRange(0.0, 1.0));
        Assert.That(root.GetProperty("mean_cost").GetDouble(), Is.GreaterThan(0));
    }

    // The near-miss bug of the rig, off the rig: 'sim' plans and acts as 'run' does at a rig (the prior's means,
    // the rig's torque limit), and says the limit in its JSON.
    [Test]
    public void Sim_MeansModelAndTorqueLimit_ActsWithinTheLimitAndSaysSo()
    {
        var (code, stdout, stderr) = Run("sim", "--task", "pendulum", "--horizon", "8", "--samples", "32", "--episodes", "1", "--model-bias", "means", "--torque-limit", "0.5", "--json");
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.That(doc.RootElement.GetProperty("model_bias").GetString(), Is.EqualTo("means"));
        Assert.That(doc.RootElement.GetProperty("torque_limit").GetDouble(), Is.EqualTo(0.5));
        Assert.That(doc.RootElement.GetProperty("smoothness").GetProperty("at_limit_share").GetDouble(), Is.GreaterThan(0.05), "from rest it pumps at ±0.5, the limit the figures count against");
    }

    [Test]
    public void Bench_Json_HasDocumentedKeys()
    {
        var (code, stdout, stderr) = Run("bench", "--horizon", "4", "--samples", "16", "--threads", "2", "--steps", "20", "--warmup", "5", "--load", "1", "--json");
        Assert.That(code, Is.Zero, stderr);
        using var doc = JsonDocument.Parse(stdout);
        foreach (var key in new[] { "step_ms_p50", "step_ms_p99", "floor_ms_p50", "ratio_p50", "physics_steps_per_control" })
        {
            Assert.That(doc.RootElement.TryGetProperty(key, out _), Is.True, key);
        }
        Assert.That(doc.RootElement.GetProperty("load").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void Bench_LoadOutOfRange_UsageError()
    {
        var (code, _, stderr) = Run("bench", "--load", "-1", "--steps", "1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--load 0-64"));
    }

    [TestCase("--samples", "0", "samples must be at least 1")]
    [TestCase("--horizon", "-3", "horizon must be at least 1")]
    [TestCase("--lambda", "0", "lambda must be a positive finite number")]
    [TestCase("--lambda", "NaN", "lambda must be a positive finite number")]
    [TestCase("--task", "cartpole", "unknown task 'cartpole'")]
    [TestCase("--initial", "nan,0", "NaN or infinity")]
    [TestCase("--initial", "1,2,3", "--initial needs 2 numbers")]
    [TestCase("--q", "/nonexistent/q.onnx", "does not exist")]
    [TestCase("--q", "/etc/hostname", "is not a loadable ONNX model")]
    [TestCase("--prior", "mass=abc", "is not NAME=BIAS:SIGMA")]
    [TestCase("--prior", "weight=1.2:0.1", "has no parameter 'weight'")]
    [TestCase("--torque-limit", "0", "--torque-limit must be a positive number")]
    [TestCase("--torque-limit", "NaN", "--torque-limit must be a positive number")]
    public void Sim_BadInput_OneLineErrorAndNonZeroExit(string option, string value, string message)
    {
        var args = new List<string> { "sim", "--episodes", "1" };
        foreach (var (o, v) in new[] { ("--samples", "8"), ("--horizon", "4") })
        {
            if (o != option)
            {
                args.AddRange([o, v]);
            }
        }
        args.AddRange([option, value]);
        var (code, stdout, stderr) = Run([.. args]);
        Assert.That(code, Is.EqualTo(2), "usage errors exit 2");
        Assert.That(stderr, Does.Contain(message));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
        Assert.That(stdout, Is.Empty);
    }

    // Issue 13, case 6: these spun at 100 % CPU ignoring SIGINT (--rate), or exited 0 doing nothing (--duration).
    [TestCase("--control-rate", "0", "--control-rate must be between 1 and 2000 Hz")]
    [TestCase("--control-rate", "-5", "--control-rate must be between 1 and 2000 Hz")]
    [TestCase("--control-rate", "NaN", "--control-rate must be between 1 and 2000 Hz")]
    [TestCase("--duration", "0", "--duration must be a positive number of seconds")]
    [TestCase("--duration", "-1", "--duration must be a positive number of seconds")]
    [TestCase("--baud", "0", "--baud must be positive")]
    public void Run_BadOption_ExitCode2BeforeThePortIsOpened(string option, string value, string message)
    {
        var (code, _, stderr) = Run(["run", "--port", "/nonexistent/tty", "--arm", option, value]);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(message).And.Not.Contain("serial device"));
    }

    [TestCase("-1")]
    [TestCase("NaN")]
    public void Run_BadReportInterval_RefusedBeforeThePortIsOpened(string seconds)
    {
        var (code, _, stderr) = Run(["run", "--port", "/nonexistent/tty", "--report", seconds]);
        Assert.That(code, Is.Not.Zero);
        Assert.That(stderr, Does.Contain("--report must be 0 or more seconds").And.Not.Contain("serial device"));
    }
}
