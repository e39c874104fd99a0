using System.Diagnostics;

namespace Mpq.Trainer.Tests;

/// <summary>The trainer executable as a user runs it.</summary>
[TestFixture]
public class TrainCommandTests
{
    /// <summary>The trainer as a user runs it: its exit code, stdout and stderr.</summary>
    internal static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "trainer.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(120_000), Is.True, "trainer did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [TestCase(new[] { "train", "--rig", "/dev/mpq-no-such-port" }, "--rig needs --out")]
    [TestCase(new[] { "train", "--rig", "/dev/mpq-no-such-port", "--out", "/tmp/mpq-rig-never", "--episode-seconds", "0" }, "--episode-seconds must be in (0, 3600]")]
    [TestCase(new[] { "train", "--rig", "/dev/mpq-no-such-port", "--out", "/tmp/mpq-rig-never", "--algo", "mppi" }, "plain MPPI learns nothing")]
    [TestCase(new[] { "train", "--rig", "/dev/mpq-no-such-port", "--out", "/tmp/mpq-rig-never" }, "/dev/mpq-no-such-port")]
    [TestCase(new[] { "train", "--episodes", "0" }, "--episodes must be at least 1 (got 0)")]
    [TestCase(new[] { "train", "--episodes", "-1" }, "--episodes must be at least 1 (got -1)")]
    [TestCase(new[] { "train", "--threads", "0" }, "--threads must be between 1 and 256")]
    [TestCase(new[] { "train", "--horizon", "0" }, "--horizon must be between 1 and 256")]
    [TestCase(new[] { "train", "--dr", "NaN" }, "--dr must be a half-width in (0, 1)")]
    [TestCase(new[] { "experiment", "fig1a", "--seeds", "0" }, "--seeds and --episodes must be at least 1")]
    [TestCase(new[] { "experiment", "table2", "--dr-width", "1.5" }, "--dr-width must be a half-width in (0, 1)")]
    // Issue 15, case 7: the same thing had two names in two commands; both names work in both now.
    [TestCase(new[] { "experiment", "table2", "--dr", "1.5" }, "--dr-width must be a half-width in (0, 1)")]
    [TestCase(new[] { "train", "--dr-width", "NaN" }, "--dr must be a half-width in (0, 1)")]
    [TestCase(new[] { "train", "--port", "/dev/mpq-no-such-port" }, "--rig needs --out")]
    public void TrainRig_BadInput_ClearErrorBeforeAnyTorque(string[] args, string expected)
    {
        var (code, _, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.StartWith("error:").And.Contain(expected));
        Assert.That(stderr, Does.Not.Contain("   at "));
    }

    [TestCase("train", "--no-such-option")]
    [TestCase("train", "--episodes", "lots")]
    [TestCase("experiment", "fig9")]
    public void ParseError_ExitsTwoWithErrorLines(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.That(code, Is.EqualTo(2), "a command line that does not parse is a usage error");
        Assert.That(stderr, Does.StartWith("error:").And.Contain("trainer --help"));
    }

