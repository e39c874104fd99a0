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

    /// <summary>The names <c>--transport</c> takes in every program: <c>tty</c> (the default) and <c>serialport</c>.</summary>
    public static readonly string[] KindNames = ["tty", "serialport"];

    /// <summary>The <c>--transport</c> text as a kind.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="KindNames"/>.</exception>
    public static TransportKind ParseKind(string text) => text switch
    {
        "tty" => TransportKind.Tty,
        "serialport" => TransportKind.SerialPort,
        _ => throw new ArgumentException($"--transport must be tty or serialport (got '{text}')"),
    };

    /// <summary>What <c>--list-ports</c> prints in every program: <see cref="DescribePorts"/>, or a hint when there is none.</summary>
    public static void PrintPorts(TextWriter output, TextWriter error, bool all = false)
    {
        var lines = DescribePorts(all);
        if (lines.Count == 0)
        {
            error.WriteLine("no serial ports found (plug in the rig's USB serial adapter, or use one end of a socat pty pair)");
            return;
        }
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }
    }

    /// <summary>Serial ports the system knows (System.IO.Ports discovery).</summary>
    public static IReadOnlyList<string> ListPorts() => SerialPort.GetPortNames();

    /// <summary>
    /// One line per serial port for people choosing a <c>--port</c>: the device, its /dev/serial/by-id names (a USB
    /// adapter's maker and serial number) and its latency timer when it has one. Legacy /dev/ttyS ports without a
    /// by-id name are left out unless <paramref name="all"/>.
    /// </summary>
    public static IReadOnlyList<string> DescribePorts(bool all = false)
    {
        var byId = new Dictionary<string, List<string>>();
        const string ids = "/dev/serial/by-id";
        if (Directory.Exists(ids))
        {
            foreach (var link in Directory.GetFileSystemEntries(ids))
            {
                var target = ResolveDevice(link);
                if (!byId.TryGetValue(target, out var names))
                {
                    byId[target] = names = [];
                }
                names.Add(link);
            }
        }
        // System.IO.Ports leaves out ttyS ports its sysfs check takes for empty (a PC's /dev/ttyS0 among them) and never
        // lists a Raspberry Pi's UART (/dev/ttyAMA0): --all lists every such node in /dev.
        var legacy = all && Directory.Exists("/dev")
            ? new[] { "ttyS*", "ttyAMA*", "ttyUSB*", "ttyACM*" }.SelectMany(p => Directory.GetFiles("/dev", p))
            : [];
        var lines = new List<string>();
        foreach (var port in ListPorts().Concat(byId.Keys).Concat(legacy).Distinct().Order(PortOrder.Instance))
        {
            var named = byId.TryGetValue(port, out var names);
            if (!all && !named && Path.GetFileName(port).StartsWith("ttyS", StringComparison.Ordinal))
            {
                continue;
            }
            var timer = $"/sys/bus/usb-serial/devices/{Path.GetFileName(port)}/latency_timer";
            string? latency = null;
            try
            {
                latency = File.Exists(timer) ? File.ReadAllText(timer).Trim() : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            lines.Add(port + (named ? $"  {string.Join(", ", names!)}" : "") + (latency is null ? "" : $"  latency timer {latency} ms"));
        }
        return lines;
    }

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

    /// <summary>Ports in the order a person counts them: /dev/ttyS2 before /dev/ttyS10.</summary>
    private sealed class PortOrder : IComparer<string>
    {
        public static readonly PortOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var (xStem, xNumber) = Split(x ?? "");
            var (yStem, yNumber) = Split(y ?? "");
            var byStem = string.CompareOrdinal(xStem, yStem);
            return byStem != 0 ? byStem : xNumber.CompareTo(yNumber);
        }

        private static (string Stem, long Number) Split(string port)
        {
            var end = port.Length;
            while (end > 0 && char.IsAsciiDigit(port[end - 1]))
            {
                end--;
            }
            return end == port.Length || port.Length - end > 9 ? (port, -1) : (port[..end], long.Parse(port[end..], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
