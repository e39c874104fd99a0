using System.Diagnostics;
using System.Globalization;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;

namespace Mpq.Firmware.Device;

/// <summary>
/// Telemetry for a person or a tool at the console, one stream at a time: text lines at 10 Hz (the saved parameter
/// <c>text_stream</c>) or CSV lines at 1–100 Hz for this session (<c>stream csv</c>). Written by the link's housekeeping
/// thread, in console mode only.
/// </summary>
internal sealed class ConsoleTelemetry(ParameterTable parameters, int textStreamIndex, Action<string> write)
{
    private int _csvPeriodMs; // 0: off
    private int _csvHeaderOwed;
    private long _lastText = Stopwatch.GetTimestamp();
    private long _lastCsv = Stopwatch.GetTimestamp();

    /// <summary>The device whose readings are streamed (null until the loop is attached: nothing to stream).</summary>
    public IDeviceView? Device { get; set; }

    /// <summary><c>stream on|off</c>: text telemetry (a saved parameter); either way a CSV stream ends.</summary>
    public string SetText(bool on)
    {
        // One stream at a time: 'stream on' ends a CSV stream as 'stream csv' ends the text one.
        Volatile.Write(ref _csvPeriodMs, 0);
        return parameters.TrySet(FirmwareParameters.TextStream, on ? 1 : 0) == Mpq.Protocol.Messages.ParamStatus.Ok
            ? (on ? "ok text telemetry on (10 Hz)" : "ok telemetry off")
            : "error: could not change text_stream";
    }

    /// <summary><c>stream csv HZ</c>: a header line, then a line per period, for this session.</summary>
    public string SetCsv(int hz)
    {
        if (Device is null)
        {
            return "error: no device loop: nothing to stream";
        }
        // One stream at a time: CSV lines interleaved with text lines would be readable by neither.
        parameters.TrySet(FirmwareParameters.TextStream, 0);
        Volatile.Write(ref _csvHeaderOwed, 1);
        Volatile.Write(ref _csvPeriodMs, 1000 / hz);
        return string.Create(CultureInfo.InvariantCulture, $"ok CSV telemetry at {hz} Hz for this session: a header line, then a line per {1000.0 / hz:G3} ms; 'stream off' stops it");
    }

    /// <summary>Called every 10 ms by housekeeping: writes what is due (only when <paramref name="console"/>: the port is a person's).</summary>
    public void Tick(bool console)
    {
        var csvPeriod = Volatile.Read(ref _csvPeriodMs);
        if (csvPeriod > 0 && console && Device is { } device && Stopwatch.GetElapsedTime(_lastCsv).TotalMilliseconds >= csvPeriod - 0.5)
        {
            // Keep the schedule (a line per period on average), but never a burst after a stall.
            _lastCsv = Stopwatch.GetElapsedTime(_lastCsv).TotalMilliseconds > 2 * csvPeriod ? Stopwatch.GetTimestamp() : _lastCsv + (long)(csvPeriod * Stopwatch.Frequency / 1000.0);
            var header = Interlocked.Exchange(ref _csvHeaderOwed, 0) != 0 ? "\r\n" + device.CsvHeader() + "\r\n" : ""; // off the prompt's line
            write($"{header}{device.CsvRow()}\r\n");
        }
        if (Stopwatch.GetElapsedTime(_lastText).TotalMilliseconds >= 100)
        {
            _lastText = Stopwatch.GetTimestamp();
            if (console && parameters[textStreamIndex] != 0 && Device is { } d)
            {
                write($"{d.DescribeJoints()}\r\n");
            }
        }
    }
}
