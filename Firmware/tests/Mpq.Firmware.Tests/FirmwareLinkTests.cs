using Mpq.Firmware.VirtualRig;
using System.Diagnostics;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Tests;

/// <summary>The firmware as a controller and a person meet it: over a real pseudo-terminal pair.</summary>
[TestFixture]
[Category("Hil")]
public class FirmwareLinkTests
{
    [Test]
    public void Console_PersonTypesHelpListSetArm_SeesEachEffect()
    {
        using var h = new FirmwareHarness();
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("type 'help'"));
        h.Type("help");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("set NAME VALUE").And.Contain("estop"));
        h.Type("list");
        var list = h.ReadTextUntil("mpq> ");
        Assert.That(list, Does.Contain("torque_limit").And.Contain("watchdog_ms").And.Contain("[0 .. 2]"));
        h.Type("set torque_limit 0.5");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok torque_limit = 0.5"));
        Assert.That(h.Parameters.Get(FirmwareParameters.TorqueLimit), Is.EqualTo(0.5));
        h.Type("set torque_limit 7");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: torque_limit must be between 0 and 2 (got 7)"));
        h.Type("arm");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: no controller"));
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Disarmed));
        h.Type("status");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("state: disarmed").And.Contain("loop: 500 Hz"));
        h.Type("frobnicate");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: unknown command 'frobnicate'"));
        Assert.That(h.States, Is.Empty, "no binary telemetry is sent to a person's terminal");
    }

    // Issue 28: bring-up at the console, typed as a person types it (each line ends with a lone CR, as picocom sends).
    [Test]
    public void BringUp_ZeroAndDirection_LiftTheArmHold_AndAHandMovedZeroRestoresIt()
    {
        using var h = new FirmwareHarness(rig: new VirtualRigOptions { RequireBringUp = true });
        h.ReadTextUntil("mpq> ");
        h.Type("arm");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: bring-up not done"));
        h.Type("set bringup_done 1");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("set by passing bring-up"));
        h.Type("zero 0 pi");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok joint 0 now reads 3.14159").And.Contain("check direction of actuator(s) 0"));
        h.Type("direction 0");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok pulse of +0.2 Nm on actuator 0 for 0.2 s"));
        var result = h.ReadTextUntil("mpq> ", TimeSpan.FromSeconds(5));
        Assert.That(result, Does.Contain("direction 0: ok").And.Contain("Bring-up passed: bringup_done = 1"), result);
        Assert.That(h.Parameters.Get(FirmwareParameters.BringUpDone), Is.EqualTo(1));
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Disarmed), "a pulse never arms the rig");
        h.Type("arm");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: no controller"), "the bring-up hold is gone; arming waits only for a controller now");

        h.Type("set cal_offset_0 0.1");
        var moved = h.ReadTextUntil("mpq> ", TimeSpan.FromSeconds(2)) + h.ReadTextUntil("mpq> ", TimeSpan.FromSeconds(2));
        Assert.That(moved, Does.Contain("bring-up must be done again"));
        Assert.That(h.Parameters.Get(FirmwareParameters.BringUpDone), Is.Zero);
        h.Type("arm");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: bring-up not done"));
    }

    [Test]
    public void BringUp_AMotorWiredBackwards_IsCaughtAndTheRigStaysHeld()
    {
        using var h = new FirmwareHarness(rig: new VirtualRigOptions { RequireBringUp = true, Reversed = [true] });
        h.ReadTextUntil("mpq> ");
        h.Type("zero 0 pi");
        h.ReadTextUntil("mpq> ");
        h.Type("direction 0 0.3");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok pulse of +0.3 Nm"));
        var result = h.ReadTextUntil("mpq> ", TimeSpan.FromSeconds(5));
        Assert.That(result, Does.Contain("direction 0: REVERSED").And.Contain("Swap the motor's leads"), result);
        Assert.That(h.Parameters.Get(FirmwareParameters.BringUpDone), Is.Zero);
        h.Type("arm");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: bring-up not done"));
        h.Type("direction 0 5");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: direction: TORQUE must be a non-zero number within torque_limit"));
        h.Type("zero 3 pi");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("error: zero: joint '3' does not exist"));
        h.Type("zero 0 north");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("is not a number of radians"));
    }

    // Issue 29: 'stream on' is ~10 Hz text for people; a tool (pandas, PlotJuggler's CSV or serial plugins) needs a
    // header and numbers at a rate it chooses.
    [Test]
    public void Console_StreamCsv_AHeaderThenParsableLinesAtTheRate_UntilOff()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Type("stream csv 50");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("ok CSV telemetry at 50 Hz"));
        var header = h.ReadTextUntil("\r\n", TimeSpan.FromSeconds(2)); // the line break that takes the header off the prompt's line
        header = h.ReadTextUntil("\r\n", TimeSpan.FromSeconds(2)).TrimEnd();
        Assert.That(header, Is.EqualTo("t_s,armed,faults,q0_rad,q0_wrapped_rad,v0_rad_s,tau0_Nm"));
        var rows = new List<double[]>();
        for (var i = 0; i < 50; i++)
        {
            var line = h.ReadTextUntil("\r\n", TimeSpan.FromSeconds(2)).TrimEnd();
            var fields = line.Split(',').Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.That(fields, Has.Length.EqualTo(7), line);
            rows.Add(fields);
        }
        var seconds = rows[^1][0] - rows[0][0];
        TestContext.Out.WriteLine($"50 lines in {seconds:F3} s of rig time");
        Assert.That(seconds, Is.InRange(49 * 0.02 * 0.8, 49 * 0.02 * 1.6), "about 50 lines a second");
        Assert.That(rows.Select(r => r[1]), Is.All.EqualTo(0), "disarmed");
        Assert.That(rows.Select(r => r[4]), Is.All.InRange(-Math.PI - 1e-5, Math.PI + 1e-5), "the wrapped angle (6 decimals)");
        Assert.That(rows.Select(r => Math.Abs(r[4])), Is.All.GreaterThan(3.0), "hanging at rest: π");
        h.Type("stream on"); // one stream at a time: the text one replaces the CSV one
        h.ReadTextUntil("ok text telemetry on");
        Thread.Sleep(300);
        h.Type("stream off");
        var between = h.ReadTextUntil("ok telemetry off");
        Assert.That(between.Split('\n').Count(l => l.Count(ch => ch == ',') == 6), Is.LessThanOrEqualTo(2), "'stream on' ended the CSV lines\n" + between);
        Thread.Sleep(200);
        h.Type("status");
        var after = h.ReadTextUntil("mpq> ");
        Assert.That(after.Split('\n').Count(l => l.Count(ch => ch == ',') == 6), Is.LessThanOrEqualTo(2), "stopped (a line may have been on its way)\n" + after);
    }

    // Issue 15, case 2: neither console echoed, so in picocom a person saw nothing of what they typed; arrow keys and
    // Ctrl-L corrupted the line; 'get tor<Tab>' was "unknown parameter 'tor'".
    [Test]
    public void Console_LikePicocom_EchoEditingHistoryAndTabCompletion()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Keys("get torq\t\r");
        var completed = h.ReadTextUntil("\r\nmpq> "); // the redraw after tab shows the prompt too, without a line end before it
        Assert.That(completed, Does.Contain("mpq> get torque_limit "), "tab completed the parameter name, echoed");
        Assert.That(completed, Does.Contain("torque_limit = "), "and the completed line ran");
        Assert.That(completed, Does.Not.Contain("unknown parameter"));

        h.Keys("stayus\u007f\u007f\u007f\u007fatus\r"); // backspaces fix a typo
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("\b \b").And.Contain("state: disarmed"));

        h.Keys("\x1b[A\r"); // up arrow: the last line again
        Assert.That(h.ReadTextUntil("\r\nmpq> "), Does.Contain("mpq> status").And.Contain("state: disarmed"));

        h.Keys("li\x1b[D\x1b[Cst\x0c\r"); // left/right arrows and Ctrl-L do not corrupt the line
        Assert.That(h.ReadTextUntil("\r\nmpq> "), Does.Contain("\x1b[2J").And.Contain("watchdog_ms"));

        h.Keys("arm\x03"); // Ctrl-C abandons the line: nothing runs
        Assert.That(h.ReadTextUntil("^C\r\nmpq> "), Does.Contain("arm"));
        Thread.Sleep(50);
        h.Keys("\r");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Not.Contain("error"), "an empty line after Ctrl-C");
    }

    [Test]
    public void Console_BinaryGarbageThenCr_DroppedNotExecuted()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        h.Keys("\x90\x91status\r"); // bytes no keyboard sends poison the line
        h.Type("help");
        var text = h.ReadTextUntil("mpq> ");
        text += h.ReadTextUntil("mpq> ");
        Assert.That(text, Does.Not.Contain("state: disarmed"), "the poisoned line was not executed");
        Assert.That(text, Does.Contain("commands:"));
    }

    [Test]
    public void ModeRule_HelloGoesBinary_TypedConsoleComesBack()
    {
        using var h = new FirmwareHarness();
        h.ReadTextUntil("mpq> ");
        var ack = h.Handshake();
        Assert.That((ack.Joints, ack.Actuators, ack.LoopRateHz), Is.EqualTo((1, 1, (ushort)500)));
        Assert.That(h.Link.Mode, Is.EqualTo(PortMode.Binary));
        h.NextState(_ => true);
        h.Type("arm");
        Thread.Sleep(100);
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Disarmed), "typed text must not act in binary mode");
        h.Type("console");
        Assert.That(h.ReadTextUntil("mpq> "), Does.Contain("console"));
        Assert.That(h.Link.Mode, Is.EqualTo(PortMode.Console));
        Assert.That(h.Supervisor.HandshakeDone, Is.False, "taking the port back ends the controller's session");
    }

    // Issue 25, case 1: when the port went back to console mode under an armed rig, its last State still said armed and
    // no Fault frame told the controller why it stopped.
    [TestCase("console typed")]
    [TestCase("link silent")]
    public void ArmedPortReturnsToConsole_AFaultAndALastDisarmedStateGoOutFirst(string how)
    {
        using var h = new FirmwareHarness();
        h.Parameters.TrySet(FirmwareParameters.LinkTimeoutMs, 100);
        h.Parameters.TrySet(FirmwareParameters.WatchdogMs, 1000); // the link's silence, not the watchdog, must stop it
        h.ReadTextUntil("mpq> ");
        h.Handshake();
        h.Send(new Arm());
        h.NextState(s => s.Arm == RigArmState.Armed);
        var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
        command.Torque[0] = 0.2f;
        for (var i = 0; i < 20; i++)
        {
            command.AnswersState = h.LatestSequence;
            h.Send(command);
            Thread.Sleep(5);
        }
        h.NextState(s => s.Torque != 0);
        while (h.Others.TryDequeue(out _))
        {
        }
        if (how == "console typed")
        {
            h.Type("console");
        }
        var banner = h.ReadTextUntil("type 'help'", TimeSpan.FromSeconds(3));
        Thread.Sleep(100);
        Assert.That(h.Link.Mode, Is.EqualTo(PortMode.Console));
        var states = h.States.ToArray();
        Assert.That(states, Is.Not.Empty);
        Assert.That(states[^1].Arm, Is.Not.EqualTo(RigArmState.Armed), $"the last State before the console says the rig stopped ({how}); banner: {banner}");
        Assert.That(states[^1].Torque, Is.Zero);
        Assert.That(states[^1].Faults & FaultBits.LinkLost, Is.EqualTo(FaultBits.LinkLost));
        var fault = h.WaitFor<Fault>(TimeSpan.FromSeconds(1));
        Assert.That(fault.Faults & FaultBits.LinkLost, Is.EqualTo(FaultBits.LinkLost), fault.Text);
        Assert.That(h.Supervisor.State, Is.EqualTo(RigArmState.Disarmed));
    }

    [Test]
    public void Hello_AfterAQuietConsoleLongerThanTheLinkTimeout_StaysBinary()
    {
        // A slow log (a busy stderr pipe) widens the moment between the port turning binary and the link's
        // clock being refreshed; the loop thread must never judge the new session by the old console's silence.
        using var h = new FirmwareHarness(log: line =>
        {
            if (line.Contains("binary mode", StringComparison.Ordinal))
            {
                Thread.Sleep(50);
            }
        });
        h.Parameters.TrySet(FirmwareParameters.LinkTimeoutMs, 100);
        h.ReadTextUntil("mpq> ");
        Thread.Sleep(300);
        h.Handshake();
        Thread.Sleep(30);
        Assert.That(h.Link.Mode, Is.EqualTo(PortMode.Binary), string.Join("\n", h.Log));
        Assert.That(h.Log, Has.None.Contains("link silent"));
    }

    [Test]
    public void Binary_ParamSetGetList_ShareTheConsoleRules()
    {
        using var h = new FirmwareHarness();
        h.Handshake();
        h.Send(new ParamSet { Name = FirmwareParameters.TorqueLimit, Value = 0.75 });
        var v = h.WaitFor<ParamValue>();
        Assert.That((v.Status, v.Value, v.Name), Is.EqualTo((ParamStatus.Ok, 0.75, "torque_limit")));
        h.Send(new ParamSet { Name = FirmwareParameters.TorqueLimit, Value = 99 });
        Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.OutOfRange));
        h.Send(new ParamGet { Name = "nope" });
        Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.UnknownName));
        h.Send(new ParamList { Index = 0 });
        var first = h.WaitFor<ParamValue>();
        Assert.That(first.Count, Is.EqualTo(h.Parameters.Count));
        h.Send(new ParamList { Index = 999 });
        Assert.That(h.WaitFor<ParamValue>().Status, Is.EqualTo(ParamStatus.IndexOutOfRange));
    }

    [Test]
    public void EStop_Frame_ZeroOnNextStateAndLatched()
    {
        using var h = new FirmwareHarness();
        h.Handshake();
        h.Send(new Arm());
        var armed = h.NextState(s => s.Arm == RigArmState.Armed);
        var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
        command.Torque[0] = 1f;
        var last = armed;
        var ramp = new List<float>();
        for (var i = 0; i < 200 && last.Torque < 1f; i++)
        {
            command.AnswersState = last.Sequence;
            h.Send(command);
            last = h.NextState(_ => true);
            ramp.Add(last.Torque);
        }
        Assert.That(last.Torque, Is.EqualTo(1f));
        // The default slew rate (20 × the 1 N·m limit per second) ramps a step from 0 to 1 N·m over 50 ms, never at once.
        Assert.That(ramp[0], Is.GreaterThanOrEqualTo(0f).And.LessThan(0.5f), $"ramp {string.Join(' ', ramp.Take(10))}");
        h.Send(new EStop());
        var stopped = h.NextState(s => s.Arm == RigArmState.EStopped);
        Assert.That(stopped.Torque, Is.Zero);
        Assert.That(stopped.Faults.HasFlag(FaultBits.EStop), Is.True);
        // The EStop's own answer (sent once the loop applied it) comes after the Arm's: take both before the next request.
        Assert.That(h.WaitFor<Log>().Text, Is.EqualTo("armed"));
        Assert.That(h.WaitFor<Log>().Text, Is.EqualTo("estop latched"));
        while (h.Others.TryDequeue(out _))
        {
        }
        h.Send(new Arm());
        Assert.That(h.WaitFor<Log>().Text, Does.Contain("estop is latched"));
        h.Send(new ClearFault());
        h.NextState(s => s.Arm == RigArmState.Disarmed);
    }

    [Test]
    public void Watchdog_AfterLastCommand_ZeroTorqueAndDisarmed_100Trials()
    {
        using var h = new FirmwareHarness();
        h.Handshake();
        var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
        command.Torque[0] = 0.2f;
        var onTheRig = new List<double>();
        var endToEnd = new List<double>();
        for (var trial = 0; trial < 100; trial++)
        {
            h.Send(new Arm());
            h.NextState(x => x.Arm == RigArmState.Armed);
            long lastSend = 0;
            var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20;
            while (Stopwatch.GetTimestamp() < until)
            {
                // The newest State, as a controller answers: one taken from a queue that fell behind on a busy machine can
                // be older than command_max_age_ms, and its Command is rightly refused as stale (never fresh).
                command.AnswersState = h.LatestSequence;
                lastSend = h.Send(command);
                Thread.Sleep(2);
            }
            var tripped = h.NextState(x => x.Arm == RigArmState.Disarmed, TimeSpan.FromSeconds(2));
            Assert.That(tripped.Torque, Is.Zero);
            Assert.That(tripped.Faults.HasFlag(FaultBits.WatchdogTimeout), Is.True);
            // The rig's own account: from the last fresh Command it accepted to the tick that applied zero (its clock).
            var clock = Stopwatch.StartNew();
            while (!(h.Supervisor.LastStopTime >= h.Supervisor.LastFreshCommandTime) && clock.ElapsedMilliseconds < 1000)
            {
                Thread.Sleep(1);
            }
            onTheRig.Add((h.Supervisor.LastStopTime - h.Supervisor.LastFreshCommandTime) * 1000);
            endToEnd.Add((tripped.At - lastSend) * 1000.0 / Stopwatch.Frequency);
            h.DrainStates();
        }
        onTheRig.Sort();
        endToEnd.Sort();
        TestContext.Out.WriteLine(h.Loop.Describe());
        TestContext.Out.WriteLine($"gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}");
        TestContext.Out.WriteLine($"on the rig, last fresh Command → zero torque over {onTheRig.Count} trials: min {onTheRig[0]:F2} p50 {onTheRig[50]:F2} max {onTheRig[^1]:F2} ms (watchdog 50 ms, tick 2 ms)");
        TestContext.Out.WriteLine($"end to end, last Command sent → disarmed State received: p50 {endToEnd[50]:F2} ms, p99 {endToEnd[98]:F2} ms, max {endToEnd[^1]:F2} ms");
        Assert.That(onTheRig[0], Is.GreaterThanOrEqualTo(49.9), "never trips early");
        // Target: watchdog + 2 ticks. Both ends and socat share this machine's 2 cores, so the tail is scheduling
        // noise that varies run to run (reported, not asserted); the median must meet the target, and no trial
        // may be grossly late.
        Assert.That(onTheRig[49], Is.LessThanOrEqualTo(50 + 2 * 2), "median within watchdog + 2 ticks");
        Assert.That(endToEnd[^1], Is.LessThan(150), "no trial grossly late, as the peer sees it");
        Assert.That(h.Supervisor.WatchdogTrips, Is.EqualTo(100));
    }
}

