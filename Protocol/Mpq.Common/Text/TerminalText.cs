using System.Globalization;
using System.Text;

namespace Mpq.Common.Text;

/// <summary>Text from a peer or a file made safe to print on a person's terminal.</summary>
/// <remarks>
/// A rig's Log and Fault text, a rig name or a file's field can carry escape sequences that clear the screen, move
/// the cursor, retitle the window or hide what follows. Every control character (C0, DEL, C1) and every bidirectional
/// override is shown as a visible <c>\xNN</c> / <c>\uNNNN</c> escape instead of being sent to the terminal.
/// </remarks>
public static class TerminalText
{
    /// <summary><paramref name="text"/> with every character a terminal would act on shown as an escape.</summary>
    public static string Printable(string text)
    {
        var i = 0;
        while (i < text.Length && IsPlain(text[i]))
        {
            i++;
        }
        if (i == text.Length)
        {
            return text; // the common case: nothing to escape, nothing allocated
        }
        var b = new StringBuilder(text.Length + 16);
        b.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (IsPlain(c))
            {
                b.Append(c);
            }
            else if (c <= 0xFF)
            {
                b.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            }
            else
            {
                b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }
        return b.ToString();
    }

    private static bool IsPlain(char c) => c switch
    {
        < ' ' or '\x7f' => false,
        >= '\x80' and <= '\x9f' => false,
        >= '\u202a' and <= '\u202e' => false, // bidirectional embeddings and overrides
        >= '\u2066' and <= '\u2069' => false, // bidirectional isolates
        _ => true,
    };
}
