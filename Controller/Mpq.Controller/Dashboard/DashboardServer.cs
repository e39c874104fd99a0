using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using System.Text.Json;

namespace Mpq.Controller.Dashboard;

/// <summary>
/// <c>--dashboard [ADDR]</c>: one page in the browser (uPlot, inside the program) with the run's live traces, or a
/// log's whole trajectory for review; the data go over a WebSocket.
/// </summary>
/// <remarks>
/// Threads of its own, never the control loop's: an accept thread (HttpListener), a handler per request from the thread
/// pool, and for a live run a sampler that reads what the loop already publishes for other threads 20 times a second and
/// sends it to every page. A page that stops reading is dropped after a second; nothing a browser does reaches the rig
/// (the page only reads). Loopback by default; another address serves anyone who can reach it, and says so.
/// </remarks>
internal sealed class DashboardServer : IDisposable
{
    /// <summary>Where the page is served when <c>--dashboard</c> names no address.</summary>
    public const string DefaultAddress = "127.0.0.1:8765";

    /// <summary>How often a live page gets a sample.</summary>
    public static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(50);

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["/index.html"] = "text/html; charset=utf-8",
        ["/uPlot.iife.min.js"] = "application/javascript",
        ["/uPlot.min.css"] = "text/css",
        ["/LICENSE.uPlot"] = "text/plain; charset=utf-8",
    };

    private readonly HttpListener _listener = new();
    private readonly byte[] _first;
    private readonly Func<byte[]?>? _sample;
    private readonly Action<string> _log;
    private readonly List<WebSocket> _pages = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _accept;
    private readonly Thread? _sampler;
    private long _drawn;
    private int _reported;

    /// <param name="address">HOST:PORT (or :PORT), null for <see cref="DefaultAddress"/>.</param>
    /// <param name="first">What every page gets first: the JSON with "meta" (and for a log, "history").</param>
    /// <param name="sample">A live run's sample as JSON, or null when there is none yet; null for a log.</param>
    /// <param name="log">Where the server's lines go.</param>
    /// <exception cref="ArgumentException">The address is malformed.</exception>
    /// <exception cref="IOException">The address cannot be listened on (in use, not this machine's).</exception>
    public DashboardServer(string? address, byte[] first, Func<byte[]?>? sample, Action<string> log)
    {
        var (host, port) = ParseAddress(address ?? DefaultAddress);
        _first = first;
        _sample = sample;
        _log = log;
        var listenHost = host is "0.0.0.0" or "*" ? "+" : host;
        _listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://{(listenHost.Contains(':', StringComparison.Ordinal) ? $"[{listenHost}]" : listenHost)}:{port}/"));
        try
        {
            _listener.Start();
        }
        catch (HttpListenerException e)
        {
            throw new IOException($"--dashboard: cannot listen on {host}:{port}: {e.Message}", e);
        }
        Url = string.Create(CultureInfo.InvariantCulture, $"http://{(listenHost == "+" ? "127.0.0.1" : host)}:{port}/");
        Loopback = host is "127.0.0.1" or "localhost" or "::1";
        _accept = new Thread(Accept) { IsBackground = true, Name = "mpq-dashboard-accept" };
        _sampler = sample is null ? null : new Thread(Sample) { IsBackground = true, Name = "mpq-dashboard-sampler", Priority = ThreadPriority.BelowNormal };
    }

    /// <summary>The page's address.</summary>
    public string Url { get; }

    /// <summary>Whether only this machine can reach the page.</summary>
    public bool Loopback { get; }

    /// <summary>The most samples any page has said it drew.</summary>
    public long Drawn => Interlocked.Read(ref _drawn);

    /// <summary>Parses HOST:PORT, [IPv6]:PORT or :PORT (loopback).</summary>
    /// <exception cref="ArgumentException">Not an address with a port in 1..65535.</exception>
    public static (string Host, int Port) ParseAddress(string address)
    {
        var colon = address.LastIndexOf(':');
        var host = colon < 0 ? "" : address[..colon].Trim('[', ']');
        var portText = colon < 0 ? address : address[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"--dashboard: '{address}' is not HOST:PORT with a port from 1 to 65535 (e.g. {DefaultAddress})");
        }
        return (host.Length == 0 ? "127.0.0.1" : host, port);
    }

    public void Start()
    {
        _accept.Start();
        _sampler?.Start();
        _log($"dashboard: {Url}{(Loopback ? "" : " (served to the network: anyone who can reach it sees the rig's data; it cannot command the rig)")}");
    }

    private void Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = _listener.GetContext();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            ThreadPool.QueueUserWorkItem(_ => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        try
        {
            if (context.Request.Url?.AbsolutePath == "/ws" && context.Request.IsWebSocketRequest)
            {
                Serve(context.AcceptWebSocketAsync(null).GetAwaiter().GetResult().WebSocket);
                return;
            }
            var path = context.Request.Url?.AbsolutePath is "/" or null ? "/index.html" : context.Request.Url.AbsolutePath;
            using var response = context.Response;
            if (context.Request.HttpMethod != "GET" || !ContentTypes.TryGetValue(path, out var type))
            {
                response.StatusCode = context.Request.HttpMethod != "GET" ? 405 : 404;
                return;
            }
            using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("dashboard" + path)
                ?? throw new InvalidOperationException($"the dashboard's {path} is missing from the program");
            response.ContentType = type;
            response.Headers["Cache-Control"] = "no-store";
            response.ContentLength64 = resource.Length;
            resource.CopyTo(response.OutputStream);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // A browser that went away mid-request; the run goes on.
        }
    }

    /// <summary>One page: what it gets first, then (live) the sampler's samples; its "drawn" counts are read here.</summary>
    private void Serve(WebSocket page)
    {
        using (page)
        {
            if (!Send(page, _first))
            {
                return;
            }
            lock (_pages)
            {
                _pages.Add(page);
            }
            try
            {
                var buffer = new byte[1024];
                while (page.State == WebSocketState.Open && !_stop.IsCancellationRequested)
                {
                    var got = page.ReceiveAsync(new ArraySegment<byte>(buffer), _stop.Token).GetAwaiter().GetResult();
                    if (got.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    Drew(buffer.AsSpan(0, got.Count));
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or HttpListenerException)
            {
            }
            finally
            {
                lock (_pages)
                {
                    _pages.Remove(page);
                }
            }
        }
    }

    /// <summary>A page's <c>{"drawn": N}</c>; anything else is ignored (a page only reads).</summary>
    private void Drew(ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new Utf8JsonReader(message);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("drawn", out var drawn) && drawn.TryGetInt64(out var n) && n > Interlocked.Read(ref _drawn))
            {
                Interlocked.Exchange(ref _drawn, n);
                if (n >= 20 && Interlocked.Exchange(ref _reported, 1) == 0)
                {
                    _log(string.Create(CultureInfo.InvariantCulture, $"dashboard: a browser is showing the data ({n} samples drawn)"));
                }
            }
        }
        catch (JsonException)
        {
        }
    }

    private void Sample()
    {
        var next = DateTime.UtcNow;
        while (!_stop.IsCancellationRequested)
        {
            next += SampleEvery;
            var wait = next - DateTime.UtcNow;
            if (wait > TimeSpan.Zero && _stop.Token.WaitHandle.WaitOne(wait))
            {
                return;
            }
            if (wait < -SampleEvery)
            {
                next = DateTime.UtcNow; // late (a busy machine): no burst to catch up
            }
            WebSocket[] pages;
            lock (_pages)
            {
                pages = [.. _pages];
            }
            if (pages.Length == 0 || _sample!() is not { } sample)
            {
                continue;
            }
            foreach (var page in pages)
            {
                if (!Send(page, sample))
                {
                    page.Abort(); // its reader ends and removes it
                }
            }
        }
    }

    /// <summary>Sends one text message; false when the page is gone or did not take it within a second.</summary>
    private bool Send(WebSocket page, byte[] message)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            page.SendAsync(new ArraySegment<byte>(message), WebSocketMessageType.Text, endOfMessage: true, timeout.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or HttpListenerException or IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
        }
        if (_sampler is { IsAlive: true })
        {
            _sampler.Join(TimeSpan.FromSeconds(2));
        }
        _accept.Join(TimeSpan.FromSeconds(2));
        lock (_pages)
        {
            foreach (var page in _pages)
            {
                page.Abort();
            }
        }
        _stop.Dispose();
    }

    /// <summary>A JSON message written by <paramref name="write"/> inside one object.</summary>
    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>A number, or null where it is not finite (JSON has no NaN; uPlot draws a gap).</summary>
    public static void Number(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(Math.Round(value, 6));
        }
        else
        {
            w.WriteNullValue();
        }
    }

    /// <summary>An array of numbers (non-finite ones as null).</summary>
    public static void Numbers(Utf8JsonWriter w, string name, ReadOnlySpan<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            Number(w, v);
        }
        w.WriteEndArray();
    }
}
