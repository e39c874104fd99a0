using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mpq.Protocol.Bench;
using Mpq.Protocol.Serial;

var json = new Option<bool>("--json") { Description = "print one JSON object" };

var samples = new Option<int>("--samples") { Description = "messages per transport", DefaultValueFactory = _ => 2000 };
var size = new Option<int>("--size") { Description = "message size in bytes", DefaultValueFactory = _ => 32 };
var transport = new Command("transport", "One-way and round-trip latency over a socat pty pair: direct tty transport vs System.IO.Ports, same run.") { samples, size, json };
transport.SetAction(r =>
{
    var n = r.GetValue(samples);
    var s = r.GetValue(size);
    if (n < 1 || s < 1 || s > 4096)
    {
        Console.Error.WriteLine("error: --samples must be >= 1 and --size between 1 and 4096");
        return 2;
    }
    var results = new[] { TransportBenchmark.Run(TransportKind.Tty, n, s), TransportBenchmark.Run(TransportKind.SerialPort, n, s) };
    if (r.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(results.ToDictionary(x => x.Transport, x => new
        {
            one_way_ms_p50 = x.OneWayP50, one_way_ms_p99 = x.OneWayP99, one_way_ms_max = x.OneWayMax,
            round_trip_ms_p50 = x.RoundTripP50, round_trip_ms_p99 = x.RoundTripP99, round_trip_ms_max = x.RoundTripMax,
            samples = x.Samples, size = x.Size,
        })));
    }
    else
    {
        Console.WriteLine($"{n} messages of {s} bytes over a socat pty pair");
        Console.WriteLine("transport    one-way p50   p99      max      round-trip p50   p99      max   (ms)");
        foreach (var x in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{x.Transport,-12} {x.OneWayP50,8:F3} {x.OneWayP99,8:F3} {x.OneWayMax,8:F3}     {x.RoundTripP50,8:F3} {x.RoundTripP99,8:F3} {x.RoundTripMax,8:F3}"));
        }
    }
    return 0;
});

var seconds = new Option<double>("--seconds") { Description = "measurement time", DefaultValueFactory = _ => 3 };
var decode = new Command("decode", "Decoder throughput (MB/s, frames/s) and allocations per decoded message on State/Command traffic.") { seconds, json };
decode.SetAction(r =>
{
    var x = DecodeBenchmark.Run(Math.Max(0.1, r.GetValue(seconds)));
    if (r.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            mb_per_s = x.MegabytesPerSecond, frames_per_s = x.FramesPerSecond, bytes_per_frame = x.BytesPerFrame,
            allocated_bytes_per_message = x.AllocatedBytesPerMessage, gen0_collections = x.Gen0Collections, frames = x.Frames, seconds = x.Seconds,
        }));
    }
    else
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decode: {x.MegabytesPerSecond:F1} MB/s, {x.FramesPerSecond / 1e6:F2} M frames/s ({x.BytesPerFrame:F1} bytes/frame), {x.AllocatedBytesPerMessage:F3} bytes allocated per message, {x.Gen0Collections} gen0 GCs over {x.Frames} frames"));
    }
    return 0;
});

var frames = new Option<int>("--frames") { Description = "frames to generate", DefaultValueFactory = _ => 1_000_000 };
var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 1 };
var fuzz = new Command("fuzz", "Feed random and mutated frames through the decoder and account for every one.") { frames, seed, json };
fuzz.SetAction(r =>
{
    var report = FrameFuzzer.Run(r.GetValue(frames), r.GetValue(seed));
    if (r.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(report with { RejectedByCause = report.RejectedByCause.ToDictionary(k => k.Key, v => v.Value) }));
    }
    else
    {
        Console.WriteLine($"frames tried {report.FramesTried}, intact copies {report.IntactCopies}, mutated {report.MutatedFrames}, decoded {report.Decoded}");
        Console.WriteLine($"rejected: {string.Join(", ", report.RejectedByCause.Select(k => $"{k.Key} {k.Value}"))}; text chunks {report.TextChunks}; noise bytes {report.NoiseBytes}");
        Console.WriteLine($"corrupt accepted {report.CorruptAccepted}, intact missing {report.Missing}, exceptions {report.Exceptions}, recovered after 64 KiB noise: {report.RecoveredAfterNoise}");
    }
    return report.CorruptAccepted == 0 && report.Missing == 0 && report.Exceptions == 0 && report.RecoveredAfterNoise ? 0 : 1;
});

return new RootCommand("Protocol benchmarks and fuzzer.") { transport, decode, fuzz }.Parse(args).Invoke();
