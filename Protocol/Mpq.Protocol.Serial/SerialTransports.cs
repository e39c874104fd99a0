using System.IO.Ports;
using Mpq.Common.Interop;

namespace Mpq.Protocol.Serial;

/// <summary>Which transport to use for a rig link.</summary>
public enum TransportKind
{
    /// <summary>Direct tty reads and writes on a dedicated thread (Linux; the default).</summary>
    Tty,

    /// <summary>System.IO.Ports' stream (portable fallback).</summary>
    SerialPort,
}

/// <summary>Opening, discovering and tuning serial devices.</summary>
public static class SerialTransports
{
    /// <summary>Opens a transport of the given kind.</summary>
    public static ISerialTransport Open(string path, int baud = 115200, TransportKind kind = TransportKind.Tty) => kind switch
    {
        TransportKind.Tty => TtyTransport.Open(path, baud),
        _ => SerialPortTransport.Open(path, baud),
    };

    /// <summary>Serial ports the system knows (System.IO.Ports discovery).</summary>
    public static IReadOnlyList<string> ListPorts() => SerialPort.GetPortNames();

    /// <summary>Follows symbolic links (socat's pty links, /dev/serial/by-id names) to the device node.</summary>
    public static string ResolveDevice(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? path : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }

    /// <summary>
    /// Sets the latency timer of an FTDI-style USB serial adapter (16 ms by default, which caps a control
    /// loop near 60 Hz) through sysfs. Needs write permission (root or a udev rule).
    /// </summary>
    /// <returns>A line saying what happened, for the log; never throws.</returns>
    public static string TrySetLatencyTimer(string path, int milliseconds = 1)
    {
        try
        {
            var resolved = ResolveDevice(path);
            var device = Path.GetFileName(resolved);
            var timer = $"/sys/bus/usb-serial/devices/{device}/latency_timer";
            if (!File.Exists(timer))
            {
                var named = resolved == path ? path : $"{path} ({resolved})";
                return $"{named}: not a USB serial adapter with a latency timer; nothing to tune";
            }
            var current = File.ReadAllText(timer).Trim();
            if (current == milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return $"{device}: latency timer already {current} ms";
            }
            File.WriteAllText(timer, milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return $"{device}: latency timer {current} ms -> {milliseconds} ms";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"could not set the USB latency timer of '{path}' ({e.Message}); see Protocol/README.md, 'USB serial adapters'";
        }
    }

    /// <summary>
    /// Discards what a terminal received but nobody read yet (bytes typed, or left in a pty, before a console was ready),
    /// so that nothing typed before start-up runs as a command. Not a terminal (a pipe, a file): nothing to do, false.
    /// </summary>
    public static bool DiscardPendingInput(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux() || handle.IsInvalid)
        {
            return false;
        }
        var fd = (int)handle.DangerousGetHandle();
        return LibC.isatty(fd) == 1 && LibC.tcflush(fd, LibC.TCIFLUSH) == 0;
    }

    /// <summary>As <see cref="DiscardPendingInput(Microsoft.Win32.SafeHandles.SafeFileHandle)"/> for standard input.</summary>
    public static bool DiscardPendingStandardInput() =>
        OperatingSystem.IsLinux() && LibC.isatty(0) == 1 && LibC.tcflush(0, LibC.TCIFLUSH) == 0;
}
