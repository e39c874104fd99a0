using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Link;

/// <summary>
/// Splits the bytes of one serial port into binary frames and console text lines, and applies the
/// port's mode rule (Protocol/README.md, "One port, two users").
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Frames are <c>0x00 COBS 0x00</c>; text never contains 0x00. Every byte goes to the frame
/// decoder; the line scanner sees only bytes outside frame candidates. A <em>frame candidate</em> is
/// the run of bytes after a 0x00 (or the start of the stream) whose second byte is a protocol
/// version (0x01–0x07: the byte every frame has there, since COBS keeps raw byte 0, the version,
/// as wire byte 1); it lasts until the next 0x00, or until it is longer than any frame can be
/// (<see cref="Frame.MaxWireFrame"/>). So no byte of anything the decoder could accept ever reaches
/// the text handler, whatever its payload says (a Log frame whose text is "\rset torque_limit 0\r"
/// is a frame, not a line).</item>
/// <item>Outside candidates, a line is text only if every byte since the last 0x00, CR or LF is
/// printable ASCII or tab; a line interrupted by a 0x00 is dropped.</item>
/// <item>Console mode (the start state): lines go to <see cref="ILinkHandler.OnTextLine"/>; a valid
/// Hello frame switches to binary mode and is delivered; any other frame is ignored and counted.</item>
/// <item>Binary mode: frames go to <see cref="ILinkHandler.OnMessage"/>; the text line
/// <c>console</c> switches back to console mode; any other line is ignored and counted.</item>
/// <item>The owner switches to console mode when the link is lost (<see cref="SwitchTo"/>), and to
/// binary mode after the console's <c>binary</c> command.</item>
/// </list>
/// So in each mode exactly one handler answers, and a person can always get the prompt back.
/// </remarks>
public sealed class LinkDemultiplexer
{
    /// <summary>The text line that returns a port in binary mode to the console.</summary>
    public const string EscapeLine = "console";

    private readonly byte[] _line = new byte[256];
    private int _lineLength;
    private bool _lineIsText = true;
    private bool _lastWasCr;
    private int _sinceDelimiter;
    private bool _inCandidate;
    private byte _held;
    private bool _holding;

    public LinkDemultiplexer(PortMode initial = PortMode.Console, FrameDecoder? decoder = null)
    {
        Mode = initial;
        Decoder = decoder ?? new FrameDecoder();
        Decoder.RejectedIntact = (type, reason, _) =>
        {
            if (Mode == PortMode.Binary)
            {
                _handler?.OnMalformedFrame(type, reason);
            }
        };
    }

    private ILinkHandler? _handler;
    private readonly System.Text.StringBuilder _echo = new();

    /// <summary>
    /// Line editing for console mode (echo, backspace, history, tab completion: <see cref="Console.LineEditor"/>), or
    /// null for the plain line scanner. The mode rule is the same either way: only bytes outside frame candidates
    /// reach it, and a line with a byte no keyboard sends (other control bytes, bytes above 0x7F) is dropped whole.
    /// </summary>
    public Console.LineEditor? Editor { get; init; }

    /// <summary>The current mode; safe to read from any thread (changed by <see cref="Feed"/> and <see cref="SwitchTo"/>, which the owner serialises).</summary>
    public PortMode Mode
    {
        get => (PortMode)Volatile.Read(ref _mode);
        private set => Volatile.Write(ref _mode, (int)value);
    }

    private int _mode;
    public FrameDecoder Decoder { get; }

    /// <summary>Frames other than Hello that arrived in console mode.</summary>
    public long IgnoredFrames { get; private set; }

    /// <summary>Non-empty text lines other than the escape that arrived in binary mode.</summary>
    public long IgnoredLines { get; private set; }

