using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Mpq.Firmware.Bench;

/// <summary>
/// The firmware program (<c>firmware.dll</c>, copied beside this assembly) as its own process driving the virtual
/// pendulum on a given port: nothing the measuring side allocates or pauses for lands in the loop's process.
/// <see cref="Stop"/> ends it with SIGTERM and returns the statistics it prints with <c>--json</c>.
/// </summary>
public sealed class FirmwareProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _all = new();

    /// <param name="port">The pty the firmware opens.</param>
    /// <param name="paramsFile">Its parameters file (the limits a measurement runs under).</param>
    public FirmwareProcess(string port, string paramsFile)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "firmware.dll"), "--port", port, "--driver", "virtual:pendulum", "--params", paramsFile, "--duration", "3600", "--json"])
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start firmware.dll");
        _process.ErrorDataReceived += (_, e) => Append(e.Data, stdout: false);
        _process.OutputDataReceived += (_, e) => Append(e.Data, stdout: true);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (!Log.Contains("firmware: ", StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException("the firmware did not start:\n" + Log);
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Everything it printed so far.</summary>
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

    /// <summary>
    /// SIGTERM (it stops as on Ctrl-C), then the statistics it printed (one JSON object). Not SIGINT: a harness started in
    /// the background by a shell passes on an ignored SIGINT, and the firmware would never see it.
    /// </summary>
    /// <exception cref="InvalidOperationException">It did not exit within 10 s or printed no statistics.</exception>
    public JsonElement Stop()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        if (!_process.WaitForExit(10_000))
        {
            throw new InvalidOperationException("the firmware did not exit within 10 s of SIGTERM:\n" + Log);
        }
        _process.WaitForExit();
        string? line;
        lock (_all)
        {
            line = _stdout.ToString().Split('\n').LastOrDefault(l => l.StartsWith('{'));
        }
        return line is null
            ? throw new InvalidOperationException("the firmware printed no statistics:\n" + Log)
            : JsonDocument.Parse(line).RootElement.Clone();
    }

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
