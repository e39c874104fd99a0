using System.Diagnostics;
using System.Text;

namespace Mpq.HilTests;

/// <summary>
/// One of the project's programs (<c>firmware.dll</c>, <c>controller.dll</c>, <c>trainer.dll</c>, run from its own
/// project's build output, as a user runs it) as its own process, with everything it prints kept for failure messages. Disposing kills it and its
/// children, also when a test fails.
/// </summary>
internal sealed class DotnetProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _all = new();

    public DotnetProcess(string program, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add(ProgramPath(program));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        _process.ErrorDataReceived += (_, e) => Append(e.Data, stdout: false);
        _process.OutputDataReceived += (_, e) => Append(e.Data, stdout: true);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    /// <summary>
    /// Where <paramref name="program"/>'s build lies: its own project's output folder (same configuration and target
    /// as these tests), not the copy beside the tests. This folder merges all three programs' dependencies and runs
    /// under the trainer's ASP.NET Core framework, which hides packages the controller ships on its own (its gRPC
    /// client's Microsoft.Extensions.Logging.Abstractions is left out here and the controller could not load it).
    /// </summary>
    public static string ProgramPath(string program)
    {
        var project = program switch
        {
            "firmware.dll" => Path.Combine("Firmware", "Mpq.Firmware"),
            "controller.dll" => Path.Combine("Controller", "Mpq.Controller"),
            "trainer.dll" => Path.Combine("Trainer", "Mpq.Trainer"),
            _ => throw new ArgumentException($"not one of the project's programs: {program}", nameof(program)),
        };
        var root = FirmwareProcess.RepositoryRoot();
        var tail = Path.GetRelativePath(Path.Combine(root, "hil-tests", "Mpq.HilTests"), AppContext.BaseDirectory);
        var path = Path.Combine(root, project, tail, program);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{program} is not built (dotnet build Mpq.slnx)", path);
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Its standard input (the controller's console when started with <c>--console -</c>).</summary>
    public StreamWriter Input => _process.StandardInput;

    /// <summary>Standard output so far.</summary>
    public string Stdout
    {
        get
        {
            lock (_all)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything printed so far, both streams interleaved.</summary>
    public string Log
    {
        get
        {
            lock (_all)
            {
                return _all.ToString();
            }
        }
    }

    /// <summary>Waits for the process to exit and its output to be read; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit(); // drains the asynchronous output readers
        return true;
    }

    /// <summary>Waits until <paramref name="text"/> appears in the output; false on timeout or exit.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Log.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            if (_process.HasExited)
            {
                Thread.Sleep(100);
                return Log.Contains(text, StringComparison.Ordinal);
            }
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>SIGINT, as Ctrl-C in a terminal sends.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL, as a crash or the OOM killer would: no handler runs, nothing is flushed or sent.</summary>
    public void KillHard() => _process.Kill(entireProcessTree: false);

    private void Append(string? line, bool stdout)
    {
        if (line is null)
        {
            return;
        }
        lock (_all)
        {
            _all.AppendLine(line);
            if (stdout)
            {
                _stdout.AppendLine(line);
            }
        }
    }

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
        }
    }
}
