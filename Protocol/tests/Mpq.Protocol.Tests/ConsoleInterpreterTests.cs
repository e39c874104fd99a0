using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class ConsoleInterpreterTests
{
    private sealed class Target : IConsoleTarget
    {
        public List<string> Calls { get; } = [];
        public string Status() => "state: disarmed";
        public string Arm() { Calls.Add("arm"); return "ok armed"; }
        public string Disarm() { Calls.Add("disarm"); return "ok disarmed"; }
        public string EStop() { Calls.Add("estop"); return "ok estop latched"; }
        public string ClearFaults(bool releaseEStop) { Calls.Add(releaseEStop ? "clear estop" : "clear"); return "ok cleared"; }
        public string SetStreaming(bool on) { Calls.Add($"stream {on}"); return on ? "ok streaming" : "ok quiet"; }
        public string Params(bool reset) { Calls.Add(reset ? "params reset" : "params"); return reset ? "ok defaults in force" : "parameters: saved"; }
        public void EnterBinary() => Calls.Add("binary");
        public string StreamCsv(int hz) { Calls.Add($"csv {hz}"); return $"ok csv {hz}"; }
    }

    private static ParameterTable Table() => new(
    [
        new ParameterDefinition("torque_limit", ParamKind.Real, 0, 5, 2, "N·m", "largest torque ever applied"),
        new ParameterDefinition("loop_rate", ParamKind.Integer, 50, 2000, 500, "Hz", "device loop rate"),
        new ParameterDefinition("stream", ParamKind.Boolean, 0, 1, 1, "", "stream State frames"),
        new ParameterDefinition("firmware_version", ParamKind.Integer, 0, 1000, 1, "", "build", ReadOnly: true),
    ]);

    private Target _target = null!;
    private ConsoleInterpreter _console = null!;
    private ParameterTable _table = null!;

    [SetUp]
    public void SetUp()
    {
        _target = new Target();
        _table = Table();
        _console = new ConsoleInterpreter(_table, _target);
    }

    [Test]
    public void Help_ListsEveryCommand()
    {
        var help = _console.Execute("help");
        foreach (var verb in new[] { "help", "status", "list", "get", "set", "arm", "disarm", "estop", "clear", "stream", "binary", "console" })
        {
            Assert.That(help, Does.Contain(verb));
        }
    }

    [Test]
    public void Set_InRange_ChangesValue()
    {
        Assert.That(_console.Execute("set torque_limit 0.5"), Is.EqualTo("ok torque_limit = 0.5 N·m"));
        Assert.That(_table.Get("torque_limit"), Is.EqualTo(0.5));
        Assert.That(_console.Execute("get torque_limit"), Is.EqualTo("torque_limit = 0.5 N·m"));
    }

    [TestCase("set torque_limit 9", "error: torque_limit must be between 0 and 5 (got 9)")]
    [TestCase("set torque_limit -1", "error: torque_limit must be between 0 and 5 (got -1)")]
    [TestCase("set torque_limit abc", "error: torque_limit expects a number, got 'abc'")]
    [TestCase("set torque_limit NaN", "error: torque_limit expects a number, got 'NaN'")]
    [TestCase("set loop_rate 100.5", "error: loop_rate expects a whole number, got '100.5'")]
    [TestCase("set stream maybe", "error: stream expects on or off, got 'maybe'")]
    [TestCase("set firmware_version 3", "error: firmware_version is read-only")]
    [TestCase("set bogus 1", "error: unknown parameter 'bogus' (type 'list')")]
    [TestCase("get bogus", "error: unknown parameter 'bogus' (type 'list')")]
    [TestCase("set torque_limit", "error: usage: set NAME VALUE")]
    [TestCase("frobnicate", "error: unknown command 'frobnicate' (type 'help')")]
    [TestCase("stream sideways", "error: usage: stream on|off|csv [HZ]")]
    public void BadInput_ClearErrorAndNoChange(string line, string reply)
    {
        Assert.That(_console.Execute(line), Is.EqualTo(reply));
        Assert.That(_table.Get("torque_limit"), Is.EqualTo(2));
        Assert.That(_target.Calls, Is.Empty);
    }

    [Test]
    public void Verbs_ActOnTheTarget()
    {
        Assert.That(_console.Execute("arm"), Is.EqualTo("ok armed"));
        Assert.That(_console.Execute("DISARM"), Is.EqualTo("ok disarmed"));
        Assert.That(_console.Execute("estop"), Is.EqualTo("ok estop latched"));
        Assert.That(_console.Execute("clear"), Is.EqualTo("ok cleared"));
        Assert.That(_console.Execute("stream off"), Is.EqualTo("ok quiet"));
        Assert.That(_target.Calls, Is.EqualTo(new[] { "arm", "disarm", "estop", "clear", "stream False" }));
    }

    [Test]
    public void Set_Boolean_AcceptsOnOff()
    {
        Assert.That(_console.Execute("set stream off"), Is.EqualTo("ok stream = off"));
        Assert.That(_table.Get("stream"), Is.Zero);
    }

    [Test]
    public void List_ShowsEveryParameterWithRange()
    {
        var list = _console.Execute("list");
        Assert.That(list.Split('\n'), Has.Length.EqualTo(4));
        Assert.That(list, Does.Contain("torque_limit").And.Contain("[0 .. 5]").And.Contain("read-only"));
    }

    [Test]
    public void EmptyLine_EmptyReply() => Assert.That(_console.Execute("   "), Is.Empty);

    [Test]
    public void ParameterTable_BinaryAndTextShareTheRules()
    {
        Assert.That(_table.TrySet("torque_limit", 7), Is.EqualTo(ParamStatus.OutOfRange));
        Assert.That(_table.TrySet("torque_limit", double.NaN), Is.EqualTo(ParamStatus.OutOfRange));
        Assert.That(_table.TrySet("nope", 1), Is.EqualTo(ParamStatus.UnknownName));
        Assert.That(_table.TrySet("firmware_version", 2), Is.EqualTo(ParamStatus.ReadOnly));
        var answer = new ParamValue();
        _table.Describe(0, ParamStatus.Ok, answer);
        Assert.That((answer.Name, answer.Value, answer.Min, answer.Max, answer.Count), Is.EqualTo(("torque_limit", 2.0, 0.0, 5.0, (ushort)4)));
    }

    [Test]
    public void ParameterTable_DefaultOutsideRange_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new ParameterTable([new ParameterDefinition("x", ParamKind.Real, 0, 1, 2, "", "")]));

    // Issue 29: 'stream on' was ~10 Hz text for people that no plotting tool could read.
    [TestCase("stream csv", "csv 10")]
    [TestCase("stream csv 50", "csv 50")]
    [TestCase("STREAM CSV 100", "csv 100")]
    public void StreamCsv_RateInRange_ReachesTheTarget(string line, string call)
    {
        Assert.That(_console.Execute(line), Does.StartWith("ok"));
        Assert.That(_target.Calls, Is.EqualTo(new[] { call }));
    }

    [TestCase("stream csv 0")]
    [TestCase("stream csv 101")]
    [TestCase("stream csv fast")]
    [TestCase("stream csv 1.5")]
    public void StreamCsv_BadRate_RefusedWithTheRange(string line)
    {
        Assert.That(_console.Execute(line), Does.StartWith("error: stream csv HZ: HZ must be a whole number from 1 to 100"));
        Assert.That(_target.Calls, Is.Empty);
    }

    [Test]
    public void Complete_Stream_OffersCsv() => Assert.That(_console.Complete("stream "), Does.Contain("csv"));
}
