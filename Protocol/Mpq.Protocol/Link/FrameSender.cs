using System.Text;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Link;

/// <summary>Writes bytes to the line, in a bounded time (it throws <see cref="IOException"/> when it cannot).</summary>
public delegate void LineWriter(ReadOnlySpan<byte> data);

/// <summary>
/// The only thing that writes to a serial line: a writer thread that drains two bounded queues, so no thread that
/// keeps time ever waits for the line.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><see cref="TryPostRealtime"/> is for one time-keeping thread (the device loop's States): a lock-free
/// single-producer ring; when it is full the frame is dropped and counted, never waited for.</item>
/// <item><see cref="TryPost"/> and <see cref="TryPostText"/> are for every other thread (replies, logs, console
/// text): a ring under a lock that is held only to copy bytes in or out, never across a write. Full: dropped and
/// counted.</item>
/// <item>Frames are encoded when posted and numbered when written, so the wire's sequence has no gaps for frames
/// dropped here: a gap the peer counts is a frame the line lost.</item>
/// <item>A write that fails or times out is counted and the writer goes on with the next item; a frame cut short
/// by a timeout is followed by a delimiter-led frame, so the peer resynchronises.</item>
/// </list>
/// Allocation-free after construction (text is copied into preallocated slots).
/// </remarks>
public sealed class FrameSender : IDisposable
{
    private const int RealtimeSlots = 32; // 64 ms of States at 500 Hz: a writer hiccup costs no State

    /// <summary>How often the writer looks at the realtime ring when nothing woke it.</summary>
    private const int PollMilliseconds = 1;

    private readonly LineWriter _write;
    private readonly Action? _onWriterStart;
    private readonly Action<IOException>? _onWriteFailed;
    private long _posted;
    private long _completed;
    private readonly byte[][] _realtime = new byte[RealtimeSlots][];
    private readonly int[] _realtimeLength = new int[RealtimeSlots];
    private long _realtimeHead; // written by the writer thread only
    private long _realtimeTail; // written by the realtime producer only
    private readonly Lock _queueGate = new();
    private readonly byte[][] _queue;
    private readonly int[] _queueLength;
    private readonly bool[] _queueIsFrame;
    private int _queueHead;
    private int _queueCount;
    private readonly byte[] _scratch = new byte[Frame.MaxRawFrame];
    private readonly byte[] _item = new byte[Frame.MaxWireFrame];
    private readonly byte[] _wire = new byte[Frame.MaxWireFrame];
    private readonly ManualResetEventSlim _pending = new(false);
    private readonly Thread _writer;
    private volatile bool _stopping;
    private ushort _sequence;
    private long _framesWritten;
    private long _realtimeDropped;
    private long _queueDropped;
    private long _writeFailures;

    /// <param name="write">Writes to the line; must return or throw within a bounded time.</param>
    /// <param name="queueSlots">Capacity of the queue for non-realtime items (frames and text chunks).</param>
    /// <param name="name">Name of the writer thread.</param>
    /// <param name="onWriterStart">Runs first on the writer thread (e.g. to ask for a real-time priority just below the loop's).</param>
    /// <param name="onWriteFailed">Called on the writer thread for each write that failed (a timeout included), after it is counted.</param>
    public FrameSender(LineWriter write, int queueSlots = 64, string name = "frame-writer", Action? onWriterStart = null, Action<IOException>? onWriteFailed = null)
    {
        _onWriterStart = onWriterStart;
        _onWriteFailed = onWriteFailed;
        ArgumentOutOfRangeException.ThrowIfLessThan(queueSlots, 1);
        _write = write;
        for (var i = 0; i < RealtimeSlots; i++)
        {
            _realtime[i] = new byte[Frame.MaxRawFrame];
        }
        _queue = new byte[queueSlots][];
        for (var i = 0; i < queueSlots; i++)
        {
            _queue[i] = new byte[Frame.MaxWireFrame];
        }
        _queueLength = new int[queueSlots];
        _queueIsFrame = new bool[queueSlots];
        _writer = new Thread(Run) { IsBackground = true, Name = name };
        _writer.Start();
    }

    /// <summary>Frames numbered and handed to the line (0, 1, … in this order), including any whose write then failed.</summary>
    public long FramesWritten => Interlocked.Read(ref _framesWritten);

    /// <summary>Realtime frames dropped because the ring was full (the line could not keep up).</summary>
    public long RealtimeDropped => Interlocked.Read(ref _realtimeDropped);

    /// <summary>Frames and text chunks dropped because the queue was full.</summary>
    public long QueueDropped => Interlocked.Read(ref _queueDropped);

    /// <summary>Everything dropped before reaching the line.</summary>
    public long Dropped => RealtimeDropped + QueueDropped;

    /// <summary>Writes that failed or timed out (the item was lost, the writer went on).</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>The last write failure's message, or null.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>
    /// Queues a frame from the one time-keeping thread; never blocks, never takes a lock the writer holds.
    /// Returns false (and counts it) when the ring is full.
    /// </summary>
    public bool TryPostRealtime(Message message)
    {
        var tail = _realtimeTail;
        if (tail - Volatile.Read(ref _realtimeHead) >= RealtimeSlots)
        {
            Interlocked.Increment(ref _realtimeDropped);
            return false;
        }
        var slot = (int)(tail % RealtimeSlots);
        _realtimeLength[slot] = FrameWriter.EncodeRaw(message, _realtime[slot]);
        Interlocked.Increment(ref _posted);
        Volatile.Write(ref _realtimeTail, tail + 1);
        // Waking the writer touches the event's internal lock only while the writer is inside its wait's bookkeeping (a
        // few instructions); the owner runs the writer at a real-time priority (OnWriterStart), so it cannot be preempted
        // there by ordinary threads and the wake is bounded. Without it the writer still polls the ring every millisecond.
        _pending.Set();
        return true;
    }

