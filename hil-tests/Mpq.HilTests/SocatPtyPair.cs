using System.Diagnostics;

namespace Mpq.HilTests;

/// <summary>
/// A pair of linked pseudo-terminals made by socat: bytes written to one end come out of the other
/// through the kernel tty layer, as over a null-modem cable.
/// </summary>
public sealed class SocatPtyPair : IDisposable
{
    private readonly Process _socat;
    private readonly string _dir;

    private SocatPtyPair(Process socat, string dir, string a, string b)
    {
        _socat = socat;
        _dir = dir;
        PathA = a;
        PathB = b;
    }

    public string PathA { get; }
    public string PathB { get; }

    /// <summary>Starts socat and waits until both ends exist.</summary>
    /// <exception cref="InvalidOperationException">socat is missing or did not create the pair in time.</exception>
    public static SocatPtyPair Create(TimeSpan? timeout = null)
    {
        var dir = Directory.CreateTempSubdirectory("mpq-pty-").FullName;
        var a = Path.Combine(dir, "a");
        var b = Path.Combine(dir, "b");
        Process socat;
        try
        {
            socat = Process.Start(new ProcessStartInfo("socat", $"pty,raw,echo=0,link={a} pty,raw,echo=0,link={b}")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(dir, recursive: true);
            throw new InvalidOperationException("socat is not installed: run 'apt-get install socat' (./test.sh does it)", e);
        }
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        while (!(File.Exists(a) && File.Exists(b)))
        {
            if (socat.HasExited || deadline.Elapsed > limit)
            {
                var error = socat.HasExited ? socat.StandardError.ReadToEnd() : "timed out";
                Kill(socat);
                Directory.Delete(dir, recursive: true);
                throw new InvalidOperationException($"socat did not create the pty pair: {error}");
            }
            Thread.Sleep(5);
        }
        return new SocatPtyPair(socat, dir, a, b);
    }

    public void Dispose()
    {
        Kill(_socat);
        _socat.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static void Kill(Process p)
    {
        try
        {
            if (!p.HasExited)
            {
                p.Kill();
                p.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
