using System.Text;

namespace Mpq.Common;

/// <summary>RFC 4180 fields: what the project's CSV files (results, log exports) write and read back.</summary>
public static class Csv
{
    /// <summary><paramref name="field"/> as a CSV field: quoted (inner quotes doubled) when it holds a comma, a quote,
    /// a line break or leading/trailing spaces, or is empty; else as is.</summary>
    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 && field.Length > 0 && field.Trim() == field ? field : $"\"{field.Replace("\"", "\"\"")}\"";

    /// <summary>The fields of one CSV line (no line breaks inside fields); a quote left open, or text after a closing
    /// quote, is a <see cref="FormatException"/>.</summary>
    public static List<string> Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new FormatException("a quoted field is not closed");
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                if (i < line.Length && line[i] != ',')
                {
                    throw new FormatException($"text after a closing quote at column {i + 1}");
                }
            }
            else
            {
                var end = line.IndexOf(',', i);
                end = end < 0 ? line.Length : end;
                field.Append(line, i, end - i);
                i = end;
            }
            fields.Add(field.ToString());
            if (i >= line.Length)
            {
                return fields;
            }
            i++; // the comma
        }
    }
}