    /// <summary>Queues a frame from any thread; returns false (and counts it) when the queue is full.</summary>
    public bool TryPost(Message message)
    {
        lock (_queueGate)
        {
            if (_queueCount == _queue.Length)
            {
                Interlocked.Increment(ref _queueDropped);
                return false;
            }
            var slot = (_queueHead + _queueCount) % _queue.Length;
            _queueLength[slot] = FrameWriter.EncodeRaw(message, _queue[slot]);
            _queueIsFrame[slot] = true;
            _queueCount++;
            Interlocked.Increment(ref _posted);
        }
        _pending.Set();
        return true;
    }

    /// <summary>Queues text (UTF-8, split into slots); returns false (and counts each lost chunk) when the queue fills.</summary>
    public bool TryPostText(string text)
    {
        var all = true;
        Span<byte> chunk = stackalloc byte[256];
        var encoder = Encoding.UTF8;
        var start = 0;
        while (start < text.Length)
        {
            // Cut at a character boundary: at most 64 chars of UTF-8 always fit in 256 bytes.
            var take = Math.Min(64, text.Length - start);
            if (char.IsHighSurrogate(text[start + take - 1]) && take > 1)
            {
                take--;
            }
            var n = encoder.GetBytes(text.AsSpan(start, take), chunk);
            all &= PostBytes(chunk[..n]);
            start += take;
        }
        return all;
    }

    private bool PostBytes(ReadOnlySpan<byte> bytes)
    {
        lock (_queueGate)
        {
            if (_queueCount == _queue.Length)
            {
                Interlocked.Increment(ref _queueDropped);
                return false;
            }
            var slot = (_queueHead + _queueCount) % _queue.Length;
            bytes.CopyTo(_queue[slot]);
            _queueLength[slot] = bytes.Length;
            _queueIsFrame[slot] = false;
            _queueCount++;
            Interlocked.Increment(ref _posted);
        }
        _pending.Set();
        return true;
    }

    private void Run()
    {
        _onWriterStart?.Invoke();
        while (!_stopping)
        {
            // Every post wakes the writer at once; the short timeout is a backstop.
            _pending.Wait(PollMilliseconds);
            _pending.Reset();
            while (!_stopping && (WriteRealtime() | WriteQueued()))
            {
            }
        }
    }

    private bool WriteRealtime()
    {
        var head = _realtimeHead;
        if (head == Volatile.Read(ref _realtimeTail))
        {
            return false;
        }
        var slot = (int)(head % RealtimeSlots);
        var n = FrameWriter.Finish(_realtime[slot].AsSpan(0, _realtimeLength[slot]), _sequence, _wire);
        Volatile.Write(ref _realtimeHead, head + 1);
        WriteFrame(n);
        return true;
    }

    private bool WriteQueued()
    {
        int length;
        bool isFrame;
        lock (_queueGate)
        {
            if (_queueCount == 0)
            {
                return false;
            }
            length = _queueLength[_queueHead];
            isFrame = _queueIsFrame[_queueHead];
            _queue[_queueHead].AsSpan(0, length).CopyTo(_item);
            _queueHead = (_queueHead + 1) % _queue.Length;
            _queueCount--;
        }
        if (isFrame)
        {
            _item.AsSpan(0, length).CopyTo(_scratch);
            WriteFrame(FrameWriter.Finish(_scratch.AsSpan(0, length), _sequence, _wire));
        }
        else
        {
            Write(_item.AsSpan(0, length));
        }
        return true;
    }

    private void WriteFrame(int length)
    {
        // Counted as sent once numbered, like a frame the line then corrupts: the peer counts a failed one as lost.
        _sequence++;
        Interlocked.Increment(ref _framesWritten);
        Write(_wire.AsSpan(0, length));
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _write(bytes);
        }
        catch (IOException e)
        {
            Interlocked.Increment(ref _writeFailures);
            LastFailure = e.Message;
            _onWriteFailed?.Invoke(e);
        }
        finally
        {
            Interlocked.Increment(ref _completed);
        }
    }

    /// <summary>
    /// Waits until everything posted before this call was written (or its write failed), up to
    /// <paramref name="timeout"/>: before a program exits, so its last frame (a Disarm) is on the line. Never call
    /// it from a thread that keeps time.
    /// </summary>
    /// <returns>Whether the queues drained in time.</returns>
    public bool Flush(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _posted);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Interlocked.Read(ref _completed) < target)
        {
            if (clock.Elapsed > timeout || !_writer.IsAlive)
            {
                return false;
            }
            _pending.Set();
            Thread.Sleep(1);
        }
        return true;
    }

    /// <summary>Stops the writer (within one bounded write); what is still queued is not sent.</summary>
    public void Dispose()
    {
        _stopping = true;
        _pending.Set();
        _writer.Join(2000);
        // _pending is left to the GC: a late post from another thread must never meet a disposed event.
    }
}