    /// <summary>Routes received bytes.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, ILinkHandler handler)
    {
        _handler = handler;
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            Classify(b, handler);
            var one = bytes.Slice(i, 1);
            if (Decoder.TryDecode(ref one, out var message))
            {
                Route(message, handler);
            }
        }
    }

    /// <summary>Changes mode (e.g. to console when the link is lost) and tells the handler.</summary>
    public void SwitchTo(PortMode mode, string reason, ILinkHandler handler)
    {
        if (Mode == mode)
        {
            return;
        }
        Mode = mode;
        if (mode == PortMode.Binary)
        {
            Decoder.ResetSequence();
        }
        handler.OnModeChanged(mode, reason);
    }

    private void Route(Message message, ILinkHandler handler)
    {
        if (Mode == PortMode.Console)
        {
            if (message.Type != MessageType.Hello)
            {
                IgnoredFrames++;
                return;
            }
            Mode = PortMode.Binary;
            handler.OnModeChanged(PortMode.Binary, "Hello received");
        }
        handler.OnMessage(message, Decoder.LastSequence);
    }

    /// <summary>Feeds the line scanner every byte that is not part of a frame candidate.</summary>
    private void Classify(byte b, ILinkHandler handler)
    {
        if (b == Frame.Delimiter)
        {
            if (_holding)
            {
                ScanText(_held, handler); // a lone byte between delimiters: never a frame
                _holding = false;
            }
            _sinceDelimiter = 0;
            _inCandidate = false;
            ScanText(b, handler);
            return;
        }
        _sinceDelimiter = Math.Min(_sinceDelimiter + 1, int.MaxValue - 1);
        switch (_sinceDelimiter)
        {
            case 1 when b is not ((byte)'\r' or (byte)'\n'):
                // A frame's COBS code byte, or text: the next byte decides. (A line end is scanned at once, so Enter
                // is answered at once: it can only end an empty line here, as the delimiter reset the line.)
                _held = b;
                _holding = true;
                return;
            case 2:
                _inCandidate = b is >= 0x01 and <= 0x07;
                if (_holding && !_inCandidate)
                {
                    ScanText(_held, handler);
                }
                _holding = false;
                break;
        }
        if (_inCandidate && _sinceDelimiter > Frame.MaxWireFrame)
        {
            _inCandidate = false; // longer than any frame: garbage, and the line it sits in is no line either
            _lineIsText = false;
        }
        if (!_inCandidate)
        {
            ScanText(b, handler);
        }
    }

    private void ScanText(byte b, ILinkHandler handler)
    {
        if (Editor is { } editor && Mode == PortMode.Console)
        {
            EditText(editor, b, handler);
            return;
        }
        var wasCr = _lastWasCr;
        _lastWasCr = b == (byte)'\r';
        switch (b)
        {
            case Frame.Delimiter:
                ResetLine();
                return;
            case (byte)'\n' when wasCr:
                return; // CR LF is one line end
            case (byte)'\r' or (byte)'\n':
                CompleteLine(handler);
                return;
            case 0x08 or 0x7F:
                if (_lineLength > 0)
                {
                    _lineLength--;
                }
                return;
        }
        if (b is < 0x20 and not (byte)'\t' or > 0x7E)
        {
            _lineIsText = false;
        }
        if (_lineLength < _line.Length)
        {
            _line[_lineLength++] = b;
        }
        else
        {
            _lineIsText = false; // longer than any command: not a person's line
        }
    }

    private void EditText(Console.LineEditor editor, byte b, ILinkHandler handler)
    {
        if (b == Frame.Delimiter)
        {
            editor.Reset();
            ResetLine();
            return;
        }
        // Keys a terminal sends: printable ASCII, tab, CR, LF, backspace, DEL, Ctrl-C/L/U and escape sequences.
        if (b > 0x7F || (b < 0x20 && b is not ((byte)'\t' or (byte)'\r' or (byte)'\n' or 0x08 or 0x03 or 0x0C or 0x15 or 0x1B)))
        {
            _lineIsText = false;
        }
        var line = editor.Feed(b, _echo);
        if (_echo.Length > 0)
        {
            if (_lineIsText || line is not null)
            {
                handler.OnEcho(_echo.ToString());
            }
            _echo.Clear();
        }
        if (line is not null)
        {
            var text = _lineIsText;
            ResetLine();
            if (text)
            {
                handler.OnTextLine(line.Trim(' ', '\t'));
            }
        }
    }

    private void CompleteLine(ILinkHandler handler)
    {
        var text = _lineIsText;
        var line = _line.AsSpan(0, _lineLength).Trim((byte)' ').Trim((byte)'\t');
        var isEscape = text && line.Length == EscapeLine.Length && System.Text.Ascii.EqualsIgnoreCase(line, EscapeLine);
        var length = _lineLength;
        ResetLine();
        if (!text)
        {
            return;
        }
        if (Mode == PortMode.Binary)
        {
            if (isEscape)
            {
                SwitchTo(PortMode.Console, "'console' typed", handler);
            }
            else if (length > 0)
            {
                IgnoredLines++;
            }
            return;
        }
        handler.OnTextLine(System.Text.Encoding.ASCII.GetString(line));
    }

    private void ResetLine()
    {
        _lineLength = 0;
        _lineIsText = true;
    }
}
