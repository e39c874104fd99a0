using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Tests;

/// <summary>
/// Issue 29: no backup, restore or diff of the parameters (odrivetool backup/restore-config, MAVProxy param
/// save/load); hand-editing the live file was the only way, and it is treated as damage. Typed at the console over a pty.
/// </summary>
[TestFixture]
[Category("Hil")]
public class ParameterBackupTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), $"mpq-backup-{Guid.NewGuid():N}"));

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void SaveDiffLoad_AtTheConsole_ShowsTheDifferenceFirst_AppliesOnYes_AndPersists()
    {
        var live = Path.Combine(_dir, "params.json");
        var backup = Path.Combine(_dir, "backup.json");
        using (var h = new FirmwareHarness(paramsPath: live))
        {
            h.ReadTextUntil("mpq> ");
            h.Type("set torque_limit 0.5");
            h.ReadTextUntil("mpq> ");
            h.Type($"params save {backup}");
            Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("parameters saved to " + backup));
            h.Type("set torque_limit 1.5");
            h.ReadTextUntil("mpq> ");
            h.Type("set watchdog_ms 40");
            h.ReadTextUntil("mpq> ");

            h.Type($"params diff {backup}");
            var diff = h.ReadTextUntil("mpq> ");
            Assert.That(diff, Does.Contain("2 difference(s)"));
            Assert.That(diff, Does.Match(@"torque_limit\s+1\.5 -> 0\.5"));
            Assert.That(diff, Does.Match(@"watchdog_ms\s+40 -> 50\s+ms\s+\(looser"), "a looser limit is marked");

            h.Type($"params load {backup}");
            Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("nothing changed yet: type 'params load"));
            Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1.5), "shown, not applied");

            h.Type($"params load {backup} yes");
            Assert.That(h.ReadTextUntil("mpq> "), Does.Contain($"ok values of {backup} in force"));
            Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.5));
            Assert.That(h.Parameters.Get(FirmwareParameters.WatchdogMs), Is.EqualTo(50));
            h.Type($"params diff {backup}");
            Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("matches the parameters in force"));
            Thread.Sleep(ParameterKeeper.SaveDebounce * 3);
        }
        using (var again = new FirmwareHarness(paramsPath: live))
        {
            Assert.That(again.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.5), "the loaded values were saved to the live file");
        }
    }

    [Test]
    public void Load_HandEditedOutOfRange_RefusedNamingTheField_NothingChanged()
    {
        var backup = Path.Combine(_dir, "backup.json");
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Type($"params save {backup}");
        h.ReadTextUntil("mpq> ");
        File.WriteAllText(backup, File.ReadAllText(backup).Replace("\"torque_limit\": 1", "\"torque_limit\": 9", StringComparison.Ordinal));
        h.Type($"params load {backup} yes");
        var reply = h.ReadTextUntil("mpq> ");
        Assert.That(reply, Does.Contain("cannot be loaded: 'torque_limit' = 9 is outside"));
        Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(1));

        // An edit within range is allowed: the person sees it in the difference and that it was edited.
        File.WriteAllText(backup, File.ReadAllText(backup).Replace("\"torque_limit\": 9", "\"torque_limit\": 0.8", StringComparison.Ordinal));
        h.Type($"params diff {backup}");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("was edited since it was saved").And.Match(@"torque_limit\s+1 -> 0\.8"));
    }

    [Test]
    public void Save_OverTheLiveFile_Refused()
    {
        var live = Path.Combine(_dir, "params.json");
        using var h = new FirmwareHarness(paramsPath: live);
        Assert.That(h.Link.ConsoleTarget.ParamsFile("save", live, confirmed: false), Does.StartWith("error: ").And.Contain("own parameters file"));
    }

    [Test]
    public void Load_WhileArmed_Refused()
    {
        var backup = Path.Combine(_dir, "backup.json");
        using var h = new FirmwareHarness();
        Assert.That(h.Link.ConsoleTarget.ParamsFile("save", backup, confirmed: false), Does.StartWith("ok"));
        h.Parameters.TrySet(FirmwareParameters.TorqueLimit, 0.3);
        h.Parameters.TrySet(FirmwareParameters.WatchdogMs, 1000); // armed without Commands: the watchdog must not disarm it first
        h.Handshake();
        h.Send(new Arm());
        h.NextState(x => x.Arm == RigArmState.Armed);
        Assert.That(h.Link.ConsoleTarget.ParamsFile("load", backup, confirmed: true), Does.StartWith("error: disarm first"));
        Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.3).Within(1e-9));
    }
}
