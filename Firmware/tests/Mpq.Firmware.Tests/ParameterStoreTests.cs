using System.Text.RegularExpressions;
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

    private string FilePath => Path.Combine(_dir, "params.json");

    private ParameterStore Store() => new(FilePath, _log.Add);

    /// <summary>A file saved with the limits tighter than the defaults, as a careful user leaves them.</summary>
    private string SavedTight()
    {
        var table = FirmwareParameters.Create(1, 2.0);
        table.TrySet(FirmwareParameters.TorqueLimit, 0.3);
        table.TrySet(FirmwareParameters.WatchdogMs, 30);
        table.TrySet(FirmwareParameters.VelocityLimit(0), 8);
        table.TrySet(FirmwareParameters.PositionMin(0), -1.5);
        table.TrySet(FirmwareParameters.PositionMax(0), 1.5);
        Store().Save(table);
        return File.ReadAllText(FilePath);
    }

    [Test]
    public void SaveLoad_RoundTrips()
    {
        SavedTight();
        var fresh = FirmwareParameters.Create(1, 2.0);
        var check = Store().Load(fresh);
        Assert.That(check.Problem, Is.Null);
        Assert.That(check.Applied, Is.GreaterThan(0));
        Assert.That(fresh.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.3));
        Assert.That(fresh.Get(FirmwareParameters.WatchdogMs), Is.EqualTo(30));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public void Load_Missing_DefaultsAndSaysSo_NoProblem()
    {
        var table = FirmwareParameters.Create(1, 2.0);
        var check = Store().Load(table);
        Assert.That((check.Applied, check.Problem), Is.EqualTo((0, (string?)null)), "a first start has no file: defaults, armable");
        Assert.That(table.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
        Assert.That(_log, Has.Some.Contains("using defaults"));
    }

    // Issue 25, case 2: each of these fell back to the defaults (torque_limit 0.3 → 1, watchdog 30 → 50 ms, velocity
    // limit 8 → 50, joint limits ±1.5 → ±1e9) with one line on stderr, and the rig armed. A duplicate key exited 2 with
    // "An item with the same key…", naming no file.
    [TestCase("one digit changed", "checksum")]
    [TestCase("truncated", "not valid JSON")]
    [TestCase("empty", "is empty")]
    [TestCase("string value", "'torque_limit' is a String, not a number")]
    [TestCase("null value", "'watchdog_ms' is a Null, not a number")]
    [TestCase("duplicate key", "'torque_limit' appears twice")]
    [TestCase("missing field", "'vel_limit_0' is missing")]
    [TestCase("unknown field", "'torque_limt' is not a parameter of this firmware")]
    [TestCase("read-only field", "'firmware_version' is read-only")]
    [TestCase("not an object", "not a JSON object")]
    [TestCase("no checksum", "no 'crc32c'")]
    [TestCase("other format", "format 7")]
    public void Load_Damaged_NothingLoaded_ProblemNamesTheFileAndTheField(string damage, string said)
    {
        var text = SavedTight();
        text = damage switch
        {
            "one digit changed" => text.Replace("\"watchdog_ms\": 30", "\"watchdog_ms\": 90", StringComparison.Ordinal),
            "truncated" => text[..(text.Length / 2)],
            "empty" => "",
            "string value" => text.Replace("\"torque_limit\": 0.3", "\"torque_limit\": \"0.3\"", StringComparison.Ordinal),
            "null value" => text.Replace("\"watchdog_ms\": 30", "\"watchdog_ms\": null", StringComparison.Ordinal),
            "duplicate key" => text.Replace("\"torque_limit\": 0.3", "\"torque_limit\": 0.3, \"torque_limit\": 2", StringComparison.Ordinal),
            "missing field" => Regex.Replace(text, "\\s*\"vel_limit_0\": 8,", ""),
            "unknown field" => text.Replace("\"torque_limit\"", "\"torque_limt\"", StringComparison.Ordinal),
            "read-only field" => text.Replace("\"torque_limit\": 0.3", "\"firmware_version\": 1, \"torque_limit\": 0.3", StringComparison.Ordinal),
            "not an object" => "[1, 2, 3]",
            "no checksum" => Regex.Replace(text, ",\\s*\"crc32c\": \"[0-9a-f]+\"", ""),
            "other format" => text.Replace("\"format\": 1", "\"format\": 7", StringComparison.Ordinal),
            _ => throw new ArgumentException(damage),
        };
        File.WriteAllText(FilePath, text);
        var table = FirmwareParameters.Create(1, 2.0);
        var check = Store().Load(table);
        Assert.That(check.Problem, Does.Contain(FilePath).And.Contain(said), check.Problem);
        Assert.That(check.Applied, Is.Zero, "all or nothing: no value of a damaged file is used");
        Assert.That(table.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1), "defaults in the table; arming is refused until a person accepts them");
    }

    [Test]
    public void Load_ValueOutOfRangeForThisRig_AProblemNamingTheFieldAndTheRange()
    {
        var big = FirmwareParameters.Create(1, 10.0);
        big.TrySet(FirmwareParameters.TorqueLimit, 8);
        Store().Save(big);
        var small = FirmwareParameters.Create(1, 2.0);
        var check = Store().Load(small);
        Assert.That(check.Problem, Does.Contain("'torque_limit' = 8 is outside 0 .. 2 N·m"));
        Assert.That(small.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));
    }

    [Test]
    public void Load_AFileFromBeforeBringUpExisted_IsNotDamage_AndBringUpReadsNotDone()
    {
        // Files saved before bringup_done existed lack it: that is not damage (no limit depends on it), and a rig that
        // needs bring-up keeps its default, not done.
        var old = FirmwareParameters.Create(1, 2.0);
        old.TrySet(FirmwareParameters.TorqueLimit, 0.3);
        var pairs = old.Definitions.Select((d, i) => (d.Name, Value: old[i]))
            .Where(p => !old.Definitions.First(d => d.Name == p.Name).ReadOnly && p.Name != FirmwareParameters.BringUpDone).ToList();
        File.WriteAllText(FilePath, Mpq.Protocol.Console.ParameterFile.Write(pairs)); // signed, as that firmware wrote it
        var hardware = FirmwareParameters.Create(1, 2.0, bringUpDone: false);
        Assert.That(Store().Load(hardware).Problem, Is.Null);
        Assert.That(hardware.Get(FirmwareParameters.BringUpDone), Is.Zero);
        Assert.That(hardware.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.3), "the rest of the file is in force");
    }

    [Test]
    public void Sign_AfterAValidHandEdit_LoadsTheEditedValue()
    {
        File.WriteAllText(FilePath, SavedTight().Replace("\"torque_limit\": 0.3", "\"torque_limit\": 0.25", StringComparison.Ordinal));
        Assert.That(Store().Load(FirmwareParameters.Create(1, 2.0)).Problem, Does.Contain("checksum"), "a hand edit is damage until signed");
        var table = FirmwareParameters.Create(1, 2.0);
        Assert.That(Store().Sign(table), Does.Contain("signed"));
        var fresh = FirmwareParameters.Create(1, 2.0);
        Assert.That(Store().Load(fresh).Problem, Is.Null);
        Assert.That(fresh.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.25));
    }

    [Test]
    public void Sign_HandEditOutOfRange_RefusedNamingTheField_FileUnchanged()
    {
        var text = SavedTight().Replace("\"watchdog_ms\": 30", "\"watchdog_ms\": 3", StringComparison.Ordinal);
        File.WriteAllText(FilePath, text);
        var e = Assert.Throws<InvalidDataException>(() => Store().Sign(FirmwareParameters.Create(1, 2.0)));
        Assert.That(e!.Message, Does.Contain(FilePath).And.Contain("'watchdog_ms' = 3 is outside 5 .. 1000 ms"));
        Assert.That(File.ReadAllText(FilePath), Is.EqualTo(text));
    }

    [Test]
    public void MoveAside_KeepsTheOldFileBesideIt()
    {
        File.WriteAllText(FilePath, "{ damaged");
        var moved = Store().MoveAside("before-reset");
        Assert.That(moved, Is.Not.Null);
        Assert.That(File.Exists(FilePath), Is.False);
        Assert.That(File.ReadAllText(moved!), Is.EqualTo("{ damaged"), "kept for a person to look at");
        Assert.That(Path.GetFileName(moved), Does.StartWith("params.json.before-reset-"));
    }

    // Issue 25, case 3: every failed save or kill -9 left a .params.json.<pid>.tmp that nothing removed.
    [Test]
    public void CleanStaleTemporaryFiles_RemovesThoseOfDeadProcesses_KeepsOthers()
    {
        SavedTight();
        var dead = Path.Combine(_dir, ".params.json.999999999.tmp");
        var live = Path.Combine(_dir, $".params.json.{Environment.ProcessId}.tmp");
        var other = Path.Combine(_dir, ".other.json.999999999.tmp");
        foreach (var f in (string[])[dead, live, other])
        {
            File.WriteAllText(f, "partial");
        }
        Assert.That(Store().CleanStaleTemporaryFiles(), Is.EqualTo(1));
        Assert.That((File.Exists(dead), File.Exists(live), File.Exists(other)), Is.EqualTo((false, true, true)));
    }
}
