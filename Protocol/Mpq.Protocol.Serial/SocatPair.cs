using System.Diagnostics;

namespace Mpq.Protocol.Serial;

/// <summary>
/// Two linked pseudo-terminals made by socat: bytes written to one end come out of the other through
/// the kernel tty layer, like a null-modem cable. For tests, benchmarks and running the Controller
/// against the virtual rig on one machine.
/// </summary>
public sealed class SocatPair : IDisposable
{
    private readonly Process _socat;
    private readonly string _dir;

    private SocatPair(Process socat, string dir, string a, string b)
    {
        _socat = socat;
        _dir = dir;
        PathA = a;
        PathB = b;
    }

    public string PathA { get; }
    public string PathB { get; }

    /// <summary>The socat process id (for tests that simulate a cable pull).</summary>
    public int ProcessId => _socat.Id;

    /// <summary>Starts socat and waits until both ends exist.</summary>
    /// <exception cref="InvalidOperationException">socat is missing or did not create the pair in time.</exception>
    public static SocatPair Create(TimeSpan? timeout = null)
    {
        var dir = Directory.CreateTempSubdirectory("mpq-pty-").FullName;
        var a = System.IO.Path.Combine(dir, "a");
        var b = System.IO.Path.Combine(dir, "b");
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
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        while (!(File.Exists(a) && File.Exists(b)))
        {
            if (socat.HasExited || clock.Elapsed > limit)
            {
                var error = socat.HasExited ? socat.StandardError.ReadToEnd() : "timed out";
                Kill(socat);
                Directory.Delete(dir, recursive: true);
                throw new InvalidOperationException($"socat did not create the pty pair: {error}");
            }
            Thread.Sleep(5);
        }
        return new SocatPair(socat, dir, a, b);
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
