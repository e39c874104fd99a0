using Mpq.Common;
using Mpq.Protocol.Framing;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class CobsTests
{
    // The reference examples of the COBS encoding (Cheshire & Baker), without the trailing delimiter.
    [TestCase("", "01")]
    [TestCase("00", "0101")]
    [TestCase("0000", "010101")]
    [TestCase("00110000", "0102110101")]
    [TestCase("11220033", "0311220233")]
    [TestCase("11223344", "0511223344")]
    [TestCase("11000000", "0211010101")]
    public void Encode_ReferenceVectors(string input, string expected)
    {
        var source = Convert.FromHexString(input);
        var buffer = new byte[Cobs.MaxEncodedLength(source.Length)];
        var n = Cobs.Encode(source, buffer);
        Assert.That(Convert.ToHexString(buffer, 0, n), Is.EqualTo(expected));
        var back = new byte[source.Length + 1];
        Assert.That(Cobs.Decode(buffer.AsSpan(0, n), back), Is.EqualTo(source.Length));
        Assert.That(back.AsSpan(0, source.Length).ToArray(), Is.EqualTo(source));
    }

    [Test]
    public void Encode_254NonZeroBytes_HasNoTrailingEmptyBlock()
    {
        var source = Enumerable.Range(1, 254).Select(i => (byte)i).ToArray();
        var buffer = new byte[Cobs.MaxEncodedLength(source.Length)];
        var n = Cobs.Encode(source, buffer);
        Assert.That(n, Is.EqualTo(255));
        Assert.That(buffer[0], Is.EqualTo(0xFF));
    }

    // The 254-byte run, specified (Protocol/README.md, "COBS at a full block"): encoders end with the full block and
    // append no 0x01; decoders accept both forms. Golden: 254 × 0x01..0xFE → FF 01..FE; and with a trailing 0x00 → FF 01..FE 01 01.
    [Test]
    public void Golden_Exact254Run_BothEndings()
    {
        var run = Enumerable.Range(1, 254).Select(i => (byte)i).ToArray();
        var hex = Convert.ToHexString(run);
        Encode_ReferenceVectors(hex, "FF" + hex);
        Encode_ReferenceVectors(hex + "00", "FF" + hex + "0101");
        var withExtraBlock = Convert.FromHexString("FF" + hex + "01");
        var back = new byte[300];
        Assert.That(Cobs.Decode(withExtraBlock, back), Is.EqualTo(254), "a decoder also accepts an encoder that appends the empty block");
        Assert.That(back.AsSpan(0, 254).ToArray(), Is.EqualTo(run));
    }

    [Test]
    public void RoundTrip_RandomBlocks()
    {
        var rng = new Random(5);
        for (var trial = 0; trial < 2000; trial++)
        {
            var source = new byte[rng.Next(0, 1100)];
            rng.NextBytes(source);
            for (var i = 0; i < source.Length; i++)
            {
                if (rng.Next(4) == 0)
                {
                    source[i] = 0;
                }
            }
            var buffer = new byte[Cobs.MaxEncodedLength(source.Length)];
            var n = Cobs.Encode(source, buffer);
            Assert.That(buffer.AsSpan(0, n).Contains((byte)0), Is.False);
            var back = new byte[source.Length];
            Assert.That(Cobs.Decode(buffer.AsSpan(0, n), back), Is.EqualTo(source.Length));
            Assert.That(back, Is.EqualTo(source));
        }
    }

    [TestCase("0511")]      // code runs past the end
    [TestCase("031100")]    // zero inside a block
    [TestCase("00")]        // zero code
    public void Decode_Invalid_ReturnsMinusOne(string input) =>
        Assert.That(Cobs.Decode(Convert.FromHexString(input), new byte[16]), Is.EqualTo(-1));

    [Test]
    public void Decode_DestinationTooSmall_ReturnsMinusOne() =>
        Assert.That(Cobs.Decode(Convert.FromHexString("0511223344"), new byte[2]), Is.EqualTo(-1));
}

[TestFixture]
public class Crc32CTests
{
    [Test]
    public void Compute_CheckValue() =>
        Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));

    [Test]
    public void Compute_Empty_IsZero() => Assert.That(Crc32C.Compute([]), Is.Zero);

    [Test]
    public void Compute_32Zeros_MatchesRfc3720() =>
        // RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros.
        Assert.That(Crc32C.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu));
}
