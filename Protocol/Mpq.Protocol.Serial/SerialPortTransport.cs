using System.IO.Ports;

namespace Mpq.Protocol.Serial;

/// <summary>The portable fallback: System.IO.Ports' <see cref="SerialPort"/> stream, read on a dedicated thread.</summary>
/// <remarks>On Linux each read goes through SerialPort's polling loop (1–2 ms added); prefer <see cref="TtyTransport"/> there.</remarks>
public sealed class SerialPortTransport : ISerialTransport
{
    private readonly SerialPort _port;
    private readonly Lock _writeLock = new();
    private readonly byte[] _readBuffer = new byte[4096];
    private Thread? _reader;
    private volatile bool _stopping;
    private int _failed;
    private long _bytesReceived;
    private long _bytesSent;

    private SerialPortTransport(string path, SerialPort port)
    {
        Path = path;
        _port = port;
    }

    public string Path { get; }
    public string Kind => "serialport";
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);
    public long BytesSent => Interlocked.Read(ref _bytesSent);
    public event Action<string>? Failed;

    /// <summary>Opens a port 8N1 without flow control.</summary>
    /// <exception cref="IOException">The port cannot be opened; the message says why.</exception>
    public static SerialPortTransport Open(string path, int baud = 115200)
    {
        var port = new SerialPort(SerialTransports.ResolveDevice(path), baud, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadTimeout = 100,
            WriteTimeout = 1000,
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

    public void Start(BytesReceived onReceive)
    {
        if (_reader is not null)
        {
            throw new InvalidOperationException("transport already started");
        }
        _reader = new Thread(() => ReadLoop(onReceive)) { IsBackground = true, Name = $"serialport-reader {Path}" };
        _reader.Start();
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_writeLock)
        {
            if (Volatile.Read(ref _failed) != 0 || !_port.IsOpen)
            {
                throw new IOException($"serial link '{Path}' is closed");
            }
            _port.BaseStream.Write(data);
            Interlocked.Add(ref _bytesSent, data.Length);
        }
    }

    private void ReadLoop(BytesReceived onReceive)
    {
        var stream = _port.BaseStream;
        while (!_stopping)
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
                Interlocked.Add(ref _bytesReceived, n);
                onReceive(_readBuffer.AsSpan(0, n));
            }
        }
    }

    private void Fail(string reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0 && !_stopping)
        {
            Failed?.Invoke($"serial link '{Path}': {reason}");
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _port.Dispose();
        if (_reader is not null && _reader != Thread.CurrentThread)
        {
            _reader.Join(1000);
        }
    }
}
