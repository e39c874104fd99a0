namespace Mpq.Protocol.Serial;

/// <summary>
/// What both transports share: byte counters, a dedicated reader thread, and reporting a failed line
/// exactly once (never while shutting down).
/// </summary>
public abstract class ReaderThreadTransport : ISerialTransport
{
    private Thread? _reader;
    private volatile bool _stopping;
    private int _failed;
    private long _bytesReceived;
    private long _bytesSent;

    protected ReaderThreadTransport(string path) => Path = path;

    public string Path { get; }
    public abstract string Kind { get; }
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public event Action<string>? Failed;

    /// <inheritdoc />
    public int ReaderRealtimePriority { get; set; }

    /// <inheritdoc />
    public string? ReaderPriorityReport { get; private set; }

    /// <summary>True once <see cref="Dispose()"/> began: the reader loop must end.</summary>
    protected bool Stopping => _stopping;

    /// <summary>True once the line failed: writes must be refused.</summary>
    protected bool HasFailed => Volatile.Read(ref _failed) != 0;

    public void Start(BytesReceived onReceive)
    {
        if (_reader is not null)
        {
            throw new InvalidOperationException("transport already started");
        }
        _reader = new Thread(() =>
        {
            if (ReaderRealtimePriority > 0)
            {
                ReaderPriorityReport = Mpq.Common.RealtimeScheduling.TryElevateCurrentThread(ReaderRealtimePriority);
            }
            ReadLoop(onReceive);
        }) { IsBackground = true, Name = $"{Kind}-reader {Path}" };
        _reader.Start();
    }

    public abstract void Write(ReadOnlySpan<byte> data);

    /// <summary>Reads until <see cref="Stopping"/> or a failure; delivers bytes through <see cref="Deliver"/>.</summary>
    protected abstract void ReadLoop(BytesReceived onReceive);

    protected void Deliver(BytesReceived onReceive, ReadOnlySpan<byte> data)
    {
        Interlocked.Add(ref _bytesReceived, data.Length);
        onReceive(data);
    }

    protected void CountSent(int bytes) => Interlocked.Add(ref _bytesSent, bytes);

    /// <summary>Reports a failed line once (not during shutdown).</summary>
    protected void Fail(string reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0 && !_stopping)
        {
            Failed?.Invoke($"serial link '{Path}': {reason}");
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Close(beforeJoin: true);
        if (_reader is not null && _reader != Thread.CurrentThread)
        {
            _reader.Join(1000);
        }
        Close(beforeJoin: false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the device: called before the reader is joined (to unblock it) and after.</summary>
    protected abstract void Close(bool beforeJoin);
}
