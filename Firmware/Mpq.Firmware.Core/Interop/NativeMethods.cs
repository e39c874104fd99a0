using System.Runtime.InteropServices;

namespace Mpq.Firmware.Interop;

/// <summary>Every native call the firmware core makes (Linux libc).</summary>
internal static partial class NativeMethods
{
    public const int ClockMonotonic = 1;
    public const int TimerAbstime = 1;
    public const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>Sleeps until an absolute time; returns 0 or an error number (not errno).</summary>
    [LibraryImport("libc")]
    public static partial int clock_nanosleep(int clock, int flags, ref TimeSpec request, nint remain);
}