/// <summary>Lockstep: the virtual rig advances only when the controller has answered the last State.</summary>
[TestFixture]
[Category("Hil")]
public class LockstepTests
{
    [Test]
    public void Lockstep_WithoutAnswers_WaitsForEachState_WithAnswersRunsAhead()
    {
        using var h = new FirmwareHarness(lockstep: true);
        h.Loop.LockstepTimeout = TimeSpan.FromMilliseconds(100);
        h.Handshake();
        h.DrainStates();
        var clock = Stopwatch.StartNew();
        var unanswered = 0;
        while (clock.ElapsedMilliseconds < 500)
        {
            if (h.States.TryTake(out _, 20))
            {
                unanswered++;
            }
        }
        TestContext.Out.WriteLine($"unanswered {unanswered}; {h.Loop.Describe()}; mode {h.Link.Mode}; sent {h.Link.StatesSent} dropped {h.Link.StatesSkippedBusy} write failures {h.Link.WriteTimeouts}; t {h.Loop.Now():F3}; log: {string.Join(" | ", h.Log)}");
        // Without answers each State waits out the 100 ms timeout: about 5 in 500 ms.
        Assert.That(unanswered, Is.InRange(2, 8));

        var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
        var answered = 0;
        var startTime = h.Loop.Now();
        clock.Restart();
        while (clock.ElapsedMilliseconds < 500)
        {
            if (h.States.TryTake(out var s, 20))
            {
                command.AnswersState = s.Sequence;
                h.Send(command);
                answered++;
            }
        }
        Assert.That(answered, Is.GreaterThan(5 * unanswered), "answered States let the rig tick on at once");
        Assert.That(h.Loop.Now() - startTime, Is.EqualTo(answered * 0.002).Within(0.05), "virtual time advances one tick per answered State");
    }
}
