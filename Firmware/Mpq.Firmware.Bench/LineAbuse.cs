using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Bench;

/// <summary>What a <see cref="LineAbuse"/> run does to the line.</summary>
public enum AbuseCase
{
    /// <summary>Valid ParamGets in bursts of 64, flat out; Commands stop each trial (the watchdog must trip).</summary>
    ParamGetFlood,

    /// <summary>Valid ParamSets of the value in force, flat out; Commands stop each trial.</summary>
    ParamSetFlood,

    /// <summary>Random bytes, 4 KiB at a time; Commands stop each trial (no valid frame: link silence must stop it).</summary>
    GarbageFlood,

    /// <summary>The peer stops reading (the firmware's output backs up) and keeps repeating its last Command (never fresh).</summary>
    StuckPeerCommanding,

    /// <summary>The peer stops reading and commanding.</summary>
    StuckPeerSilent,

    /// <summary>Valid ParamGets flat out while the peer commands at 200 Hz for the whole run: nothing may stop the rig.</summary>
    ValidFloodWhileCommanded,
}

/// <summary>What the firmware's own statistics and the wire said about one <see cref="LineAbuse"/> run.</summary>
public sealed record AbuseResult(AbuseCase Case, int Trials, double Seconds, double ExpectedStopMs, string ExpectedCause,
    IReadOnlyList<(double Ms, string Cause)> Stops, double TickGapMaxMs, double TickGapP999Ms, double TickWorkP999Ms, double TickWorkMaxMs,
    double LateWakeUpMaxMs, long Ticks, long MissedTicks, int[] FirmwareGcs, long StatesDroppedLineBusy, long FramesAccepted,
    long ArmedStatesSeen, long DisarmedWhileCommanded, string LoopPriority)
{
    /// <summary>The firmware's Command counters (accepted, stale, ...), for reports.</summary>
    public string Commands { get; init; } = "";

    /// <summary>Ticks the schedule missed, as a share of those it should have run.</summary>
    public double MissedShare => Ticks + MissedTicks == 0 ? 0 : MissedTicks / (double)(Ticks + MissedTicks);

    /// <summary>The stops of the measured trials (the warm-up trial's is left out), sorted; for a commanded flood, every stop.</summary>
    public double[] TrialStopsMs => [.. Stops.Skip(Case == AbuseCase.ValidFloodWhileCommanded ? 0 : 1).Select(s => s.Ms).Order()];

    /// <summary>One paragraph for people.</summary>
    public string Report()
    {
        var trips = TrialStopsMs;
        var tripText = trips.Length == 0 ? "no stop" : string.Create(CultureInfo.InvariantCulture, $"min {trips[0]:F1} median {trips[trips.Length / 2]:F1} max {trips[^1]:F1} ms");
        return string.Create(CultureInfo.InvariantCulture,
            $"{Case}: {Trials} trials in {Seconds:F1} s (firmware in its own process, {LoopPriority}); tick gap max {TickGapMaxMs:F2} ms p99.9 {TickGapP999Ms:F2} ms; tick work p99.9 {TickWorkP999Ms:F3} ms max {TickWorkMaxMs:F3} ms; late wake-up max {LateWakeUpMaxMs:F2} ms; missed ticks {MissedTicks} of {Ticks + MissedTicks} ({MissedShare:P3}); firmware GCs {string.Join('/', FirmwareGcs)}; States dropped (line backed up) {StatesDroppedLineBusy}; frames accepted {FramesAccepted}; disarmed States while commanded {DisarmedWhileCommanded} of {DisarmedWhileCommanded + ArmedStatesSeen}; last fresh Command → zero torque ({ExpectedCause}, expected {ExpectedStopMs} ms): {tripText}; causes: {string.Join(", ", Stops.GroupBy(s => s.Cause).Select(g => $"{g.Key} {g.Count()}"))}; Commands: {Commands}");
    }

    /// <summary>The result as one JSON object (for scripts).</summary>
    public string ToJson()
    {
        var trips = TrialStopsMs;
        return JsonSerializer.Serialize(new
        {
            @case = Case.ToString(), trials = Trials, seconds = Seconds, expected_stop_ms = ExpectedStopMs, expected_cause = ExpectedCause,
            stop_ms_min = trips.Length == 0 ? double.NaN : trips[0], stop_ms_median = trips.Length == 0 ? double.NaN : trips[trips.Length / 2],
            stop_ms_max = trips.Length == 0 ? double.NaN : trips[^1], stops = Stops.Select(s => new { ms = s.Ms, cause = s.Cause }),
            tick_gap_ms_max = TickGapMaxMs, tick_gap_ms_p999 = TickGapP999Ms, tick_work_ms_p999 = TickWorkP999Ms, tick_work_ms_max = TickWorkMaxMs,
            late_wake_up_ms_max = LateWakeUpMaxMs, ticks = Ticks, missed_ticks = MissedTicks, missed_share = MissedShare, firmware_gcs = FirmwareGcs,
            states_dropped_line_busy = StatesDroppedLineBusy, frames_accepted = FramesAccepted, disarmed_while_commanded = DisarmedWhileCommanded,
            loop_priority = LoopPriority,
        }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    }
}

/// <summary>
/// Issue 13 and 25: nothing on the serial line can stop the device loop, and valid traffic never looks like silence.
/// The firmware runs as its own process on one end of a socat pty pair; this side arms it, commands 0.3 N·m at 200 Hz,
/// then abuses the line (<see cref="AbuseCase"/>) while it stops feeding fresh Commands, for a number of trials. The
/// loop's figures (tick gaps, missed ticks, tick work) and each stop's delay after the last fresh Command come from the
/// firmware's own <c>--json</c> statistics; arming and disarming are seen on the wire.
/// </summary>
/// <remarks>The firmware runs at 500 Hz with watchdog_ms 250 and link_timeout_ms 100 (from a parameters file).</remarks>
public static class LineAbuse
{
    public const double WatchdogMs = 250;
    public const double LinkTimeoutMs = 100;
    public const double PeriodMs = 2;

    /// <summary>How long the first stuck trial keeps the line stuck, so the firmware's output fills every buffer and it must drop.</summary>
    private static readonly TimeSpan StuckLongEnoughToBackUp = TimeSpan.FromSeconds(8);

    /// <summary>Runs <paramref name="trials"/> trials (plus one warm-up) of <paramref name="abuse"/>; for <see cref="AbuseCase.ValidFloodWhileCommanded"/>, <paramref name="seconds"/> of flood.</summary>
    /// <exception cref="InvalidOperationException">A trial never armed or never stopped (the message says which, with the firmware's log).</exception>
    public static AbuseResult Run(AbuseCase abuse, int trials, double seconds = 10)
    {
        var dir = Directory.CreateTempSubdirectory("mpq-abuse-").FullName;
        try
        {
            var paramsFile = Path.Combine(dir, "params.json");
            var table = FirmwareParameters.Create(1, 2.0);
            table.TrySet(FirmwareParameters.WatchdogMs, WatchdogMs);
            table.TrySet(FirmwareParameters.LinkTimeoutMs, LinkTimeoutMs);
            new ParameterStore(paramsFile, _ => { }).Save(table);
            using var peer = new FirmwarePeer { RecordOthers = false };
            using var firmware = new FirmwareProcess(peer.FirmwarePort, paramsFile);
            peer.StartReading();
            return Measure(abuse, trials, seconds, peer, firmware);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static AbuseResult Measure(AbuseCase abuse, int trials, double seconds, FirmwarePeer peer, FirmwareProcess firmware)
    {
        var stuck = abuse is AbuseCase.StuckPeerCommanding or AbuseCase.StuckPeerSilent;
        var validFlowing = abuse is AbuseCase.ParamGetFlood or AbuseCase.ParamSetFlood or AbuseCase.StuckPeerCommanding or AbuseCase.ValidFloodWhileCommanded;
        var (expectedMs, expectedCause) = validFlowing ? (WatchdogMs, nameof(FaultBits.WatchdogTimeout)) : (LinkTimeoutMs, nameof(FaultBits.LinkLost));
        var random = new Random(13);
        var garbage = new byte[4096];
        var get = new ParamGet { Name = FirmwareParameters.TorqueLimit };
        var set = new ParamSet { Name = FirmwareParameters.TorqueLimit, Value = 1 }; // the value in force: allowed while armed
        Action? flood = abuse switch
        {
            AbuseCase.ParamGetFlood or AbuseCase.ValidFloodWhileCommanded => () => peer.SendBurst(get, 64),
            AbuseCase.ParamSetFlood => () => peer.SendBurst(set, 64),
            AbuseCase.GarbageFlood => () =>
            {
                random.NextBytes(garbage);
                peer.SendRaw(garbage);
            },
            _ => null,
        };
        using var stopFlood = new CancellationTokenSource();
        var floodThread = flood is null ? null : new Thread(() =>
        {
            while (!stopFlood.IsCancellationRequested)
            {
                try
                {
                    flood();
                }
                catch (IOException)
                {
                    return;
                }
            }
        }) { IsBackground = true, Name = "flood" };
        var command = new Command { Actuators = 1, ValidityMilliseconds = 100 };
        command.Torque[0] = 0.3f;
        var clock = Stopwatch.StartNew();
        long disarmedWhileCommanded = 0, armedStates = 0;
        floodThread?.Start();
        try
        {
            if (abuse == AbuseCase.ValidFloodWhileCommanded)
            {
                Arm(peer, firmware, -1);
                peer.DrainStates();
                var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < until)
                {
                    command.AnswersState = peer.LatestSequence;
                    peer.Send(command);
                    Thread.Sleep(5);
                    while (peer.States.TryTake(out var s))
                    {
                        if (s.Arm == RigArmState.Armed)
                        {
                            armedStates++;
                        }
                        else
                        {
                            disarmedWhileCommanded++;
                        }
                    }
                }
                trials = 0;
            }
            // Trial -1 warms up: the first pass through each path (link lost, a trip, a refused arm) JIT-compiles it, once per
            // process, as a rig's first session would; its stop is left out of the figures.
            for (var trial = -1; trial < trials && abuse != AbuseCase.ValidFloodWhileCommanded; trial++)
            {
                peer.Reading.Set();
                Arm(peer, firmware, trial);
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 10;
                while (Stopwatch.GetTimestamp() < until)
                {
                    command.AnswersState = peer.LatestSequence;
                    peer.Send(command);
                    Thread.Sleep(5);
                }
                if (stuck)
                {
                    peer.Reading.Reset();
                }
                var sinceLastFresh = Stopwatch.StartNew();
                while (abuse == AbuseCase.StuckPeerCommanding && sinceLastFresh.Elapsed < TimeSpan.FromSeconds(1))
                {
                    peer.Send(command); // the same answered State again: a repeat, never fresh
                    Thread.Sleep(5);
                }
                if (stuck && trial == 0)
                {
                    // The first trial stays stuck until the firmware's output has filled every buffer on the way and it has to
                    // drop: a new session's States flow into a peer that does not read (its Heartbeats keep the session).
                    Thread.Sleep(500);
                    peer.Send(new Hello { Name = "stuck-peer" });
                    var backedUp = Stopwatch.StartNew();
                    while (backedUp.Elapsed < StuckLongEnoughToBackUp)
                    {
                        peer.Send(new Heartbeat());
                        Thread.Sleep(20);
                    }
                }
                peer.Reading.Set();
                if (!Until(() => peer.States.TryTake(out var s, 50) && s.Arm != RigArmState.Armed, 5000))
                {
                    throw new InvalidOperationException($"{abuse}: trial {trial}: the rig was still armed 5 s after the last fresh Command\n{firmware.Log}");
                }
                if (stuck)
                {
                    Thread.Sleep(200);
                }
            }
        }
        finally
        {
            stopFlood.Cancel();
            peer.Reading.Set();
            floodThread?.Join(2000);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var stats = firmware.Stop();
        var stops = stats.GetProperty("stops").EnumerateArray()
            .Select(s => (s.GetProperty("after_fresh_command_ms").GetDouble(), s.GetProperty("cause").GetString() ?? "")).ToArray();
        return new AbuseResult(abuse, trials, elapsed, expectedMs, expectedCause, stops,
            stats.GetProperty("tick_gap_ms_max").GetDouble(), stats.GetProperty("tick_gap_ms_p999").GetDouble(),
            stats.GetProperty("tick_us_p999").GetDouble() / 1000, stats.GetProperty("tick_us_max").GetDouble() / 1000,
            stats.GetProperty("jitter_us_max").GetDouble() / 1000, stats.GetProperty("ticks").GetInt64(), stats.GetProperty("missed_ticks").GetInt64(),
            [.. stats.GetProperty("gc_collections").EnumerateArray().Select(g => g.GetInt32())], stats.GetProperty("states_dropped_line_busy").GetInt64(),
            stats.GetProperty("frames_accepted").GetInt64(), armedStates, disarmedWhileCommanded, stats.GetProperty("loop_priority").GetString() ?? "")
        {
            Commands = string.Create(CultureInfo.InvariantCulture,
                $"accepted {stats.GetProperty("commands_accepted").GetInt64()}, stale {stats.GetProperty("commands_rejected_stale").GetInt64()}, ignored (not armed) {stats.GetProperty("commands_ignored_not_armed").GetInt64()}, expired {stats.GetProperty("commands_expired").GetInt64()}, inbox dropped {stats.GetProperty("inbox_dropped").GetInt64()}; requests unanswered (over budget) {stats.GetProperty("requests_unanswered_over_budget").GetInt64()}; reader {stats.GetProperty("reader_priority").GetString()}"),
        };
    }

    /// <summary>As a controller does on a bad line: Hello (a new session, harmless within one) and Arm again until an armed State comes.</summary>
    private static void Arm(FirmwarePeer peer, FirmwareProcess firmware, int trial)
    {
        var armed = Until(() =>
        {
            peer.Send(new Hello { Name = "abuse-peer" });
            peer.Send(new Arm());
            return Until(() => peer.States.TryTake(out var s, 10) && s.Arm == RigArmState.Armed, 100);
        }, 5000);
        if (!armed)
        {
            throw new InvalidOperationException($"trial {trial} never armed\n{firmware.Log}");
        }
    }

    private static bool Until(Func<bool> condition, int timeoutMs)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                return false;
            }
        }
        return true;
    }
}
