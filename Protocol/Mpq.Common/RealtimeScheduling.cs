using System.Runtime.InteropServices;
using Mpq.Common.Interop;

namespace Mpq.Common;

/// <summary>Real-time scheduling for the threads that must not wait behind others (device loop, link reader, planner).</summary>
public static class RealtimeScheduling
{
    /// <summary>
    /// Asks for SCHED_FIFO at <paramref name="priority"/> (1-99) for the calling thread (Linux). Returns a line
    /// for the log; never throws. Needs root or CAP_SYS_NICE, or run the process under <c>chrt -f</c>.
    /// </summary>
    /// <remarks>Linux's RT throttling (sched_rt_runtime_us) still leaves other threads 5 % of each second.</remarks>
    public static string TryElevateCurrentThread(int priority)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "real-time scheduling: not on Linux, running at normal priority";
        }
        var param = new LibC.SchedParam { Priority = Math.Clamp(priority, 1, 99) };
        if (LibC.sched_setscheduler(0, LibC.SCHED_FIFO, ref param) == 0)
        {
            return $"real-time scheduling: thread '{Thread.CurrentThread.Name}' at SCHED_FIFO {param.Priority}";
        }
        var errno = Marshal.GetLastPInvokeError();
        return $"real-time scheduling not granted ({LibC.Describe(errno)}): '{Thread.CurrentThread.Name}' runs at normal priority; on a rig run as root, with CAP_SYS_NICE, or under 'chrt -f 80'";
    }

    /// <summary>
    /// Gives the calling thread the nice value <paramref name="nice"/> (1-19; Linux), so the scheduler prefers every
    /// normal thread to it: background work (a learner) beside a control loop that may not have SCHED_FIFO. Needs no
    /// privilege. Returns a line for the log; never throws.
    /// </summary>
    public static string TryLowerCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "background scheduling: not on Linux, running at normal priority";
        }
        var value = Math.Clamp(nice, 1, 19);
        if (LibC.setpriority(LibC.PRIO_PROCESS, LibC.gettid(), value) == 0)
        {
            return $"background scheduling: thread '{Thread.CurrentThread.Name}' at nice {value}";
        }
        var errno = Marshal.GetLastPInvokeError();
        return $"background scheduling not granted ({LibC.Describe(errno)}): '{Thread.CurrentThread.Name}' runs at normal priority";
    }
}