    [Test]
    public void ExperimentTable2_CiSized_WritesTheMarkdownTable()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-table2-").FullName;
        try
        {
            var (code, stdout, stderr) = Run("experiment", "table2", "--task", "pendulum", "--horizons", "1,2", "--episodes", "1", "--test-episodes", "2", "--out", dir);
            Assert.That(code, Is.Zero, stderr);
            var md = File.ReadAllText(Path.Combine(dir, "table2.md"));
            Assert.That(md, Does.Match(@"\| 1 \| \d/2 \| \d/2 \|"));
            Assert.That(md, Does.Match(@"\| 2 \| \d/2 \| \d/2 \|"));
            Assert.That(File.ReadAllLines(Path.Combine(dir, "table2.csv")), Has.Length.EqualTo(5), "a header and four learners");
            Assert.That(stdout, Does.Contain("H=2 DR seed 1:"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ExperimentFig1_AnyTask_EveryCurveATableAndAPlot()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-fig1-").FullName;
        try
        {
            var (code, stdout, stderr) = Run("experiment", "fig1", "--task", "ballincup", "--short", "2", "--long", "4", "--episodes", "1", "--seeds", "2",
                "--set", "Samples=16,TargetSamples=4,Warmup=50", "--out", dir);
            Assert.That(code, Is.Zero, stderr);
            var configs = File.ReadLines(Path.Combine(dir, "results.csv")).Skip(1).Select(l => l.Split(',')[0]).Distinct();
            Assert.That(configs, Is.EqualTo(new[] { "MPQ H=2", "MPPI H=2", "MPPI H=4", "MPPI H=4 true model", "MPPI H=4 N=8", "MPQ H=2 N=40", "MPPI H=4 N=40", "SoftQ (H=1)" }));
            Assert.That(File.Exists(Path.Combine(dir, "figure.png")), Is.True);
            var summary = File.ReadAllText(Path.Combine(dir, "summary.md"));
            Assert.That(summary, Does.Contain("# Figure 1, ballincup: 2 seeds × 1 episodes"));
            Assert.That(summary, Does.Contain("Headroom (does the bias hurt the long horizon?) MPPI H=4 − MPPI H=4 true model = "));
            Assert.That(summary, Does.Contain("MPQ short beats MPPI long at the same N·H? MPQ H=2 − MPPI H=4 N=8 = "));
            Assert.That(stdout, Does.Contain("summary.md"), "says what it wrote");

            var (plotCode, plotOut, plotErr) = Run("experiment", "plot", dir);
            Assert.That(plotCode, Is.Zero, plotErr);
            Assert.That(plotOut, Does.Contain("# Figure 1, ballincup"), "the redrawn summary names the task, not 'pendulum'");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Issue 15, case 7: the planner's settings have the controller's option names in the trainer too.
    [Test]
    public void Train_PlannerOptionsNamedAsInTheController_TakeEffect()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-planner-options-").FullName;
        try
        {
            var (code, _, stderr) = Run("train", "--algo", "mppi", "--episodes", "1", "--threads", "1", "--out", dir, "--force",
                "-N", "32", "--lambda", "0.2", "--noise-std", "0.5", "--alpha", "0.5", "--noise-filter", "1,0.5,0", "--action-rate-cost", "2");
            Assert.That(code, Is.Zero, stderr);
            using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
            var c = config.RootElement;
            Assert.That((c.GetProperty("Samples").GetInt32(), c.GetProperty("Lambda").GetDouble(), c.GetProperty("NoiseStd").GetDouble(), c.GetProperty("ActionRateCost").GetDouble()),
                Is.EqualTo((32, 0.2, 0.5, 2.0)));
            Assert.That(c.GetProperty("NoiseFilter").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(new[] { 1.0, 0.5, 0.0 }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Train_TorqueLimit_LearnsWithinItAndTheQFileSaysSo()
    {
        // A Q learned for ±2 N·m chased swings a ±1 N·m rig cannot finish (near misses that never swung up): the file
        // records the range it was learned for, and the Controller warns when it plans within less.
        var dir = Directory.CreateTempSubdirectory("mpq-torque-limit-").FullName;
        try
        {
            var (code, _, stderr) = Run("train", "--algo", "mpq", "--episodes", "1", "--threads", "1", "--out", dir, "--force", "-N", "32", "--torque-limit", "1");
            Assert.That(code, Is.Zero, stderr);
            using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
            Assert.That(config.RootElement.GetProperty("action_high").EnumerateArray().Select(e => e.GetDouble()), Is.EqualTo(new[] { 1.0 }));
            using var q = Mpq.Controller.Onnx.OnnxTerminalCost.Load(Path.Combine(dir, "q.onnx"), new Tasks.PendulumSwingup());
            Assert.That((q.TrainedActionLow, q.TrainedActionHigh), Is.EqualTo((new[] { -1.0 }, new[] { 1.0 })));
            Assert.That(q.ActionRangeWarning([-1], [1]), Is.Null);
            Assert.That(q.ActionRangeWarning([-0.5], [0.5]), Does.Contain("learned for actions in [-1] .. [1]"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("NaN")]
    public void Train_TorqueLimitNotPositive_UsageError(string limit)
    {
        var (code, _, stderr) = Run("train", "--episodes", "1", "--torque-limit", limit);
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--torque-limit must be a positive number"));
    }

    [Test]
    public void Train_OptionAndSetNameTheSameSetting_Refused()
    {
        var (code, _, stderr) = Run("train", "--episodes", "1", "--samples", "32", "--set", "Samples=64");
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("--samples and --set Samples= name the same setting"));
    }

    [Test]
    public void Train_ListPorts_ExitsZero()
    {
        var (code, stdout, stderr) = Run("train", "--list-ports");
        Assert.That(code, Is.Zero, stderr);
        Assert.That(stdout.Length > 0 ? stdout : stderr, Does.StartWith("/dev/").Or.StartWith("no serial ports found"));
    }

    [Test]
    public void Train_IntoAnExistingRun_RefusedWithoutResumeOrForce()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-existing-run-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "run.json"), "{}");
            File.WriteAllText(Path.Combine(dir, "metrics.csv"), "keep me");
            var (code, _, stderr) = Run("train", "--episodes", "1", "--out", dir);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain("already holds a run").And.Contain("--resume").And.Contain("--force"));
            Assert.That(File.ReadAllText(Path.Combine(dir, "metrics.csv")), Is.EqualTo("keep me"), "nothing overwritten");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Resume_MissingRun_ClearError()
    {
        var (code, _, stderr) = Run("train", "--resume", "/nonexistent/run");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("run.json' does not exist"));
    }

    [Test]
    public void Resume_DamagedCheckpoint_ClearErrorNoCrash()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-run-").FullName;
        try
        {
            var (code, _, stderr) = Run("train", "--algo", "mppi", "--horizon", "4", "--episodes", "1", "--out", dir);
            Assert.That(code, Is.Zero, stderr);
            File.WriteAllBytes(Path.Combine(dir, "checkpoint.bin"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
            (code, _, stderr) = Run("train", "--resume", dir);
            Assert.That(code, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("damaged"));
            Assert.That(stderr, Does.Not.Contain("   at "));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Issue 25, case 6: checkpoints crafted with a valid CRC: NextEpisode -7 trained 13 episodes, 2^31-1 exited 0 doing
    // nothing; a broken run.json or a null field gave errors that named neither file nor field; a truncated metrics.csv was
    // resumed without a word.
    [TestCase(-7, "NextEpisode -7 is outside 0 .. 2")]
    [TestCase(int.MaxValue, "NextEpisode 2147483647 is outside 0 .. 2")]
    public void Resume_CheckpointCountersOutOfRange_RefusedNamingTheFieldAndTheFile(int nextEpisode, string said)
    {
        WithRun(2, dir =>
        {
            var path = Path.Combine(dir, "checkpoint.bin");
            var all = File.ReadAllBytes(path);
            var body = all[..^4];
            using (var r = new BinaryReader(new MemoryStream(body)))
            {
                r.ReadString(); // magic
                r.ReadString(); // fingerprint
                BitConverter.GetBytes(nextEpisode).CopyTo(body, (int)r.BaseStream.Position);
            }
            File.WriteAllBytes(path, [.. body, .. BitConverter.GetBytes(Mpq.Common.Crc32C.Compute(body))]);
            var (code, _, stderr) = Run("train", "--resume", dir);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain($"checkpoint '{path}'").And.Contain(said));
        });
    }

    [TestCase("{ \"Task\": \"pendulum\", ", "is not valid JSON")]
    [TestCase("", "is empty")]
    [TestCase("null", "is empty")]
    [TestCase("{ \"Task\": null, \"Algorithm\": \"mppi\", \"Episodes\": 2, \"Seed\": 1, \"Threads\": 1 }", "field 'Task' is missing or null")]
    [TestCase("{ \"Task\": \"pendulum\", \"Algorithm\": \"mppi\", \"Episodes\": 0, \"Seed\": 1, \"Threads\": 1 }", "field 'Episodes' = 0 is outside 1 ..")]
    public void Resume_BrokenRunJson_ErrorNamesTheFileAndTheField(string text, string said)
    {
        WithRun(1, dir =>
        {
            var path = Path.Combine(dir, "run.json");
            File.WriteAllText(path, text);
            var (code, _, stderr) = Run("train", "--resume", dir);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain($"'{path}'").And.Contain(said));
            Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one error line");
        });
    }

    [TestCase("truncated", "holds 1 complete episode row(s); the checkpoint says 2 episode(s) are done")]
    [TestCase("half a line", "line 3 is not a metrics row")]
    [TestCase("missing", "does not exist; the checkpoint says 2 episode(s) are done")]
    public void Resume_DamagedMetrics_RefusedNamingTheFile(string damage, string said)
    {
        WithRun(2, dir =>
        {
            var path = Path.Combine(dir, "metrics.csv");
            var lines = File.ReadAllLines(path);
            switch (damage)
            {
                case "truncated":
                    File.WriteAllText(path, string.Join('\n', lines[..2]) + "\n");
                    break;
                case "half a line":
                    File.WriteAllText(path, string.Join('\n', lines[..2]) + "\n" + lines[2][..5]);
                    break;
                default:
                    File.Delete(path);
                    break;
            }
            var (code, _, stderr) = Run("train", "--resume", dir);
            Assert.That(code, Is.EqualTo(2), stderr);
            Assert.That(stderr, Does.Contain($"'{path}'").And.Contain(said));
        });
    }

    /// <summary>A finished MPPI run of <paramref name="episodes"/> short episodes in a temporary run directory.</summary>
    private static void WithRun(int episodes, Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("mpq-run-").FullName;
        try
        {
            var (code, _, stderr) = Run("train", "--algo", "mppi", "--horizon", "4", "--episodes", $"{episodes}", "--set", "Samples=16", "--out", dir);
            Assert.That(code, Is.Zero, stderr);
            test(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void FromLog_RecordedTransitions_WritesALoadableQ()
    {
        var dir = Directory.CreateTempSubdirectory("mpq-fromlog-").FullName;
        try
        {
            var log = Path.Combine(dir, "demo.log");
            var task = new Mpq.Tasks.PendulumSwingup();
            using (var pool = new Mpq.Planning.Parallel.WorkerPool(1))
            using (var runner = new Mpq.Planning.Simulation.EpisodeRunner(task, new Mpq.Planning.Mppi.MppiSettings { Samples = 16, Horizon = 4 }, pool, true, 2))
            using (var writer = Mpq.Planning.Logging.TransitionLog.Create(log, Mpq.Planning.Logging.TransitionLogHeader.For(task, stateSize: 2, source: "sim")))
            {
                runner.Run(0, writer);
            }
            var (code, stdout, stderr) = Run("train", "--from-log", log, "--updates", "20", "--horizon", "2", "--out", dir);
            Assert.That(code, Is.Zero, stderr);
            Assert.That(stdout, Does.Contain("updates 20"));
            Assert.That(stderr, Does.Contain("from 200 transitions"));
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Path.Combine(dir, "q.onnx"));
            Assert.That(session.ModelMetadata.CustomMetadataMap["mpq.task"], Is.EqualTo("pendulum"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void FromLog_NotALog_ClearError()
    {
        var (code, _, stderr) = Run("train", "--from-log", "/etc/hostname");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not a transition log"));
    }

    [Test]
    public void Train_BadPrior_ClearError()
    {
        var (code, _, stderr) = Run("train", "--prior", "mass=oops", "--episodes", "1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("is not NAME=BIAS:SIGMA"));
    }
}
