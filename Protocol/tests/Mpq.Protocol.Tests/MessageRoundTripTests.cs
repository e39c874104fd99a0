using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Tests;

[TestFixture]
public class MessageRoundTripTests
{
    public static IEnumerable<TestCaseData> Samples() =>
        SampleMessages.All().Select(m => new TestCaseData(m).SetArgDisplayNames(m.Type.ToString()));

    [TestCaseSource(nameof(Samples))]
    public void EncodeDecode_EveryType_ReproducesTheFrame(Message message)
    {
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Encode(message, 0xBEEF, wire, new byte[Frame.MaxRawFrame]);
        var decoder = new FrameDecoder();
        ReadOnlySpan<byte> input = wire.AsSpan(0, n);
        Assert.That(decoder.TryDecode(ref input, out var decoded), Is.True, decoder.Stats.ToString());
        Assert.That(decoded!.Type, Is.EqualTo(message.Type));
        Assert.That(decoder.LastSequence, Is.EqualTo(0xBEEF));
        var again = new byte[Frame.MaxWireFrame];
        var m = FrameWriter.Encode(decoded, 0xBEEF, again, new byte[Frame.MaxRawFrame]);
        Assert.That(again.AsSpan(0, m).ToArray(), Is.EqualTo(wire.AsSpan(0, n).ToArray()));
    }

    [Test]
    public void State_FieldsSurvive()
    {
        var state = (State)SampleMessages.All().First(m => m.Type == MessageType.State);
        var decoded = (State)RoundTrip(state);
        Assert.Multiple(() =>
        {
            Assert.That(decoded.TimeMicroseconds, Is.EqualTo(123_456_789UL));
            Assert.That(decoded.Sequence, Is.EqualTo(42u));
            Assert.That(decoded.ArmState, Is.EqualTo(RigArmState.Armed));
            Assert.That(decoded.Position.ToArray(), Is.EqualTo(new[] { 3.14159f, -0.5f }));
            Assert.That(decoded.Velocity.ToArray(), Is.EqualTo(new[] { 1.25f, -2f }));
            Assert.That(decoded.Torque.ToArray(), Is.EqualTo(new[] { 0.75f }));
            Assert.That(decoded.Status, Is.EqualTo(StatusFlags.HandshakeDone | StatusFlags.TorqueLimited));
            Assert.That(decoded.CommandEcho, Is.EqualTo((ushort)41));
        });
    }

    [Test]
    public void Command_NaNTorque_PassesThroughForTheSafetyLayerToReject()
    {
        var command = new Command { Actuators = 1, AnswersState = 7 };
        command.Torque[0] = float.NaN;
        var decoded = (Command)RoundTrip(command);
        Assert.That(float.IsNaN(decoded.Torque[0]), Is.True);
    }

    [Test]
    public void State_SixteenJoints_Fits()
    {
        var state = new State { Joints = Frame.MaxJoints, Actuators = Frame.MaxJoints };
        state.Position[15] = 1.5f;
        var decoded = (State)RoundTrip(state);
        Assert.That(decoded.Joints, Is.EqualTo(16));
        Assert.That(decoded.Position[15], Is.EqualTo(1.5f));
    }

    [Test]
    public void Name_TooLong_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new ParamGet { Name = new string('x', 32) });

    [Test]
    public void Joints_OverMaximum_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new State { Joints = 17 });

    [Test]
    public void LogText_TooLong_IsCut()
    {
        var log = new Log { Text = new string('a', 500) };
        Assert.That(log.Text, Has.Length.EqualTo(TextMessage.MaxText));
        Assert.That(((Log)RoundTrip(log)).Text, Has.Length.EqualTo(TextMessage.MaxText));
    }

    internal static Message RoundTrip(Message message)
    {
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Encode(message, 1, wire, new byte[Frame.MaxRawFrame]);
        ReadOnlySpan<byte> input = wire.AsSpan(0, n);
        var decoder = new FrameDecoder();
        Assert.That(decoder.TryDecode(ref input, out var decoded), Is.True, decoder.Stats.ToString());
        return decoded!;
    }
}

/// <summary>
/// Checked-in wire bytes of every message type, so another implementation (a C firmware on a
/// microcontroller) can be checked against them. Regenerate deliberately with MPQ_UPDATE_GOLDEN=1.
/// </summary>
[TestFixture]
public class GoldenVectorTests
{
    public static IEnumerable<TestCaseData> Samples() =>
        SampleMessages.All().Select((m, i) => new TestCaseData(m, (ushort)(0x0100 + i)).SetArgDisplayNames(m.Type.ToString()));

    [TestCaseSource(nameof(Samples))]
    public void Encode_MatchesGoldenBytes(Message message, ushort sequence)
    {
        var wire = new byte[Frame.MaxWireFrame];
        var n = FrameWriter.Encode(message, sequence, wire, new byte[Frame.MaxRawFrame]);
        var hex = Convert.ToHexString(wire, 0, n);
        var name = $"{message.Type}.hex";
        if (Environment.GetEnvironmentVariable("MPQ_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDirectory(), "golden", name), hex + "\n");
            Assert.Pass($"wrote golden/{name}");
        }
        var path = Path.Combine(AppContext.BaseDirectory, "golden", name);
        Assert.That(File.Exists(path), Is.True, $"golden/{name} is missing: run once with MPQ_UPDATE_GOLDEN=1 and review the diff");
        Assert.That(hex, Is.EqualTo(File.ReadAllText(path).Trim()), $"wire bytes of {message.Type} changed: a protocol change must bump Frame.ProtocolVersion");
    }

    [Test]
    public void GoldenFiles_DecodeToTheirType()
    {
        foreach (var message in SampleMessages.All())
        {
            var bytes = Convert.FromHexString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", $"{message.Type}.hex")).Trim());
            ReadOnlySpan<byte> input = bytes;
            var decoder = new FrameDecoder();
            Assert.That(decoder.TryDecode(ref input, out var decoded), Is.True, $"{message.Type}: {decoder.Stats}");
            Assert.That(decoded!.Type, Is.EqualTo(message.Type));
        }
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
