using System.Runtime;
using System.Runtime.ExceptionServices;

namespace Mpq.Common;

/// <summary>Runs a loop that must keep time on a thread of its own, as the Firmware's device loop does.</summary>
public static class DedicatedThread
{
    /// <summary>
    /// Runs <paramref name="body"/> on a new thread named <paramref name="name"/> with
    /// <see cref="GCLatencyMode.SustainedLowLatency"/> (restored after) and, for a priority above 0, SCHED_FIFO
    /// (<see cref="RealtimeScheduling"/>); waits for it and returns its result or rethrows its exception.
    /// </summary>
    /// <param name="name">The thread's name (seen in top -H, gdb, the scheduling line).</param>
    /// <param name="realtimePriority">SCHED_FIFO priority, 1-99; 0 for normal scheduling.</param>
    /// <param name="log">Receives the scheduling line (granted or not, and why).</param>
    /// <param name="body">The loop.</param>
    public static T Run<T>(string name, int realtimePriority, Action<string>? log, Func<T> body)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            var oldMode = GCSettings.LatencyMode;
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
            try
            {
                if (realtimePriority > 0)
                {
                    log?.Invoke(RealtimeScheduling.TryElevateCurrentThread(realtimePriority));
                }
                result = body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                GCSettings.LatencyMode = oldMode;
            }
        })
        { Name = name, IsBackground = true };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
