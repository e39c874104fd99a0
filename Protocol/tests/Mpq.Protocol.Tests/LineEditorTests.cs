using System.Text;
using Mpq.Protocol.Console;

namespace Mpq.Protocol.Tests;

/// <summary>Line editing as picocom drives it: a lone CR on Enter, no local echo, raw escape sequences for the arrows.</summary>
[TestFixture]
public class LineEditorTests
{
    private static readonly string[] Commands = ["help", "status", "set", "get", "stream", "estop"];
    private static readonly string[] Parameters = ["torque_limit", "torque_scale", "watchdog_ms"];

    private static LineEditor Editor(bool echo = true) => new("mpq> ", before => before.Trim() switch
    {
        "" => Commands,
        "get" or "set" => Parameters,
        _ => [],
    }, echo);

    private static (List<string> Lines, string Echo) Type(LineEditor editor, string keys)
    {
        var output = new StringBuilder();
        var lines = editor.FeedAll(Encoding.ASCII.GetBytes(keys), output);
        return (lines, output.ToString());
    }

    [TestCase("estop\r", "estop")]
    [TestCase("estop\n", "estop")]
    [TestCase("estop\r\n", "estop")]
    public void Feed_AnyLineEnd_FinishesTheLineAtOnce(string keys, string expected)
    {
        var (lines, echo) = Type(Editor(), keys);
        Assert.That(lines, Is.EqualTo(new[] { expected }), "the line is finished on the line end itself, not when a later byte arrives");
        Assert.That(echo, Is.EqualTo("estop\r\n"), "picocom shows only what is echoed");
    }

    [Test]
    public void Feed_CrThenCr_TwoLinesButCrLfIsOne()
    {
        Assert.That(Type(Editor(), "a\r\rb\r\nc\n\n").Lines, Is.EqualTo(new[] { "a", "", "b", "c", "" }));
    }

    [Test]
    public void Feed_BackspaceAndDelete_EraseTheLastCharacter()
    {
        var (lines, echo) = Type(Editor(), "statuxx\x7f\bs\r");
        Assert.That(lines, Is.EqualTo(new[] { "status" }));
        Assert.That(echo, Does.Contain("\b \b"));
    }

    [Test]
    public void Feed_BackspaceOnEmptyLine_EchoesNothing() => Assert.That(Type(Editor(), "\x7f\x7f").Echo, Is.Empty);

    [Test]
    public void Feed_CtrlU_ErasesTheLine() => Assert.That(Type(Editor(), "set torque\x15status\r").Lines, Is.EqualTo(new[] { "status" }));

    [Test]
    public void Feed_CtrlC_AbandonsTheLineAndShowsAFreshPrompt()
    {
        var (lines, echo) = Type(Editor(), "set torque_limit 5\x03status\r");
        Assert.That(lines, Is.EqualTo(new[] { "status" }));
        Assert.That(echo, Does.Contain("^C\r\nmpq> "));
    }

    [Test]
    public void Feed_CtrlL_ClearsTheScreenAndRedrawsTheLine()
    {
        var (lines, echo) = Type(Editor(), "sta\x0c");
        Assert.That(lines, Is.Empty);
        Assert.That(echo, Does.EndWith("\x1b[2J\x1b[Hmpq> sta"));
    }

    [TestCase("ge\x1b[Dt\r")] // left arrow
    [TestCase("ge\x1b[Ct\r")] // right arrow
    [TestCase("ge\x1bOHt\r")] // Home in application mode
    [TestCase("ge\x1b[3~t\r")] // Delete key
    [TestCase("ge\x01\x02t\r")] // other control bytes
    public void Feed_OtherKeys_IgnoredNeverInserted(string keys) => Assert.That(Type(Editor(), keys).Lines, Is.EqualTo(new[] { "get" }));

    [Test]
    public void Feed_UpAndDown_WalkTheHistoryAndComeBackToTheDraft()
    {
        var editor = Editor();
        Type(editor, "status\rget watchdog_ms\r");
        var (lines, echo) = Type(editor, "li\x1b[A\x1b[A\x1b[A\r");
        Assert.That(lines, Is.EqualTo(new[] { "status" }), "up twice: the older line; a third up stays there");
        Assert.That(echo, Does.Contain("\r\x1b[Kmpq> get watchdog_ms"), "the line is redrawn in place");
        Assert.That(Type(editor, "li\x1b[A\x1b[B\r").Lines, Is.EqualTo(new[] { "li" }), "down past the newest returns the draft");
    }

    [Test]
    public void Feed_Tab_UniqueCandidateCompletesWithASpace()
    {
        Assert.That(Type(Editor(), "sta\t\r").Lines, Is.EqualTo(new[] { "status " }));
        Assert.That(Type(Editor(), "get wat\t\r").Lines, Is.EqualTo(new[] { "get watchdog_ms " }));
    }

    [Test]
    public void Feed_Tab_SeveralCandidates_ExtendsToTheCommonPrefixThenLists()
    {
        var editor = Editor();
        var (_, first) = Type(editor, "get t\t");
        Assert.That(editor.Current, Is.EqualTo("get torque_"), "extended to what every candidate shares");
        var (_, second) = Type(editor, "\t");
        Assert.That(second, Does.Contain("torque_limit  torque_scale").And.EndWith("mpq> get torque_"));
        Assert.That(first, Does.Not.Contain("torque_limit"));
    }

    [Test]
    public void Feed_Tab_NoCandidate_Bell()
    {
        var editor = Editor();
        Assert.That(Type(editor, "xyz\t").Echo, Does.EndWith("\a"));
        Assert.That(editor.Current, Is.EqualTo("xyz"));
    }

    [Test]
    public void Feed_NoEcho_LinesWithoutOutput()
    {
        var (lines, echo) = Type(Editor(echo: false), "stax\x7ftus\r");
        Assert.That(lines, Is.EqualTo(new[] { "status" }));
        Assert.That(echo, Is.Empty, "a cooked terminal echoes by itself");
    }

    [Test]
    public void Feed_TooLong_RefusedWithABell()
    {
        var editor = new LineEditor("> ") { MaxLength = 4 };
        var (lines, echo) = Type(editor, "abcdef\r");
        Assert.That(lines, Is.EqualTo(new[] { "abcd" }));
        Assert.That(echo, Is.EqualTo("abcd\a\a\r\n"));
    }
}
