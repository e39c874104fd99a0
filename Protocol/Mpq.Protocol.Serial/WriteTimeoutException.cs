namespace Mpq.Protocol.Serial;

/// <summary>A write did not finish within the transport's write timeout: the peer is not reading (or the line is stuck).</summary>
/// <remarks>The line itself is not failed: later writes are tried again. Part of the data may have been written.</remarks>
public sealed class WriteTimeoutException(string message) : IOException(message);
