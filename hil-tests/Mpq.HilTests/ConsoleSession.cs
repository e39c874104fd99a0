using System.Diagnostics;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>
/// A person at picocom on the other end of a console pty: raw keys out, everything shown collected. It holds the line
/// as picocom does (raw mode, the exclusive lock) and lets go of it when disposed, as quitting picocom does (a
/// FileStream's blocked read kept the descriptor, and its lock, open until the next byte came).
/// </summary>
internal sealed class ConsoleSession : IDisposable
{
    private readonly TtyTransport _person;
    private readonly System.Text.StringBuilder _seen = new();

    public ConsoleSession(string path)
    {
        _person = TtyTransport.Open(path);
        _person.Start(data =>
        {
            lock (_seen)
            {
                _seen.Append(System.Text.Encoding.ASCII.GetString(data));
            }
        });
    }

    public string Seen
    {
        get
        {
            lock (_seen)
            {
                return _seen.ToString();
            }
        }
    }

    public void Keys(string keys)
    {
        _person.Write(System.Text.Encoding.ASCII.GetBytes(keys));
    }

    /// <summary>Waits until <paramref name="marker"/> was shown; returns how long that took.</summary>
    public TimeSpan WaitFor(string marker, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Seen.Contains(marker, StringComparison.Ordinal) && clock.Elapsed < timeout)
        {
            Thread.Sleep(10);
        }
        return clock.Elapsed;
    }

    public void Dispose() => _person.Dispose();
}
