using Mpq.Protocol.Serial;

namespace Mpq.Protocol.Tests;

/// <summary>Both transports over a real pseudo-terminal pair made by socat.</summary>
[TestFixture]
[Category("Hil")]
public class TransportTests
{
    [TestCase(TransportKind.Tty)]
    [TestCase(TransportKind.SerialPort)]
    public void Write_BytesArriveUnchangedBothWays(TransportKind kind)
    {
        using var pair = SocatPair.Create();
        using var a = SerialTransports.Open(pair.PathA, 115200, kind);
        using var b = SerialTransports.Open(pair.PathB, 115200, kind);
        var atA = new List<byte>();
        var atB = new List<byte>();
        using var gotA = new ManualResetEventSlim();
        using var gotB = new ManualResetEventSlim();
        var payload = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        a.Start(d => { lock (atA) { atA.AddRange(d.ToArray()); if (atA.Count >= payload.Length) { gotA.Set(); } } });
        b.Start(d => { lock (atB) { atB.AddRange(d.ToArray()); if (atB.Count >= payload.Length) { gotB.Set(); } } });
        a.Write(payload);
        b.Write(payload);
        Assert.That(gotB.Wait(TimeSpan.FromSeconds(5)), Is.True, $"{atB.Count} of {payload.Length} bytes reached B");
        Assert.That(gotA.Wait(TimeSpan.FromSeconds(5)), Is.True, $"{atA.Count} of {payload.Length} bytes reached A");
        lock (atA)
        {
            lock (atB)
            {
                Assert.That(atB, Is.EqualTo(payload), "raw mode passes every byte (0x00, 0x11, 0x13, CR, LF) unchanged");
                Assert.That(atA, Is.EqualTo(payload));
            }
        }
        Assert.That(a.BytesSent, Is.EqualTo(payload.Length));
        Assert.That(b.BytesReceived, Is.EqualTo(payload.Length));
    }

    [Test]
    public void DiscardPendingInput_BytesLeftInAPtyBeforeTheConsoleOpened_NeverRead()
    {
        // Issue 13, case 4: an 'arm' left in the controller's console pty before it started was executed at start-up.
        using var pair = SocatPair.Create();
        using var typist = TtyTransport.Open(pair.PathA);
        typist.Write("arm\r"u8);
        Thread.Sleep(300); // socat has carried it into the console's pty
        using var console = new FileStream(pair.PathB, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        Assert.That(SerialTransports.DiscardPendingInput(console.SafeFileHandle), Is.True, "a pty is a terminal: flushed");
        typist.Write("status\r"u8);
        var buffer = new byte[64];
        var read = console.ReadAsync(buffer).AsTask();
        Assert.That(read.Wait(TimeSpan.FromSeconds(5)), Is.True, "the line typed after start-up arrives");
        Assert.That(System.Text.Encoding.ASCII.GetString(buffer, 0, read.Result), Is.EqualTo("status\r"), "only what was typed after the flush");
    }

    [Test]
    public void DiscardPendingInput_NotATerminal_NothingToDo()
    {
        var path = Path.GetTempFileName();
        try
        {
            using var file = new FileStream(path, FileMode.Open);
            Assert.That(SerialTransports.DiscardPendingInput(file.SafeFileHandle), Is.False);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Tty_PeerGone_RaisesFailedOnce()
    {
        var pair = SocatPair.Create();
        using var a = TtyTransport.Open(pair.PathA);
        var reasons = new List<string>();
        using var failed = new ManualResetEventSlim();
        a.Failed += r => { lock (reasons) { reasons.Add(r); } failed.Set(); };
        a.Start(_ => { });
        pair.Dispose(); // socat exits: the cable is pulled
        Assert.That(failed.Wait(TimeSpan.FromSeconds(5)), Is.True, "a lost line must be reported");
        Thread.Sleep(200);
        Assert.That(reasons, Has.Count.EqualTo(1));
        Assert.That(reasons[0], Does.Contain(pair.PathA));
        Assert.Throws<IOException>(() => a.Write([1, 2, 3]));
    }

    // Issue 29, case 4: with picocom holding one end of a pty pair, 'controller run --port' on that end opened it too
    // (exit 0) and picocom filled with binary; a second firmware opened the port of the first.
    [Test]
    public void Open_PortHeldByAnotherOpener_RefusedSayingSo_FreeAgainOnceClosed()
    {
        using var pair = SocatPair.Create();
        var first = TtyTransport.Open(pair.PathA);
        var e = Assert.Throws<IOException>(() => TtyTransport.Open(pair.PathA).Dispose())!;
        Assert.That(e.Message, Does.Contain(pair.PathA).And.Contain("in use by another program"));
        first.Dispose();
        Assert.DoesNotThrow(() => TtyTransport.Open(pair.PathA).Dispose());
    }

    [Test]
    public void Open_PortLockedByATerminal_Refused()
    {
        using var pair = SocatPair.Create();
        // picocom's way: flock(LOCK_EX) on the device it opened (here the util-linux flock command holds it).
        using var terminal = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["--exclusive", pair.PathA, "sleep", "20"]))!;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            IOException? refused = null;
            while (refused is null && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                try
                {
                    TtyTransport.Open(pair.PathA).Dispose();
                    Thread.Sleep(50); // flock has not taken it yet
                }
                catch (IOException x)
                {
                    refused = x;
                }
            }
            // Issue 29: "say who holds it". flock(1) holds the device open while its command runs; socat, the pty's maker, is not named.
            Assert.That(refused?.Message, Does.Contain($"in use by flock (pid {terminal.Id})").And.Not.Contain("socat"));
        }
        finally
        {
            terminal.Kill();
        }
    }

    [TestCase(TransportKind.Tty)]
    [TestCase(TransportKind.SerialPort)]
    public void Open_MissingDevice_ClearIOException(TransportKind kind)
    {
        var e = Assert.Throws<IOException>(() => SerialTransports.Open("/dev/does-not-exist-mpq", 115200, kind))!;
        Assert.That(e.Message, Does.Contain("/dev/does-not-exist-mpq"));
    }

    [Test]
    public void Open_NotATty_ClearIOException()
    {
        var file = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<IOException>(() => TtyTransport.Open(file))!;
            Assert.That(e.Message, Does.Contain("not a serial device"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void Open_UnsupportedBaud_Throws()
    {
        using var pair = SocatPair.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => TtyTransport.Open(pair.PathA, 12345));
    }

    [Test]
    public void TrySetLatencyTimer_OnPty_SaysNothingToTune()
    {
        using var pair = SocatPair.Create();
        Assert.That(SerialTransports.TrySetLatencyTimer(pair.PathA), Does.Contain("nothing to tune"));
    }

    // Issue 29: 'ports --all' said "no serial ports found" on a machine with /dev/ttyS0 (System.IO.Ports' discovery
    // leaves it out).
    [Test]
    public void DescribePorts_All_ListsLegacyNodes_InCountingOrder()
    {
        var nodes = Directory.GetFiles("/dev", "ttyS*");
        Assume.That(nodes, Is.Not.Empty, "this machine has no /dev/ttyS nodes");
        var listed = SerialTransports.DescribePorts(all: true).Select(l => l.Split(' ')[0]).ToList();
        Assert.That(listed, Is.SupersetOf(nodes));
        var numbers = listed.Where(p => p.StartsWith("/dev/ttyS", StringComparison.Ordinal)).Select(p => int.Parse(p["/dev/ttyS".Length..])).ToList();
        Assert.That(numbers, Is.Ordered, "ttyS2 before ttyS10");
    }
}
