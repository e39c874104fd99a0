using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Mpq.Common;

namespace Mpq.Planning.Parallel;

/// <summary>
/// A fixed set of threads that run one <see cref="IParallelWork"/> at a time; the calling thread is
/// worker 0, so <c>threads = 2</c> starts one extra thread.
/// </summary>
/// <remarks>
/// Built for sub-millisecond planning steps: idle workers spin on a generation counter for
/// <see cref="SpinMicroseconds"/> before blocking, so back-to-back steps see no kernel wake-up,
/// while an idle controller does not burn a core. The caller, once its own share is done, spins for
/// <see cref="CallerSpinMicroseconds"/> waiting for the others and then blocks: under contention a
/// descheduled worker gets the caller's core instead of waiting behind a spinning caller, and a caller at
/// SCHED_FIFO never starves a worker. Dispatch allocates nothing. An exception in any worker is rethrown
/// on the caller after all workers finished.
/// </remarks>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly ManualResetEventSlim[] _wake;
    private readonly int[] _sleeping;
    private readonly long[] _allocated;
    private readonly long _spinTicks;
    private readonly long _callerSpinTicks;
    private readonly ManualResetEventSlim _done = new(false, spinCount: 1);
    private int _callerSleeping;
    private IParallelWork? _work;
    private int _generation;
    private int _pending;
    private volatile bool _disposed;
    private ExceptionDispatchInfo? _failure;

    /// <param name="threads">Workers including the caller.</param>
    /// <param name="spinMicroseconds">How long an idle worker spins before it blocks.</param>
    /// <param name="realtimePriority">SCHED_FIFO priority for the pool's own threads (0: normal), the same as the calling loop's.</param>
    /// <param name="callerSpinMicroseconds">How long the caller spins for the others to finish before it blocks.</param>
    /// <param name="nice">Nice value for the pool's own threads (0: normal; 1-19: background work that yields to a control loop beside it).</param>
    public WorkerPool(int threads, double spinMicroseconds = 500, int realtimePriority = 0, double callerSpinMicroseconds = 50, int nice = 0)
    {
        if (threads < 1 || threads > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be between 1 and 256");
        }
        Threads = threads;
        SpinMicroseconds = spinMicroseconds;
        _spinTicks = (long)(spinMicroseconds * Stopwatch.Frequency / 1e6);
        CallerSpinMicroseconds = callerSpinMicroseconds;
        _callerSpinTicks = (long)(callerSpinMicroseconds * Stopwatch.Frequency / 1e6);
        var reports = new string[threads - 1];
        _threads = new Thread[threads - 1];
        _wake = new ManualResetEventSlim[threads - 1];
        _sleeping = new int[threads - 1];
        _allocated = new long[threads - 1];
        for (var i = 0; i < _threads.Length; i++)
        {
            _wake[i] = new ManualResetEventSlim(false, spinCount: 1);
            var index = i;
            _threads[i] = new Thread(() =>
            {
                if (realtimePriority > 0)
                {
                    reports[index] = RealtimeScheduling.TryElevateCurrentThread(realtimePriority);
                }
                else if (nice > 0)
                {
                    reports[index] = RealtimeScheduling.TryLowerCurrentThread(nice);
                }
                Loop(index);
            })
            { IsBackground = true, Name = $"mpq-worker-{i + 1}" };
            _threads[i].Start();
        }
        SchedulingReports = reports;
        // ManualResetEventSlim creates its lock object on the first Wait that has to block: make that happen here, not
        // in some planning step later (the per-step path allocates nothing).
        _done.Wait(1);
        foreach (var wake in _wake)
        {
            wake.Wait(1);
        }
    }

    /// <summary>How long the caller spins for the other workers before it blocks.</summary>
    public double CallerSpinMicroseconds { get; }

    /// <summary>Per pool thread, the line <see cref="RealtimeScheduling"/> gave when it was elevated (null until then, or when not asked).</summary>
    public IReadOnlyList<string?> SchedulingReports { get; }

    /// <summary>Workers including the caller.</summary>
    public int Threads { get; }

    /// <summary>How long an idle worker spins before it blocks.</summary>
    public double SpinMicroseconds { get; }

    /// <summary>Runs <paramref name="work"/> on every worker and returns when all have finished.</summary>
    public void Run(IParallelWork work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_threads.Length == 0)
        {
            work.Execute(0, 1);
            return;
        }
        _work = work;
        _failure = null;
        Volatile.Write(ref _pending, _threads.Length);
        Interlocked.Increment(ref _generation);
        for (var i = 0; i < _sleeping.Length; i++)
        {
            if (Volatile.Read(ref _sleeping[i]) == 1)
            {
                _wake[i].Set();
            }
        }
        Exception? own = null;
        try
        {
            work.Execute(0, Threads);
        }
        catch (Exception e)
        {
            own = e;
        }
        WaitForWorkers();
        _work = null;
        if (own is not null)
        {
            ExceptionDispatchInfo.Capture(own).Throw();
        }
        _failure?.Throw();
    }

    /// <summary>Spins briefly for the last worker, then blocks until it signals (the same Dekker hand-off the workers use).</summary>
    private void WaitForWorkers()
    {
        var start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref _pending) != 0)
        {
            if (Stopwatch.GetTimestamp() - start < _callerSpinTicks)
            {
                Thread.SpinWait(16);
                continue;
            }
            _done.Reset();
            Interlocked.Exchange(ref _callerSleeping, 1);
            if (Volatile.Read(ref _pending) != 0)
            {
                _done.Wait();
            }
            Interlocked.Exchange(ref _callerSleeping, 0);
        }
    }

    private void Loop(int index)
    {
        var seen = 0;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            int generation;
            while ((generation = Volatile.Read(ref _generation)) == seen)
            {
                if (_disposed)
                {
                    return;
                }
                if (Stopwatch.GetTimestamp() - start < _spinTicks)
                {
                    Thread.SpinWait(16);
                    continue;
                }
                // Dekker-style hand-off: reset, announce sleep, re-check, then wait.
                _wake[index].Reset();
                Interlocked.Exchange(ref _sleeping[index], 1);
                if (Volatile.Read(ref _generation) == seen && !_disposed)
                {
                    _wake[index].Wait();
                }
                Interlocked.Exchange(ref _sleeping[index], 0);
                start = Stopwatch.GetTimestamp();
            }
            seen = generation;
            if (_disposed)
            {
                return;
            }
            try
            {
                _work!.Execute(index + 1, Threads);
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            Volatile.Write(ref _allocated[index], GC.GetAllocatedBytesForCurrentThread());
            if (Interlocked.Decrement(ref _pending) == 0 && Volatile.Read(ref _callerSleeping) == 1)
            {
                _done.Set();
            }
        }
    }

    /// <summary>
    /// Bytes allocated so far by the pool's own threads (each as recorded at the end of its last job);
    /// with <see cref="GC.GetAllocatedBytesForCurrentThread"/> on the caller this proves a step path allocation-free.
    /// </summary>
    public long WorkerAllocatedBytes()
    {
        long sum = 0;
        for (var i = 0; i < _allocated.Length; i++)
        {
            sum += Volatile.Read(ref _allocated[i]);
        }
        return sum;
    }

    /// <summary>Stops and joins the worker threads.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var w in _wake)
        {
            w.Set();
        }
        foreach (var t in _threads)
        {
            t.Join();
        }
        foreach (var w in _wake)
        {
            w.Dispose();
        }
        _done.Dispose();
    }

    /// <summary>The contiguous share [start, end) of <paramref name="count"/> items for a worker.</summary>
    public static (int Start, int End) Share(int count, int worker, int workers) =>
        ((int)((long)count * worker / workers), (int)((long)count * (worker + 1) / workers));
}
