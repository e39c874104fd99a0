using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Mpq.HilTests;

/// <summary>
/// Issue 29: a live plot in the browser. <c>controller run --dashboard</c> on the virtual rig over a pty, the page opened
/// in headless Chromium (Debian's, as a user's browser would be), then the same run's log reviewed with
/// <c>controller log view</c>; a screenshot of each goes to the test's output.
/// </summary>
[TestFixture]
[Category("Hil")]
public class DashboardTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"mpq-dashboard-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string Chromium =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new AssertionException("headless Chromium is needed for the dashboard's test: scripts/ensure-deps.sh installs Debian's chromium");

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>
    /// Opens <paramref name="url"/> in headless Chromium, lets it run for a few seconds, and saves a screenshot taken
    /// over the DevTools protocol (Chromium's own --screenshot fires at the load event, before any live data).
    /// </summary>
    private string Screenshot(string url, string name)
    {
        var png = Path.Combine(_dir, name);
        var info = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(_dir, "chromium-" + name)}",
                     "--window-size=1200,900", "--remote-debugging-port=0", url,
                 })
        {
            info.ArgumentList.Add(a);
        }
        using var browser = Process.Start(info)!;
        _ = browser.StandardOutput.ReadToEndAsync();
        try
        {
            string? devtools = null;
            var seen = new System.Text.StringBuilder();
            var clock = Stopwatch.StartNew();
            while (devtools is null && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                var line = browser.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)).Result ?? throw new AssertionException("Chromium ended\n" + seen);
                seen.AppendLine(line);
                var m = Regex.Match(line, @"DevTools listening on ws://([^/]+)/");
                devtools = m.Success ? m.Groups[1].Value : null;
            }
            Assert.That(devtools, Is.Not.Null, "Chromium's DevTools address\n" + seen);
            _ = browser.StandardError.ReadToEndAsync();
            Thread.Sleep(TimeSpan.FromSeconds(5)); // the page loads and draws what it is sent
            using var http = new HttpClient();
            using var targets = System.Text.Json.JsonDocument.Parse(http.GetStringAsync($"http://{devtools}/json/list").Result);
            var page = targets.RootElement.EnumerateArray().First(t => t.GetProperty("type").GetString() == "page").GetProperty("webSocketDebuggerUrl").GetString()!;
            using var cdp = new System.Net.WebSockets.ClientWebSocket();
            cdp.ConnectAsync(new Uri(page), CancellationToken.None).Wait(TimeSpan.FromSeconds(10));
            var request = System.Text.Encoding.UTF8.GetBytes("""{"id":1,"method":"Page.captureScreenshot","params":{"format":"png"}}""");
            cdp.SendAsync(request, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None).Wait(TimeSpan.FromSeconds(10));
            var buffer = new byte[1 << 16];
            while (true)
            {
                using var message = new MemoryStream();
                System.Net.WebSockets.WebSocketReceiveResult got;
                do
                {
                    var receive = cdp.ReceiveAsync(new ArraySegment<byte>(buffer), CancellationToken.None);
                    Assert.That(receive.Wait(TimeSpan.FromSeconds(20)), Is.True, "no answer from Chromium's DevTools");
                    got = receive.Result;
                    message.Write(buffer, 0, got.Count);
                }
                while (!got.EndOfMessage);
                using var answer = System.Text.Json.JsonDocument.Parse(message.ToArray());
                if (answer.RootElement.TryGetProperty("id", out var id) && id.GetInt32() == 1)
                {
                    File.WriteAllBytes(png, Convert.FromBase64String(answer.RootElement.GetProperty("result").GetProperty("data").GetString()!));
                    break;
                }
            }
        }
        finally
        {
            browser.Kill(entireProcessTree: true);
            browser.WaitForExit(10_000);
        }
        var copy = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
        File.Copy(png, copy, overwrite: true);
        TestContext.AddTestAttachment(copy, name);
        TestContext.Out.WriteLine($"screenshot: {copy}");
        return png;
    }

    private static long DrawnIn(string log)
    {
        var m = Regex.Match(log, @"dashboard: a browser is showing the data \((\d+) samples drawn\)");
        return m.Success ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Test]
    public void Run_Dashboard_LiveTracesInChromium_ThenTheLogReviewed()
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}/";
        var log = Path.Combine(_dir, "run.mpqlog");
        using (var firmware = new FirmwareProcess(60))
        using (var controller = new DotnetProcess("controller.dll", "run", "--port", firmware.ControllerPort, "--arm", "-H", "8", "--duration", "20",
                   "--dashboard", $"127.0.0.1:{port}", "--log", log, "--report", "0", "--no-watch", "--console", "none"))
        {
            Assert.That(controller.WaitForOutput($"dashboard: {url}", TimeSpan.FromSeconds(30)), Is.True, controller.Log);
            using (var http = new HttpClient())
            {
                Assert.That(http.GetStringAsync(url).Result, Does.Contain("uPlot.iife.min.js"), "the page");
                Assert.That(http.GetByteArrayAsync(url + "uPlot.iife.min.js").Result, Has.Length.GreaterThan(40_000), "uPlot, from inside the program");
                Assert.That(http.GetAsync(url + "nothing-here").Result.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            }
            var png = Screenshot(url, "dashboard-live.png");
            Assert.That(new FileInfo(png).Length, Is.GreaterThan(20_000), "a page with plots, not a blank one");
            Assert.That(controller.WaitForOutput("dashboard: a browser is showing the data", TimeSpan.FromSeconds(10)), Is.True, "the page drew live samples\n" + controller.Log);
            Assert.That(DrawnIn(controller.Log), Is.GreaterThanOrEqualTo(20), "20 samples a second: the traces moved");
            Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(60)), Is.True, controller.Log);
            Assert.That(controller.ExitCode, Is.Zero, "a browser watching never disturbs the run\n" + controller.Log);
        }

        var reviewPort = FreePort();
        using var review = new DotnetProcess("controller.dll", "log", "view", log, "--dashboard", $"127.0.0.1:{reviewPort}");
        Assert.That(review.WaitForOutput($"dashboard: http://127.0.0.1:{reviewPort}/", TimeSpan.FromSeconds(30)), Is.True, review.Log);
        Screenshot($"http://127.0.0.1:{reviewPort}/", "dashboard-review.png");
        Assert.That(review.WaitForOutput("dashboard: a browser is showing the data", TimeSpan.FromSeconds(10)), Is.True, review.Log);
        Assert.That(DrawnIn(review.Log), Is.InRange(300, 400), "the whole 20-s run at 20 Hz (less the time to arm), in one message");
        review.Interrupt();
        Assert.That(review.WaitForExit(TimeSpan.FromSeconds(10)), Is.True, "Ctrl-C stops the review\n" + review.Log);
    }

    [TestCase("nonsense")]
    [TestCase("127.0.0.1:0")]
    [TestCase("127.0.0.1:99999")]
    public void Run_DashboardBadAddress_RefusedBeforeThePortOpens(string address)
    {
        using var controller = new DotnetProcess("controller.dll", "run", "--port", "/dev/does-not-exist-mpq", "--dashboard", address);
        Assert.That(controller.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(controller.ExitCode, Is.EqualTo(2));
        Assert.That(controller.Log, Does.Contain("--dashboard: ").And.Not.Contain("does-not-exist"), "the address is checked first");
    }
}
