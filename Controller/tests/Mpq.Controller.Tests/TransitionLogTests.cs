using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class TransitionLogTests
{
    private string _path = null!;

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), $"mpq-log-{Guid.NewGuid():N}.log");

    [TearDown]
    public void TearDown() => File.Delete(_path);

    private (double[] Costs, TransitionLogHeader Header) Record(int episodes)
    {
        var task = new PendulumSwingup();
        using var pool = new WorkerPool(1);
        using var runner = new EpisodeRunner(task, new MppiSettings { Samples = 16, Horizon = 4 }, pool, biasedModel: false, seed: 3);
        var header = TransitionLogHeader.For(task, stateSize: 2, source: "sim");
        using var log = TransitionLog.Create(_path, header);
        var costs = Enumerable.Range(0, episodes).Select(e => runner.Run(e, log).TotalCost).ToArray();
        return (costs, header);
    }

    // The loop's thread used to write and fsync the log itself: beside a learner writing its Q every 5 s, one fsync took
    // 196 ms and the rig's 125-ms watchdog tripped 27 s into an online run. The disk is now the log's own thread's.
    [Test]
    public void Add_DiskBehindASmallBuffer_NeverWaits_KeepsWholeRecordsInOrder_CountsTheRest()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig");
        const int n = 20_000;
        long dropped;
        using (var log = TransitionLog.Create(_path, header, bufferBytes: 3 * TransitionLog.RecordSize(header)))
        {
            double[] o = [1, 0, 0], a = [0.5], x = [0, 0];
            for (var i = 0; i < n; i++)
            {
                log.Add(new Transition(i, o, a, i, o, x, x, false));
            }
            log.Event(n, "stop: test");
            dropped = log.Dropped;
            Assert.That(log.Records, Is.EqualTo(n), "every transition was handed over");
        }
        var back = TransitionLogReader.Read(_path);
        Assert.That(back.SkippedBytes, Is.Zero, "only whole records reach the file");
        Assert.That(back.Records.Count + back.Events.Count + dropped, Is.EqualTo(n + 1));
        Assert.That(back.Records.Select(r => r.Step), Is.Ordered.Ascending);
        Assert.That(back.Records.Select(r => r.Cost - r.Step), Is.All.EqualTo(0.0), "no record mixes two steps");
    }

    [Test]
    public void WriteRead_RoundTripsEveryTransition()
    {
        var (costs, _) = Record(2);
        var log = TransitionLogReader.Read(_path);
        Assert.That(log.Records, Has.Count.EqualTo(400));
        Assert.That(log.SkippedBytes, Is.Zero);
        Assert.That(log.Header.Task, Is.EqualTo("pendulum"));
        var byEpisode = log.Records.GroupBy(r => r.Episode).Select(g => g.Sum(r => r.Cost)).ToArray();
        Assert.That(byEpisode, Is.EqualTo(costs).Within(1e-9));
        Assert.That(log.Records.Count(r => r.Done), Is.EqualTo(2));
        var first = log.Records[0];
        Assert.That(first.Observation[0], Is.EqualTo((float)Math.Cos(first.State[0])).Within(1e-6));
        Assert.That(log.Records[1].State, Is.EqualTo(first.NextState), "s' of one step is s of the next");
    }

    [Test]
    public void Read_TruncatedTail_KeepsIntactRecordsAndSaysSo()
    {
        Record(1);
        var bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..^50]);
        var log = TransitionLogReader.Read(_path);
        Assert.That(log.Records, Has.Count.EqualTo(199));
        Assert.That(log.SkippedBytes, Is.GreaterThan(0));
        Assert.That(log.DamagedRecords, Is.Zero);
    }

    [Test]
    public void Read_DamagedRecord_StopsThere()
    {
        var (_, header) = Record(1);
        var bytes = File.ReadAllBytes(_path);
        var size = TransitionLog.RecordSize(header);
        bytes[^(size * 10 + 5)] ^= 0x10; // inside record 189 (0-based) of 200: the last ten follow it
        File.WriteAllBytes(_path, bytes);
        var log = TransitionLogReader.Read(_path);
        Assert.That(log.Records, Has.Count.EqualTo(189));
        Assert.That(log.DamagedRecords, Is.EqualTo(1));
    }

    [Test]
    public void WriteRead_EventsAndAppliedActions_RoundTrip()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig");
        using (var log = TransitionLog.Create(_path, header))
        {
            log.Add(new Transition(0, [1, 0, 0], [0.8], 1.5, [1, 0, 0.1], [0, 0], [0, 0.1], false, [0.25]));
            log.Event(1, "horizon=12 noise_std=0.5");
            log.Add(new Transition(1, [1, 0, 0.1], [-0.8], 1.25, [1, 0, 0.2], [0, 0.1], [0, 0.2], true));
        }
        var read = TransitionLogReader.Read(_path);
        Assert.That(read.Header.Format, Is.EqualTo(3));
        Assert.That(read.HeaderChecked, Is.True);
        Assert.That(read.Records.Select(r => r.Measured![0]), Is.EqualTo(new[] { 0.25f, -0.8f }), "applied as reported; the commanded one when none was");
        Assert.That(read.Events.Select(e => (e.Episode, e.Step, e.Text)), Is.EqualTo(new[] { (0, 1L, "horizon=12 noise_std=0.5") }));
        Assert.That(read.SkippedBytes, Is.Zero);
    }

    [Test]
    public void Read_FormatOne_StillReadWithoutAppliedActions()
    {
        // Format 1 as the previous build wrote it: no kind byte, no applied action.
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "sim") with { Format = 1 };
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(header);
        using (var f = File.Create(_path))
        using (var w = new BinaryWriter(f))
        {
            w.Write(TransitionLog.MagicVersion1);
            w.Write((uint)json.Length);
            w.Write(json);
            var record = new MemoryStream();
            using (var r = new BinaryWriter(record, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                r.Write(0.5); r.Write(0); r.Write(0);
                r.Write(0.1); r.Write(0.2);
                r.Write(1f); r.Write(0f); r.Write(0.2f);
                r.Write(0.7f);
                r.Write(3.0);
                r.Write(0.11); r.Write(0.3);
                r.Write(1f); r.Write(0f); r.Write(0.3f);
                r.Write((byte)1);
            }
            var bytes = record.ToArray();
            w.Write(bytes);
            w.Write(Mpq.Common.Crc32C.Compute(bytes));
        }
        var read = TransitionLogReader.Read(_path);
        Assert.That(read.Records, Has.Count.EqualTo(1));
        Assert.That((read.Records[0].Action[0], read.Records[0].Cost, read.Records[0].Done, read.Records[0].Measured), Is.EqualTo((0.7f, 3.0, true, (float[]?)null)));
        Assert.That(read.Events, Is.Empty);
    }

    [Test]
    public void Read_TruncatedEvent_KeepsWhatCameBefore()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig");
        using (var log = TransitionLog.Create(_path, header))
        {
            log.Add(new Transition(0, [1, 0, 0], [0.8], 1.5, [1, 0, 0.1], [0, 0], [0, 0.1], false));
            log.Event(1, "lambda=0.2");
        }
        var bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..^6]);
        var read = TransitionLogReader.Read(_path);
        Assert.That((read.Records.Count, read.Events.Count, read.DamagedRecords), Is.EqualTo((1, 0, 0)));
        Assert.That(read.SkippedBytes, Is.GreaterThan(0));
    }

    // Issue 25, case 6: one bit flip turned the mass bias 1.3 into 9.3, 'log inspect' said "intact" and 'train --from-log'
    // learned on it; a header declaring StateSize 2e9 made 'log export' grow to 2.9 GB with no output; a null field gave
    // an error naming neither file nor field.
    [Test]
    public void Read_HeaderBitFlip_RefusedAsDamaged()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig");
        using (var log = TransitionLog.Create(_path, header))
        {
            log.Add(new Transition(0, [1, 0, 0], [0.8], 1.5, [1, 0, 0.1], [0, 0], [0, 0.1], false));
        }
        var bytes = File.ReadAllBytes(_path);
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var at = text.IndexOf("\"mass\":[", StringComparison.Ordinal) + "\"mass\":[".Length;
        Assert.That(bytes[at], Is.EqualTo((byte)'1'), text[..200]);
        bytes[at] ^= 0x08; // '1' → '9': the mass bias 1.3 becomes 9.3
        File.WriteAllBytes(_path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => TransitionLogReader.Read(_path))!;
        Assert.That(e.Message, Does.Contain(_path).And.Contain("header is damaged (checksum mismatch)"));
    }

    [TestCase("StateSize", "2000000000", "header field 'StateSize' = 2000000000 is outside 1 .. 4096")]
    [TestCase("ActionSize", "-3", "header field 'ActionSize' = -3 is outside 1 .. 4096")]
    [TestCase("Task", "null", "header field 'Task' is missing or null")]
    [TestCase("ObservationLayout", "null", "header field 'ObservationLayout' must name each")]
    [TestCase("Priors", "null", "header field 'Priors' must map each parameter")]
    [TestCase("Planner", "null", "header field 'Planner' is missing or holds a null")]
    public void Read_HeaderOutOfBoundsOrNull_ChecksumValid_RefusedNamingTheField(string field, string value, string said)
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig");
        var node = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(header))!.AsObject();
        node[field] = System.Text.Json.Nodes.JsonNode.Parse(value);
        var json = System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
        var head = new byte[8 + 4 + json.Length];
        TransitionLog.Magic.CopyTo(head, 0);
        BitConverter.GetBytes((uint)json.Length).CopyTo(head, 8);
        json.CopyTo(head, 12);
        File.WriteAllBytes(_path, [.. head, .. BitConverter.GetBytes(Mpq.Common.Crc32C.Compute(head)), .. new byte[64]]);
        var e = Assert.Throws<InvalidDataException>(() => TransitionLogReader.Read(_path))!;
        Assert.That(e.Message, Does.Contain(_path).And.Contain(said));
    }

    [Test]
    public void Read_HeaderLengthBeyondTheBound_Refused()
    {
        File.WriteAllBytes(_path, [.. TransitionLog.Magic, .. BitConverter.GetBytes(uint.MaxValue), .. new byte[16]]);
        Assert.That(Assert.Throws<InvalidDataException>(() => TransitionLogReader.Read(_path))!.Message, Does.Contain("the header declares 4294967295 bytes"));
    }

    [Test]
    public void Read_FormatTwo_StillRead_HeaderUnchecked()
    {
        var header = TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "sim") with { Format = 2 };
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(header);
        File.WriteAllBytes(_path, [.. TransitionLog.MagicVersion2, .. BitConverter.GetBytes((uint)json.Length), .. json]);
        var read = TransitionLogReader.Read(_path);
        Assert.That((read.Header.Format, read.HeaderChecked, read.Records.Count), Is.EqualTo((2, false, 0)));
    }

    [Test]
    public void Read_NotALog_Throws()
    {
        File.WriteAllText(_path, "hello, this is not a log at all");
        Assert.That(Assert.Throws<InvalidDataException>(() => TransitionLogReader.Read(_path))!.Message, Does.Contain("not a transition log"));
    }

    [Test]
    public void Create_ExistingFile_NotOverwritten()
    {
        File.WriteAllText(_path, "precious");
        Assert.Throws<IOException>(() => TransitionLog.Create(_path, new TransitionLogHeader()).Dispose());
        Assert.That(File.ReadAllText(_path), Is.EqualTo("precious"));
    }
}
