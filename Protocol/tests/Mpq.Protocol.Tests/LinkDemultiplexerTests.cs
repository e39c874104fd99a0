using System.Text;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class LinkDemultiplexerTests
{
    private sealed class Recorder : ILinkHandler
    {
        public List<string> Lines { get; } = [];
        public List<MessageType> Messages { get; } = [];
        public List<PortMode> Modes { get; } = [];
        public void OnMessage(Message message, ushort sequence) => Messages.Add(message.Type);
        public void OnTextLine(string line) => Lines.Add(line);
        public void OnModeChanged(PortMode mode, string reason) => Modes.Add(mode);
        public List<(byte Type, DropReason Reason)> Malformed { get; } = [];
        public void OnMalformedFrame(byte type, DropReason reason) => Malformed.Add((type, reason));
    }

    private static byte[] Wire(Message m, ushort seq = 1)
    {
        var wire = new byte[Frame.MaxWireFrame];
        return wire[..FrameWriter.Encode(m, seq, wire, new byte[Frame.MaxRawFrame])];
    }

    private static byte[] Text(string s) => Encoding.ASCII.GetBytes(s);

    [Test]
    public void ConsoleMode_TextLinesAreDelivered_WithCrLfAsOneEnd()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Text("help\r\nset torque_limit 0.5\rlist\n"), r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "help", "set torque_limit 0.5", "list" }));
    }

    [Test]
    public void ConsoleMode_BackspaceEditsTheLine()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed([.. Text("stat"), 0x7F, 0x7F, .. Text("atus\r")], r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "status" }));
    }

    [Test]
    public void ConsoleMode_FramesOtherThanHello_AreIgnoredAndCounted_NoTextAnswer()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        var command = new Command { Actuators = 1 };
        command.Torque[0] = 1;
        for (var i = 0; i < 50; i++)
        {
            demux.Feed(Wire(command, (ushort)i), r);
            demux.Feed(Wire(new Arm(), (ushort)i), r);
        }
        Assert.That(r.Messages, Is.Empty, "binary must not act in console mode");
        Assert.That(r.Lines, Is.Empty, "binary bytes must never reach the text handler as a line");
        Assert.That(demux.IgnoredFrames, Is.EqualTo(100));
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Console));
    }

    [Test]
    public void ConsoleMode_Hello_SwitchesToBinaryAndIsDelivered()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Wire(new Hello { Name = "c" }), r);
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Binary));
        Assert.That(r.Modes, Is.EqualTo(new[] { PortMode.Binary }));
        Assert.That(r.Messages, Is.EqualTo(new[] { MessageType.Hello }));
    }

    [Test]
    public void BinaryMode_TextLinesAreIgnoredAndCounted_ExceptTheEscape()
    {
        var demux = new LinkDemultiplexer(PortMode.Binary);
        var r = new Recorder();
        demux.Feed(Text("arm\r\nset torque_limit 9\r\n"), r);
        Assert.That(r.Lines, Is.Empty, "typed text must not act in binary mode");
        Assert.That(demux.IgnoredLines, Is.EqualTo(2));
        demux.Feed(Text("  CONSOLE \r\n"), r);
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Console));
        Assert.That(r.Modes, Is.EqualTo(new[] { PortMode.Console }));
        demux.Feed(Text("status\n"), r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "status" }));
    }

    [Test]
    public void BinaryMode_FramesAreDelivered_TextBetweenFramesDoesNotDisturbThem()
    {
        var demux = new LinkDemultiplexer(PortMode.Binary);
        var r = new Recorder();
        demux.Feed([.. Wire(new Heartbeat(), 1), .. Text("hello there\r\n"), .. Wire(new Disarm(), 2)], r);
        Assert.That(r.Messages, Is.EqualTo(new[] { MessageType.Heartbeat, MessageType.Disarm }));
        Assert.That(r.Lines, Is.Empty);
    }

    [Test]
    public void BinaryMode_RandomFrameTraffic_NeverLeavesBinaryMode()
    {
        // Payload bytes may contain CR, LF and printable runs; only the exact escape line may switch modes.
        var demux = new LinkDemultiplexer(PortMode.Binary);
        var r = new Recorder();
        var rng = new Random(11);
        var state = new State { Joints = 4, Actuators = 4 };
        for (var i = 0; i < 20000; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                state.Position[j] = (float)(rng.NextDouble() * 200 - 100);
                state.Velocity[j] = BitConverter.Int32BitsToSingle(0x0A0D0A0D + rng.Next(256));
            }
            demux.Feed(Wire(state, (ushort)i), r);
        }
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Binary));
        Assert.That(r.Messages, Has.Count.EqualTo(20000));
    }

    [Test]
    public void SwitchTo_Console_OnLinkLoss_Notifies()
    {
        var demux = new LinkDemultiplexer(PortMode.Binary);
        var r = new Recorder();
        demux.SwitchTo(PortMode.Console, "link lost", r);
        demux.SwitchTo(PortMode.Console, "again", r);
        Assert.That(r.Modes, Is.EqualTo(new[] { PortMode.Console }));
    }

    // Issue 13, case 2: text inside a frame is never a console line, in either mode.
    [Test]
    public void ConsoleMode_LogFrameWhosTextIsACommand_IsNotALine()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Wire(new Log { Level = LogLevel.Info, Text = "\rset torque_limit 0.42\r" }), r);
        demux.Feed(Text("status\r"), r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "status" }), "the frame's payload never reaches the console; typing after it still does");
        Assert.That(demux.IgnoredFrames, Is.EqualTo(1));
    }

    [Test]
    public void BinaryMode_LogFrameWhoseTextIsTheEscape_StaysBinary()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Wire(new Hello { Name = "c" }), r);
        demux.Feed(Wire(new Log { Level = LogLevel.Info, Text = "\rconsole\r" }), r);
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Binary));
        Assert.That(r.Messages, Is.EqualTo(new[] { MessageType.Hello, MessageType.Log }));
        demux.Feed(Text("console\r"), r);
        Assert.That(demux.Mode, Is.EqualTo(PortMode.Console), "typed outside frames, the escape still works");
    }

    [Test]
    public void ConsoleMode_CorruptFrameWithACommandInside_IsNotALine()
    {
        // Damaged on the line (bad CRC), it is still a frame candidate: no byte of it is text.
        var wire = Wire(new Log { Level = LogLevel.Info, Text = "\rarm\r" });
        wire[^2] ^= 0x40;
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(wire, r);
        Assert.That(r.Lines, Is.Empty);
    }

    [Test]
    public void ConsoleMode_StrayZeroThenTyping_LineStillWorks()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed([0x00, .. Text("status\r")], r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "status" }), "typed text after a stray 0x00 is not a frame candidate");
    }

    [Test]
    public void ConsoleMode_LoneCrAtStart_AnsweredAtOnce()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Text("\r"), r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "" }), "Enter is answered without waiting for another byte");
        demux.Feed(Text("h"), r);
        demux.Feed(Text("e"), r);
        demux.Feed(Text("lp"), r);
        demux.Feed(Text("\r"), r);
        Assert.That(r.Lines, Is.EqualTo(new[] { "", "help" }), "one byte at a time, as a terminal sends");
    }

    [Test]
    public void BinaryMode_IntactButMalformedRequest_ReportedToTheHandler()
    {
        var demux = new LinkDemultiplexer();
        var r = new Recorder();
        demux.Feed(Wire(new Hello { Name = "c" }), r);
        // A ParamGet whose name length byte says 200: intact CRC, unreadable payload.
        var raw = new byte[Frame.HeaderSize + 32 + Frame.CrcSize];
        raw[0] = Frame.ProtocolVersion;
        raw[1] = (byte)MessageType.ParamGet;
        raw[4] = 32;
        raw[Frame.HeaderSize] = 200;
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Finish(raw, 7, wire);
        demux.Feed(wire.AsSpan(0, n), r);
        Assert.That(r.Malformed, Is.EqualTo(new[] { ((byte)MessageType.ParamGet, DropReason.BadPayload) }));
    }
}
