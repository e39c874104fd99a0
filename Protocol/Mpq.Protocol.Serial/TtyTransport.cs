using System.Runtime.InteropServices;
using Mpq.Common;
using Mpq.Common.Interop;

namespace Mpq.Protocol.Serial;

/// <summary>
/// Low-latency transport: opens the tty with <c>open(2)</c>, sets raw mode through termios, reads with
/// <c>poll(2)</c> + <c>read(2)</c> on a dedicated thread and writes with <c>write(2)</c>.
/// </summary>
/// <remarks>
/// System.IO.Ports' stream on Linux reads through a polling loop that adds 1–2 ms per read; this
/// transport hands bytes over as soon as the kernel has them. Linux only.
/// </remarks>
public sealed unsafe class TtyTransport : ReaderThreadTransport
{
    private readonly Lock _writeLock = new();
    private readonly byte[] _readBuffer = GC.AllocateArray<byte>(4096, pinned: true);
    private int _fd;

    private TtyTransport(string path, int fd) : base(path) => _fd = fd;

    public override string Kind => "tty";

    /// <summary>Longest a <see cref="Write"/> may take before it gives up with <see cref="WriteTimeoutException"/> (default 100 ms).</summary>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Opens and configures a tty: raw 8N1, no flow control, the given baud (ignored by pseudo-terminals).</summary>
    /// <exception cref="IOException">The device cannot be opened or is not a tty; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The baud rate has no termios constant.</exception>
    public static TtyTransport Open(string path, int baud = 115200)
    {
        var speed = LibC.SpeedConstant(baud);
        if (speed == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(baud), baud, "unsupported baud rate (use a standard rate such as 115200, 460800, 921600 or 1000000)");
        }
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the direct tty transport is Linux-only; use the SerialPort transport");
        }
        var fd = LibC.open(path, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"cannot open serial device '{path}': {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }
        try
        {
            if (LibC.isatty(fd) != 1)
            {
                throw new IOException($"'{path}' is not a serial device (tty)");
            }
            // One program per line: the lock picocom and minicom take too. Two readers of one tty each get some of its
            // bytes, and a terminal on a rig's line shows binary frames (and sends keystrokes into them).
            if (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) != 0)
            {
                var error = Marshal.GetLastPInvokeError();
                throw new IOException(error == LibC.EAGAIN
                    ? $"serial device '{path}' is in use by {Holders(path, Environment.ProcessId)}: close that first"
                    : $"cannot lock serial device '{path}': {LibC.Describe(error)}");
            }
            var termios = stackalloc byte[256];
            new Span<byte>(termios, 256).Clear();
            Check(LibC.tcgetattr(fd, termios), path, "tcgetattr");
            LibC.cfmakeraw(termios);
            ref var cflag = ref *(uint*)(termios + LibC.TermiosCflag);
            cflag |= LibC.CREAD | LibC.CLOCAL;
            cflag &= ~LibC.CRTSCTS;
            termios[LibC.TermiosCc + LibC.VMIN] = 0;
            termios[LibC.TermiosCc + LibC.VTIME] = 0;
            Check(LibC.cfsetispeed(termios, speed), path, "cfsetispeed");
            Check(LibC.cfsetospeed(termios, speed), path, "cfsetospeed");
            Check(LibC.tcsetattr(fd, LibC.TCSANOW, termios), path, "tcsetattr");
            LibC.tcflush(fd, LibC.TCIOFLUSH);
            return new TtyTransport(path, fd);
        }
        catch
        {
            LibC.close(fd);
            throw;
        }
    }

    /// <exception cref="WriteTimeoutException">The kernel took no more bytes within <see cref="WriteTimeout"/>.</exception>
    public override void Write(ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            if (_fd < 0 || HasFailed)
            {
                throw new IOException($"serial link '{Path}' is closed");
            }
            var deadline = Environment.TickCount64 + (long)WriteTimeout.TotalMilliseconds;
            fixed (byte* p = data)
            {
                var offset = 0;
                while (offset < data.Length)
                {
                    var n = LibC.write(_fd, p + offset, data.Length - offset);
                    if (n > 0)
                    {
                        offset += (int)n;
                        continue;
                    }
                    var errno = Marshal.GetLastPInvokeError();
                    if (n < 0 && (errno == LibC.EAGAIN || errno == LibC.EINTR))
                    {
                        // The kernel's buffer is full: the peer is not reading. Wait for room, but never past the deadline.
                        var left = deadline - Environment.TickCount64;
                        if (left <= 0)
                        {
                            CountSent(offset);
                            throw new WriteTimeoutException($"write to '{Path}' timed out after {WriteTimeout.TotalMilliseconds:F0} ms with {offset} of {data.Length} bytes written: the peer is not reading");
                        }
                        var pfd = new LibC.PollFd { Fd = _fd, Events = LibC.POLLOUT };
                        LibC.poll(&pfd, 1, (int)Math.Min(left, 100));
                        continue;
                    }
                    throw new IOException($"write to '{Path}' failed: {LibC.Describe(errno)}");
                }
            }
            CountSent(data.Length);
        }
    }

    protected override void ReadLoop(BytesReceived onReceive)
    {
        fixed (byte* buffer = _readBuffer)
        {
            var pfd = new LibC.PollFd { Fd = _fd, Events = LibC.POLLIN };
            while (!Stopping)
            {
                pfd.Revents = 0;
                var ready = LibC.poll(&pfd, 1, 50);
                if (ready < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }
                    Fail($"poll failed: {LibC.Describe(errno)}");
                    return;
                }
                if (ready == 0)
                {
                    continue;
                }
                if ((pfd.Revents & LibC.POLLNVAL) != 0)
                {
                    if (!Stopping)
                    {
                        Fail("device closed");
                    }
                    return;
                }
                var n = LibC.read(_fd, buffer, _readBuffer.Length);
                if (n > 0)
                {
                    Deliver(onReceive, new ReadOnlySpan<byte>(buffer, (int)n));
                    continue;
                }
                var readErrno = Marshal.GetLastPInvokeError();
                if (n < 0 && (readErrno == LibC.EAGAIN || readErrno == LibC.EINTR))
                {
                    continue;
                }
                if (n == 0 || (pfd.Revents & (LibC.POLLHUP | LibC.POLLERR)) != 0 || readErrno == LibC.EIO)
                {
                    // A pseudo-terminal whose other end closed, or an unplugged USB adapter.
                    Fail(n == 0 ? "end of file (peer hung up)" : $"read failed: {LibC.Describe(readErrno)} (device gone or peer hung up)");
                    return;
                }
                Fail($"read failed: {LibC.Describe(readErrno)}");
                return;
            }
        }
    }

    protected override void Close(bool beforeJoin)
    {
        if (beforeJoin)
        {
            return; // the reader's poll times out within 50 ms
        }
        lock (_writeLock)
        {
            if (_fd >= 0)
            {
                LibC.close(_fd);
                _fd = -1;
            }
        }
    }

    private static void Check(int result, string path, string call)
    {
        if (result != 0)
        {
            throw new IOException($"cannot configure serial device '{path}': {call}: {LibC.Describe(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>
    /// Who else has <paramref name="path"/> open, for the refusal: "picocom (pid 4242)", read from /proc (the processes
    /// this user may see); "another program (a terminal such as picocom, another controller or firmware)" when none can be seen.
    /// </summary>
    internal static string Holders(string path, int self)
    {
        var names = new List<string>();
        try
        {
            var device = SerialTransports.ResolveDevice(path);
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid) || pid == self)
                {
                    continue;
                }
                try
                {
                    var targets = Directory.EnumerateFileSystemEntries(System.IO.Path.Combine(dir, "fd")).Select(fd => new FileInfo(fd).LinkTarget).ToList();
                    // A pseudo-terminal's maker (socat: the "cable" of a virtual rig) holds both ends and the master:
                    // it is not a user of this end.
                    if (targets.Contains(device) && !(device.StartsWith("/dev/pts/", StringComparison.Ordinal) && targets.Contains("/dev/ptmx")))
                    {
                        names.Add($"{File.ReadAllText(System.IO.Path.Combine(dir, "comm")).Trim()} (pid {pid})");
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A process that ended, or one of another user's: not ours to see.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return names.Count > 0
            ? string.Join(", ", names.Take(3))
            : "another program (a terminal such as picocom, another controller or firmware)";
    }
}
