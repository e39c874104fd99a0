using System.Diagnostics;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.HilTests;

/// <summary>
/// Issue 13: Ctrl-C stops the firmware process with zero torque within 1 s in every state, a stuck peer included
/// (before, a peer that stopped reading froze the process: only kill -9 ended it).
/// </summary>
[TestFixture]
[Category("Hil")]
public class FirmwareInterruptTests
{
    public enum Situation
    {
        /// <summary>Nobody connected: console mode.</summary>
        Idle,

        /// <summary>A controller connected, armed and commanding 0.3 N·m.</summary>
        Armed,

        /// <summary>A controller that stopped reading while it keeps sending, so the firmware's output line is backed up.</summary>
        StuckPeer,
    }

    [TestCase(Situation.Idle)]
    [TestCase(Situation.Armed)]
    [TestCase(Situation.StuckPeer)]
    public void CtrlC_ExitsWithinOneSecond_TorqueZero(Situation situation)
    {
        // A background job of a non-interactive shell (`cmd &` in a script) starts with SIGINT ignored, and a child
        // inherits that: the firmware would never see the Ctrl-C. Say so rather than fail as a hang.
        Assert.That(SigIntIgnored(), Is.False,
            "SIGINT is ignored in this test process (SigIgn in /proc/self/status), so no child can be interrupted: run the tests in the foreground, not as a background job of a script");
        using var firmware = new FirmwareProcess(120, null, "--json");
        // The events outlive the peer (declared first, disposed last): its reader thread may be waiting on them.
        using var reading = new ManualResetEventSlim(true);
        using var acked = new ManualResetEventSlim(false);
        using var peer = TtyTransport.Open(firmware.ControllerPort);
        var decoder = new FrameDecoder();
        uint latest = 0;
        var armed = false;
        peer.Start(data =>
        {
            reading.Wait();
            var input = data;
            while (decoder.TryDecode(ref input, out var m))
            {
                switch (m)
                {
                    case HelloAck:
                        acked.Set();
                        break;
                    case State s:
                        Volatile.Write(ref latest, s.Sequence);
                        Volatile.Write(ref armed, s.ArmState == RigArmState.Armed);
                        break;
                }
            }
        });
        var writer = new FrameWriter();
        var buffer = new byte[Frame.MaxWireFrame];
        void Send(Message m) => peer.Write(buffer.AsSpan(0, writer.Write(m, buffer)));

        if (situation != Situation.Idle)
        {
            Send(new Hello { Name = "interrupt-test" });
            Assert.That(acked.Wait(TimeSpan.FromSeconds(5)), Is.True, "no HelloAck\n" + firmware.Log);
            Send(new ParamSet { Name = "watchdog_ms", Value = 250 });
            Send(new Arm());
            var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
            command.Torque[0] = 0.3f;
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 500)
            {
                command.AnswersState = Volatile.Read(ref latest);
                Send(command);
                Thread.Sleep(5);
            }
            Assert.That(Volatile.Read(ref armed), Is.True, "the rig never armed\n" + firmware.Log);
            if (situation == Situation.StuckPeer)
            {
                reading.Reset();
                clock.Restart();
                while (clock.ElapsedMilliseconds < 3000)
                {
                    Send(command); // stale repeats: they keep the session (and the State stream) alive, never the watchdog
                    Thread.Sleep(5);
                }
            }
        }
        var interrupted = Stopwatch.StartNew();
        firmware.Interrupt();
        var exited = firmware.WaitForExit(TimeSpan.FromSeconds(5));
        var seconds = interrupted.Elapsed.TotalSeconds;
        reading.Set();
        TestContext.Out.WriteLine($"{situation}: exit {seconds * 1000:F0} ms after SIGINT; {firmware.Stdout.Trim()}");
        Assert.That(exited, Is.True, $"still running 5 s after Ctrl-C\n{firmware.Log}");
        Assert.That(seconds, Is.LessThan(1.0), firmware.Log);
        Assert.That(firmware.ExitCode, Is.Zero, firmware.Log);
        var summary = firmware.Summary();
        if (situation == Situation.StuckPeer)
        {
            Assert.That(summary.GetProperty("output_dropped").GetInt64() + summary.GetProperty("write_timeouts").GetInt64(), Is.GreaterThan(0),
                "the peer's line never backed up: the case tested nothing\n" + firmware.Log);
        }
        Assert.That(firmware.Log, Does.Contain("firmware: stopped (Ctrl-C); motors at zero torque"));
    }

    private static bool SigIntIgnored()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0; // SIGINT = 2
    }
}
