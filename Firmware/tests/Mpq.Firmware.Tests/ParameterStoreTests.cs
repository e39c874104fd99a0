using Mpq.Firmware.Settings;

namespace Mpq.Firmware.Tests;

[TestFixture]
public class ParameterStoreTests
{
    private string _dir = null!;
    private readonly List<string> _log = [];

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("mpq-params-").FullName;
        _log.Clear();
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private ParameterStore Store() => new(Path.Combine(_dir, "params.json"), _log.Add);

    [Test]
    public void SaveLoad_RoundTrips()
    {
        var table = FirmwareParameters.Create(1, 2.0);
        table.TrySet(FirmwareParameters.TorqueLimit, 0.5);
        table.TrySet(FirmwareParameters.WatchdogMs, 80);
        Store().Save(table);
        var fresh = FirmwareParameters.Create(1, 2.0);
        Assert.That(Store().Load(fresh), Is.GreaterThan(0));
        Assert.That(fresh.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.5));
        Assert.That(fresh.Get(FirmwareParameters.WatchdogMs), Is.EqualTo(80));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void Load_Missing_DefaultsAndSaysSo()
    {
        var table = FirmwareParameters.Create(1, 2.0);
        Assert.That(Store().Load(table), Is.Zero);
        Assert.That(table.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
        Assert.That(_log, Has.Some.Contains("using defaults"));
    }

    [TestCase("{ this is not json")]
    [TestCase("""{ "format": 1, "values": { "torque_limit": 0.5 }, "crc32c": "00000000" }""")]
    [TestCase("""{ "format": 7, "values": {}, "crc32c": "0" }""")]
    [TestCase("")]
    public void Load_Corrupt_DefaultsWithLoggedErrorNoCrash(string content)
    {
        File.WriteAllText(Path.Combine(_dir, "params.json"), content);
        var table = FirmwareParameters.Create(1, 2.0);
        Assert.That(Store().Load(table), Is.Zero);
        Assert.That(table.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
        Assert.That(_log, Has.Some.StartsWith("error: parameters file"));
    }

    [Test]
    public void Load_HandEditedValue_DetectedByChecksum()
    {
        var table = FirmwareParameters.Create(1, 2.0);
        table.TrySet(FirmwareParameters.TorqueLimit, 0.5);
        Store().Save(table);
        var path = Path.Combine(_dir, "params.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("0.5", "1.9", StringComparison.Ordinal));
        var fresh = FirmwareParameters.Create(1, 2.0);
        Store().Load(fresh);
        Assert.That(fresh.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1), "a tampered file is not trusted");
    }

    [Test]
    public void Load_ValueOutOfRangeForThisRig_SkippedWithMessage()
    {
        var big = FirmwareParameters.Create(1, 10.0);
        big.TrySet(FirmwareParameters.TorqueLimit, 8);
        Store().Save(big);
        var small = FirmwareParameters.Create(1, 2.0);
        Store().Load(small);
        Assert.That(small.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
        Assert.That(_log, Has.Some.Contains("torque_limit").And.Some.Contains("OutOfRange"));
    }
}
