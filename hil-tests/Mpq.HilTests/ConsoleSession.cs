using System.Diagnostics;

namespace Mpq.HilTests;

/// <summary>A person at picocom on the other end of a console pty: raw keys out, everything shown collected.</summary>
internal sealed class ConsoleSession : IDisposable
{
    private readonly FileStream _person;
    private readonly System.Text.StringBuilder _seen = new();

    public ConsoleSession(string path)
    {
        _person = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        new Thread(() =>
        {
            var buffer = new byte[256];
            try
            {
                int n;
                while ((n = _person.Read(buffer)) > 0)
                {
                    lock (_seen)
                    {
                        _seen.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        })
        { IsBackground = true }.Start();
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
        _person.Flush();
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
