using System.Runtime.InteropServices;

namespace Mpq.Common.Interop;

/// <summary>
/// Every libc call the project makes (Linux, glibc): the direct tty transport, real-time scheduling and the
/// absolute-deadline sleep. One place, so a declaration is never written twice with different signatures.
/// </summary>
/// <remarks>Public only so the other libraries of this repository can call it; application code has no use for it.</remarks>
public static unsafe partial class LibC
{
    private const string Lib = "libc";

    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EAGAIN = 11;
    public const int TCSANOW = 0;
    public const int TCIFLUSH = 0;
    public const int TCIOFLUSH = 2;

    // struct termios (glibc, Linux): c_iflag, c_oflag, c_cflag, c_lflag (u32), c_line (u8), c_cc[32], c_ispeed, c_ospeed.
    public const int TermiosSize = 60;
    public const int TermiosCflag = 8;
    public const int TermiosCc = 17;
    public const int VTIME = 5;
    public const int VMIN = 6;
    public const uint CREAD = 0x80;
    public const uint CLOCAL = 0x800;
    public const uint CRTSCTS = 0x80000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcgetattr(int fd, byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport(Lib)]
    public static partial void cfmakeraw(byte* termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int cfsetispeed(byte* termios, uint speed);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int cfsetospeed(byte* termios, uint speed);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcflush(int fd, int queueSelector);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int isatty(int fd);

    public const int SCHED_FIFO = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct SchedParam
    {
        public int Priority;
    }

    /// <summary>Sets the scheduling policy of a thread (pid 0: the calling thread); -1 and errno on failure.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sched_setscheduler(int pid, int policy, ref SchedParam param);

    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    /// <summary>An advisory lock on an open file: serial terminals (picocom, minicom) take LOCK_EX on the device they open.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int flock(int fd, int operation);

    public const int PRIO_PROCESS = 0;

    /// <summary>Sets a thread's nice value (Linux: PRIO_PROCESS with a thread id is per thread). Raising it needs no privilege.</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setpriority(int which, int who, int prio);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int gettid();

    public const int CLOCK_MONOTONIC = 1;
    public const int TIMER_ABSTIME = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>Sleeps until an absolute time; returns 0 or an error number (not errno).</summary>
    [LibraryImport(Lib)]
    public static partial int clock_nanosleep(int clock, int flags, ref TimeSpec request, nint remain);

    /// <summary>Linux termios speed constant for a baud rate, or 0 when the rate has none.</summary>
    public static uint SpeedConstant(int baud) => baud switch
    {
        9600 => 13,
        19200 => 14,
        38400 => 15,
        57600 => 4097,
        115200 => 4098,
        230400 => 4099,
        460800 => 4100,
        500000 => 4101,
        576000 => 4102,
        921600 => 4103,
        1000000 => 4104,
        1152000 => 4105,
        1500000 => 4106,
        2000000 => 4107,
        2500000 => 4108,
        3000000 => 4109,
        3500000 => 4110,
        4000000 => 4111,
        _ => 0,
    };

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
