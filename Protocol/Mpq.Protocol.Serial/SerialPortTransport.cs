using System.IO.Ports;

namespace Mpq.Protocol.Serial;

/// <summary>The portable fallback: System.IO.Ports' <see cref="SerialPort"/> stream, read on a dedicated thread.</summary>
/// <remarks>On Linux each read goes through SerialPort's polling loop (1–2 ms added); prefer <see cref="TtyTransport"/> there.</remarks>
public sealed class SerialPortTransport : ReaderThreadTransport
{
    private readonly SerialPort _port;
    private readonly Lock _writeLock = new();
    private readonly byte[] _readBuffer = new byte[4096];

    private SerialPortTransport(string path, SerialPort port) : base(path) => _port = port;

    public override string Kind => "serialport";

    /// <summary>Opens a port 8N1 without flow control.</summary>
    /// <exception cref="IOException">The port cannot be opened; the message says why.</exception>
    public static SerialPortTransport Open(string path, int baud = 115200)
    {
        var port = new SerialPort(SerialTransports.ResolveDevice(path), baud, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadTimeout = 100,
            WriteTimeout = 100,
        };
        try
        {
            port.Open();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw new IOException($"cannot open serial device '{path}': {e.Message}", e);
        }
        return new SerialPortTransport(path, port);
    }

    public override void Write(ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            if (HasFailed || !_port.IsOpen)
            {
                throw new IOException($"serial link '{Path}' is closed");
            }
            try
            {
                _port.BaseStream.Write(data);
            }
            catch (TimeoutException)
            {
                throw new WriteTimeoutException($"write to '{Path}' timed out after {_port.WriteTimeout} ms: the peer is not reading");
            }
            CountSent(data.Length);
        }
    }

    protected override void ReadLoop(BytesReceived onReceive)
    {
        var stream = _port.BaseStream;
        while (!Stopping)
        {
            int n;
            try
            {
                n = stream.Read(_readBuffer, 0, _readBuffer.Length);
            }
            catch (TimeoutException)
            {
                continue;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                Fail(e.Message);
                return;
            }
            if (n > 0)
            {
                Deliver(onReceive, _readBuffer.AsSpan(0, n));
            }
        }
    }

    protected override void Close(bool beforeJoin)
    {
        if (beforeJoin)
        {
            _port.Dispose(); // unblocks the reader's Read
        }
    }
}
