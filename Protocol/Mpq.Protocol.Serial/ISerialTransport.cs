namespace Mpq.Protocol.Serial;

/// <summary>Receives bytes on the transport's reader thread; the span is only valid during the call.</summary>
public delegate void BytesReceived(ReadOnlySpan<byte> data);

/// <summary>A byte pipe to the rig over a serial line.</summary>
/// <remarks>
/// Received bytes are delivered on one dedicated reader thread. <see cref="Write"/> may be called from
/// any thread (writes are serialised). When the line fails (device unplugged, peer hung up),
/// <see cref="Failed"/> is raised once with the reason and no more bytes arrive: the owner must treat
/// it as a lost link (zero torque).
/// </remarks>
public interface ISerialTransport : IDisposable
{
    /// <summary>The device path.</summary>
    string Path { get; }

    /// <summary>Which implementation this is (for logs and benchmarks).</summary>
    string Kind { get; }

    long BytesReceived { get; }

    long BytesSent { get; }

    /// <summary>SCHED_FIFO priority the reader thread asks for when it starts (0, the default: normal scheduling). Set before <see cref="Start"/>.</summary>
    int ReaderRealtimePriority { get; set; }

    /// <summary>What the reader thread's request for real-time priority got (null until it started, or when not asked).</summary>
    string? ReaderPriorityReport { get; }

    /// <summary>Raised once, on the reader thread, when the line fails.</summary>
    event Action<string>? Failed;

    /// <summary>Starts the reader thread.</summary>
    void Start(BytesReceived onReceive);

    /// <summary>Writes all bytes, blocking until the kernel took them but never longer than the transport's write timeout (100 ms).</summary>
    /// <exception cref="IOException">The line failed, or <see cref="WriteTimeoutException"/>: the peer did not read in time.</exception>
    void Write(ReadOnlySpan<byte> data);
}
