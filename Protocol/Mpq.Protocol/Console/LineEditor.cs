using System.Text;

namespace Mpq.Protocol.Console;

/// <summary>
/// The line editing a person at picocom or screen expects, byte by byte: local echo, backspace, Ctrl-U (erase the
/// line), Ctrl-L (redraw), Ctrl-C (abandon the line), history on the up and down arrows, tab completion; a CR, an LF
/// or a CR LF ends the line at once.
/// </summary>
/// <remarks>
/// Pure logic: bytes in, echo text and finished lines out, no I/O and no clock, so a console thread drives it and
/// tests feed it what picocom sends. Other escape sequences (left/right arrows, function keys) are consumed and
/// ignored, never inserted into the line. Only printable ASCII enters a line, up to <see cref="MaxLength"/>.
/// </remarks>
public sealed class LineEditor
{
    private const byte Esc = 0x1b;
    private readonly StringBuilder _line = new();
    private readonly List<string> _history = [];
    private readonly Func<string, IReadOnlyList<string>>? _complete;
    private int _historyIndex;
    private string _draft = "";
    private bool _afterCr;
    private int _escape; // 0: none, 1: after ESC, 2: inside CSI or SS3 (ESC [ … or ESC O …)

    /// <param name="prompt">What the console prints before a line (redrawn after Ctrl-L, Ctrl-C and a completion list).</param>
    /// <param name="complete">
    /// The words that may follow the line typed so far, for tab: given the text before the word being typed, the
    /// candidates for that word (null: no completion).
    /// </param>
    /// <param name="echo">Whether typed characters are echoed (a raw pty: yes; a terminal in cooked mode echoes itself).</param>
    public LineEditor(string prompt, Func<string, IReadOnlyList<string>>? complete = null, bool echo = true)
    {
        Prompt = prompt;
        _complete = complete;
        Echo = echo;
    }

    public string Prompt { get; }

    public bool Echo { get; }

    /// <summary>Longest line accepted; further characters are refused (a bell).</summary>
    public int MaxLength { get; init; } = 200;

    /// <summary>Lines kept for the up arrow.</summary>
    public int HistorySize { get; init; } = 50;

    /// <summary>The line typed so far.</summary>
    public string Current => _line.ToString();

    /// <summary>Forgets the line being typed without a word (a frame delimiter arrived: whatever came before was no line).</summary>
    public void Reset()
    {
        _line.Clear();
        _escape = 0;
        _afterCr = false;
        _historyIndex = _history.Count;
    }

    /// <summary>Feeds one byte; appends what to write back to <paramref name="output"/>.</summary>
    /// <returns>The finished line (without its end), or null while it is being typed.</returns>
    public string? Feed(byte b, StringBuilder output)
    {
        var afterCr = _afterCr;
        _afterCr = false;
        if (_escape != 0)
        {
            Escape(b, output);
            return null;
        }
        switch (b)
        {
            case (byte)'\r':
                _afterCr = true;
                return Finish(output);
            case (byte)'\n':
                return afterCr ? null : Finish(output); // CR LF is one line end
            case 0x08 or 0x7f:
                if (_line.Length > 0)
                {
                    _line.Length--;
                    Write(output, "\b \b");
                }
                return null;
            case 0x15: // Ctrl-U
                Replace("", output);
                return null;
            case 0x0c: // Ctrl-L
                output.Append("\x1b[2J\x1b[H").Append(Prompt).Append(Echo ? Current : "");
                return null;
            case 0x03: // Ctrl-C
                _line.Clear();
                _historyIndex = _history.Count;
                output.Append("^C\r\n").Append(Prompt);
                return null;
            case (byte)'\t':
                Complete(output);
                return null;
            case Esc:
                _escape = 1;
                return null;
        }
        if (b is >= 0x20 and < 0x7f)
        {
            if (_line.Length >= MaxLength)
            {
                output.Append('\a');
                return null;
            }
            _line.Append((char)b);
            Write(output, ((char)b).ToString());
        }
        return null; // any other control byte is ignored
    }

    /// <summary>Feeds every byte of <paramref name="bytes"/>; returns the lines finished on the way.</summary>
    public List<string> FeedAll(ReadOnlySpan<byte> bytes, StringBuilder output)
    {
        var lines = new List<string>();
        foreach (var b in bytes)
        {
            if (Feed(b, output) is { } line)
            {
                lines.Add(line);
            }
        }
        return lines;
    }

    private string Finish(StringBuilder output)
    {
        var line = _line.ToString();
        _line.Clear();
        if (Echo)
        {
            output.Append("\r\n");
        }
        if (line.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != line))
        {
            _history.Add(line);
            if (_history.Count > HistorySize)
            {
                _history.RemoveAt(0);
            }
        }
        _historyIndex = _history.Count;
        _draft = "";
        return line;
    }

    private void Escape(byte b, StringBuilder output)
    {
        if (_escape == 1)
        {
            _escape = b is (byte)'[' or (byte)'O' ? 2 : 0;
            return;
        }
        if (b is >= 0x40 and <= 0x7e)
        {
            _escape = 0;
            if (b == (byte)'A')
            {
                History(-1, output);
            }
            else if (b == (byte)'B')
            {
                History(+1, output);
            }
        }
        // parameter bytes (digits, ';') stay inside the sequence
    }

    private void History(int direction, StringBuilder output)
    {
        var next = _historyIndex + direction;
        if (next < 0 || next > _history.Count)
        {
            return;
        }
        if (_historyIndex == _history.Count)
        {
            _draft = Current;
        }
        _historyIndex = next;
        Replace(next == _history.Count ? _draft : _history[next], output);
    }

    private void Complete(StringBuilder output)
    {
        if (_complete is null)
        {
            return;
        }
        var text = Current;
        var start = text.LastIndexOf(' ') + 1;
        var word = text[start..];
        var candidates = _complete(text[..start]).Where(c => c.StartsWith(word, StringComparison.OrdinalIgnoreCase)).Distinct().ToArray();
        if (candidates.Length == 0)
        {
            output.Append('\a');
            return;
        }
        var common = candidates[0];
        foreach (var c in candidates)
        {
            var n = 0;
            while (n < common.Length && n < c.Length && char.ToLowerInvariant(common[n]) == char.ToLowerInvariant(c[n]))
            {
                n++;
            }
            common = common[..n];
        }
        var completed = text[..start] + common + (candidates.Length == 1 ? " " : "");
        if (candidates.Length > 1 && common.Length == word.Length)
        {
            // Nothing more to add: show the choices, then the line again.
            output.Append("\r\n").Append(string.Join("  ", candidates)).Append("\r\n").Append(Prompt).Append(Echo ? text : "");
            return;
        }
        Replace(completed.Length > MaxLength ? text : completed, output);
    }

    /// <summary>Replaces the line with <paramref name="text"/>, redrawing it in place.</summary>
    private void Replace(string text, StringBuilder output)
    {
        _line.Clear().Append(text);
        if (Echo)
        {
            output.Append("\r\x1b[K").Append(Prompt).Append(text);
        }
    }

    private void Write(StringBuilder output, string text)
    {
        if (Echo)
        {
            output.Append(text);
        }
    }
}
