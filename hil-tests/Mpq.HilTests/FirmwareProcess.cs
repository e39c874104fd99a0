namespace Mpq.HilTests;

/// <summary>
/// The firmware as its own process driving the virtual pendulum rig (true parameters): on one end of a socat pty
/// pair of its own (the test talks to <see cref="ControllerPort"/>), or on a given port (a <see cref="FaultRelay"/>'s).
/// Disposing kills the process and removes the ptys, also when a test fails.
/// </summary>
internal sealed class FirmwareProcess : IDisposable
{
    private readonly Mpq.Protocol.Serial.SocatPair? _pair;
    private readonly DotnetProcess _process;

    public FirmwareProcess(double seconds = 60, string? port = null, params string[] extra)
    {
        if (port is null)
        {
            _pair = Mpq.Protocol.Serial.SocatPair.Create();
            port = _pair.PathA;
        }
        // The virtual pendulum unless the extra arguments name another driver (a rig folder: --driver virtual:PATH).
        string[] driver = extra.Contains("--driver") ? [] : ["--driver", "virtual:pendulum"];
        _process = new DotnetProcess("firmware.dll", ["--port", port, .. driver, "--duration", $"{seconds}", .. extra]);
        if (!_process.WaitForOutput("firmware: ", TimeSpan.FromSeconds(20)))
        {
            throw new InvalidOperationException("the firmware did not start:\n" + _process.Log);
        }
    }

    /// <summary>The pty the controller opens (only when the firmware made its own pair).</summary>
    public string ControllerPort => _pair?.PathB ?? throw new InvalidOperationException("the firmware was given a port: the controller opens the other end of that");

    /// <summary>What the firmware printed so far (for failure messages).</summary>
    public string Log => _process.Log;

    /// <summary>Standard output (the run's statistics once it has exited).</summary>
    public string Stdout => _process.Stdout;

    /// <summary>The statistics a firmware started with <c>--json</c> printed at exit.</summary>
    public System.Text.Json.JsonElement Summary()
    {
        var line = Stdout.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        Assert.That(line, Is.Not.Null, "the firmware printed no JSON statistics (started with --json? exited?):\n" + Log);
        return System.Text.Json.JsonDocument.Parse(line!).RootElement;
    }

    /// <summary>Sends SIGINT (Ctrl-C).</summary>
    public void Interrupt() => _process.Interrupt();

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the firmware's --duration to end.</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

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
    public static string TrainedQ() => Path.Combine(RepositoryRoot(), "Trainer", "results", "pendulum-mpq-h8-1nm", "q.onnx");

    public void Dispose()
    {
        try
        {
            _process.Dispose();
        }
        finally
        {
            _pair?.Dispose();
        }
    }
}
