using Mpq.Common.Cli;

namespace Mpq.Protocol.Tests;

/// <summary>The one error policy of the three programs: usage errors 2, runtime failures 1, one stderr line each.</summary>
[TestFixture]
public class CliErrorsTests
{
    private sealed class ModelException(string message) : Exception(message);

    private static (int Code, string Stderr) Capture(Func<int> body, params Type[] badInput) =>
        WithStderr(() => CliErrors.Run(body, badInput));

    /// <summary>Runs <paramref name="call"/> with stderr captured: its code and what it wrote there.</summary>
    private static (int Code, string Stderr) WithStderr(Func<int> call)
    {
        var saved = System.Console.Error;
        using var writer = new StringWriter();
        System.Console.SetError(writer);
        try
        {
            return (call(), writer.ToString());
        }
        finally
        {
            System.Console.SetError(saved);
        }
    }

    private static readonly object[] Cases =
    [
        new object[] { new ArgumentException("--rate must be positive"), ExitCodes.Usage },
        new object[] { new ArgumentOutOfRangeException("baud", "unsupported baud rate"), ExitCodes.Usage },
        new object[] { new FormatException("not a number"), ExitCodes.Usage },
        new object[] { new FileNotFoundException("q.onnx does not exist"), ExitCodes.Usage },
        new object[] { new IOException("cannot open serial device '/dev/x'"), ExitCodes.Usage },
        new object[] { new InvalidDataException("damaged checkpoint"), ExitCodes.Usage },
        new object[] { new System.Text.Json.JsonException("bad json"), ExitCodes.Usage },
        new object[] { new DllNotFoundException("libmujoco.so.2.2.2"), ExitCodes.Failure },
        new object[] { new PlatformNotSupportedException("Linux only"), ExitCodes.Failure },
        new object[] { new NullReferenceException("a bug"), ExitCodes.Failure },
        new object[] { new InvalidOperationException("not named by this program"), ExitCodes.Failure },
    ];

    [TestCaseSource(nameof(Cases))]
    public void Run_Exception_OneLineAndItsExitCode(Exception thrown, int expected)
    {
        var (code, stderr) = Capture(() => throw thrown);
        Assert.That(code, Is.EqualTo(expected));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line, no stack trace");
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(thrown.Message.Split('\n')[0].Split(" (Parameter")[0]));
    }

    // Issue 15, case 7: "(Parameter 'name')" leaked into the unknown-task error.
    [Test]
    public void Run_ArgumentExceptionWithAParameterName_NoCSharpNameInTheLine()
    {
        var (code, stderr) = Capture(() => throw new ArgumentException("unknown task 'cartpole'; known tasks: pendulum", "name"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.Trim(), Is.EqualTo("error: unknown task 'cartpole'; known tasks: pendulum"));
        var (_, range) = Capture(() => throw new ArgumentOutOfRangeException("baud", 7, "unsupported baud rate"));
        Assert.That(range.Trim(), Is.EqualTo("error: unsupported baud rate"));
    }

    [Test]
    public void Run_Unexpected_NamesTheExceptionType()
    {
        var (_, stderr) = Capture(() => throw new NullReferenceException("oops"));
        Assert.That(stderr, Does.Contain("unexpected NullReferenceException"));
    }

    [Test]
    public void Run_ProgramsOwnBadInput_IsAUsageError()
    {
        var (code, stderr) = Capture(() => throw new ModelException("XML Error: bad model\nline 2"), typeof(ModelException));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.Trim(), Is.EqualTo("error: XML Error: bad model"));
    }

    [TestCase(0)]
    [TestCase(3)]
    public void Run_BodysOwnCode_IsReturned(int code) => Assert.That(Capture(() => code).Code, Is.EqualTo(code));

    [Test]
    public void ParseErrors_EveryMessageAndAHint_ExitTwo()
    {
        var (code, stderr) = WithStderr(() => CliErrors.ParseErrors(["Unrecognized command or argument '--x'.", "Option '--port' is required."], "firmware"));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.TrimEnd().Split('\n'), Is.EqualTo(new[] { "error: Unrecognized command or argument '--x'.", "error: Option '--port' is required.", "(see 'firmware --help')" }));
    }

    // System.CommandLine's own text named .NET types ("as expected type 'System.Nullable`1[System.Int32]'") for any
    // value that did not parse, e.g. 'controller sim -N abc'.
    [TestCase("Cannot parse argument 'abc' for option '--samples' as expected type 'System.Nullable`1[System.Int32]'.", "--samples: 'abc' is not a whole number")]
    [TestCase("Cannot parse argument '1.5' for option '--threads' as expected type 'System.Int32'.", "--threads: '1.5' is not a whole number")]
    [TestCase("Cannot parse argument 'x' for option '--lambda' as expected type 'System.Nullable`1[System.Double]'.", "--lambda: 'x' is not a number")]
    [TestCase("Cannot parse argument '-1' for option '--seed' as expected type 'System.UInt64'.", "--seed: '-1' is not a whole number ≥ 0")]
    [TestCase("Cannot parse argument 'maybe' for option '--json' as expected type 'System.Boolean'.", "--json: 'maybe' is not true or false")]
    [TestCase("Option '--port' is required.", "Option '--port' is required.")]
    public void ParseErrors_TypeNames_SaidInWords(string message, string expected)
    {
        var (_, stderr) = WithStderr(() => CliErrors.ParseErrors([message], "controller"));
        Assert.That(stderr.Split('\n')[0].TrimEnd(), Is.EqualTo($"error: {expected}"));
    }

    // Issue 29: 'controller rnu' printed "Required command was not provided." and "Unrecognized command or argument
    // 'rnu'." and nothing else; 'log inspct' the same.
    [TestCase("rnu", "run")]
    [TestCase("inspct", "inspect")]
    [TestCase("--torque-limt", "--torque-limit")]
    [TestCase("--init", "--initial")]
    public void ParseErrors_UnknownWord_SaysDidYouMean(string typed, string meant)
    {
        var (code, stderr) = WithStderr(() => CliErrors.ParseErrors(
            ["Required command was not provided.", $"Unrecognized command or argument '{typed}'."], "controller",
            ["sim", "bench", "run", "log", "inspect", "export", "ports", "--torque-limit", "--initial", "--help"]));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(stderr.TrimEnd().Split('\n'), Is.EqualTo(new[]
        {
            $"error: Unrecognized command or argument '{typed}' (did you mean '{meant}'?)",
            "(see 'controller --help')",
        }), "the missing command is the unknown word: one line, not two");
    }

    [Test]
    public void ParseErrors_NothingClose_NoGuess()
    {
        var (_, stderr) = WithStderr(() => CliErrors.ParseErrors(["Unrecognized command or argument 'xyzzy'."], "controller", ["sim", "run", "log"]));
        Assert.That(stderr.Split('\n')[0].TrimEnd(), Is.EqualTo("error: Unrecognized command or argument 'xyzzy'."));
    }

    // '--model-bias maybe' printed "Must be one of:" and cut the list that followed on the next lines.
    [Test]
    public void ParseErrors_OneOf_KeepsTheList()
    {
        var (_, stderr) = WithStderr(() => CliErrors.ParseErrors(["Argument 'maybe' not recognized. Must be one of:\n\t'none'\n\t'means'\n\t'biased'"], "controller"));
        Assert.That(stderr.Split('\n')[0].TrimEnd(), Is.EqualTo("error: Argument 'maybe' not recognized. Must be one of: 'none', 'means', 'biased'"));
    }
}
