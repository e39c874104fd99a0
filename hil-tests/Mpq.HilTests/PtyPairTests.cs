using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>The HIL environment itself: a socat pty pair carries bytes both ways and leaves nothing behind.</summary>
[TestFixture]
[Category("Hil")]
public class PtyPairTests
{
    [Test]
    public void Create_BytesCrossBothWays()
    {
        using var pair = SocatPair.Create();
        using var a = new FileStream(pair.PathA, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        using var b = new FileStream(pair.PathB, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        byte[] payload = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'\n', (byte)'\r', 0x11, 0x13];
        a.Write(payload);
        a.Flush();
        Assert.That(ReadExactly(b, payload.Length), Is.EqualTo(payload), "raw mode must pass every byte unchanged");
        b.Write(payload);
        b.Flush();
        Assert.That(ReadExactly(a, payload.Length), Is.EqualTo(payload));
    }

    [Test]
    public void Dispose_RemovesTheLinks()
    {
        string a;
        using (var pair = SocatPair.Create())
        {
            a = pair.PathA;
            Assert.That(File.Exists(a), Is.True);
        }
        Assert.That(File.Exists(a), Is.False);
    }

    private static byte[] ReadExactly(Stream s, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        var task = Task.Run(() =>
        {
            while (read < count)
            {
                var n = s.Read(buffer, read, count - read);
                if (n == 0)
                {
                    break;
                }
                read += n;
            }
        });
        Assert.That(task.Wait(TimeSpan.FromSeconds(5)), Is.True, $"only {read} of {count} bytes arrived");
        return buffer;
    }
}
