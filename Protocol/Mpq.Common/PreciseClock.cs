using System.Diagnostics;
using Mpq.Common.Interop;

namespace Mpq.Common;

/// <summary>Sleeping until an absolute monotonic deadline without burning a core, then spinning the last stretch.</summary>
/// <remarks>
/// On Linux <see cref="Stopwatch"/> reads CLOCK_MONOTONIC in nanoseconds, so the deadline is handed to
/// <c>clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)</c>, which wakes within tens of microseconds on an
/// ordinary kernel; the final <see cref="SpinMicroseconds"/> are spun. Elsewhere it falls back to
/// <see cref="Thread.Sleep(int)"/> plus spinning.
/// </remarks>
public static class PreciseClock
{
    /// <summary>Microseconds before the deadline at which sleeping stops and spinning starts.</summary>
    public static double SpinMicroseconds { get; set; } = 100;

    private static readonly bool UseNanosleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    /// <summary>Seconds on the monotonic clock.</summary>
    public static double Seconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>Returns at or just after <paramref name="deadline"/> (a Stopwatch timestamp).</summary>
    public static void SleepUntil(long deadline)
    {
        var spinTicks = (long)(SpinMicroseconds * Stopwatch.Frequency / 1e6);
        var wake = deadline - spinTicks;
        if (Stopwatch.GetTimestamp() < wake)
        {
            if (UseNanosleep)
            {
                var ts = new LibC.TimeSpec { Seconds = wake / 1_000_000_000, Nanoseconds = wake % 1_000_000_000 };
                while (LibC.clock_nanosleep(LibC.CLOCK_MONOTONIC, LibC.TIMER_ABSTIME, ref ts, 0) == LibC.EINTR)
                {
                    // EINTR: sleep again toward the same absolute time
                }
            }
            else
            {
                while (Stopwatch.GetTimestamp() < wake - Stopwatch.Frequency / 1000)
                {
                    Thread.Sleep(1);
                }
            }
        }
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(10);
        }
    }
}
