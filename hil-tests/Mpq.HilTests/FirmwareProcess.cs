using System.Diagnostics;
using System.Text;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>
/// The firmware as its own process driving the virtual pendulum rig (true parameters) on one end of a socat pty
/// pair; the test talks to <see cref="ControllerPort"/>. Disposing kills the process and removes the ptys, also
/// when a test fails.
/// </summary>
internal sealed class FirmwareProcess : IDisposable
{
    private readonly SocatPair _pair;
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public FirmwareProcess(double seconds = 60)
    {
        _pair = SocatPair.Create();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "firmware.dll"), "--port", _pair.PathA, "--driver", "virtual:pendulum", "--duration", $"{seconds}" })
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.OutputDataReceived += (_, e) => { lock (_log) { _log.AppendLine(e.Data); } };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        Thread.Sleep(1500); // the firmware process starting up
    }

    /// <summary>The pty the controller opens.</summary>
    public string ControllerPort => _pair.PathB;

    /// <summary>What the firmware printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The repository's root (where Mpq.slnx is).</summary>
    public static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root!.FullName, "Mpq.slnx")))
        {
            root = root.Parent;
        }
        return root.FullName;
    }

    /// <summary>The checked-in pendulum Q (MPQ, H = 8).</summary>
    public static string TrainedQ() => Path.Combine(RepositoryRoot(), "Trainer", "results", "pendulum-mpq-h8", "q.onnx");

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            _pair.Dispose();
        }
    }
}
