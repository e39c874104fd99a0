using System.Diagnostics;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Bench;

/// <summary>Decoder throughput and allocations on the hot path: a stream of State and Command frames (one joint, as a pendulum rig sends).</summary>
public static class DecodeBenchmark
{
    public sealed record Result(double MegabytesPerSecond, double FramesPerSecond, double BytesPerFrame, double AllocatedBytesPerMessage, int Gen0Collections, long Frames, double Seconds);

    public static Result Run(double seconds, int joints = 1)
    {
        var state = new State { Joints = joints, Actuators = joints, ArmState = RigArmState.Armed, Status = StatusFlags.HandshakeDone };
        var command = new Command { Actuators = joints, ValidityMilliseconds = 60 };
        var writer = new FrameWriter();
        var buffer = new byte[Frame.MaxWireFrame];
        var stream = new List<byte>();
        var framesInStream = 0;
        var rng = new Random(3);
        while (stream.Count < 1 << 20)
        {
            for (var j = 0; j < joints; j++)
            {
                state.Position[j] = (float)rng.NextDouble();
                state.Velocity[j] = (float)rng.NextDouble();
                state.Torque[j] = (float)rng.NextDouble();
                command.Torque[j] = (float)rng.NextDouble();
            }
            state.Sequence++;
            state.TimeMicroseconds += 2000;
            command.AnswersState = state.Sequence;
            stream.AddRange(buffer.AsSpan(0, writer.Write(state, buffer)).ToArray());
            stream.AddRange(buffer.AsSpan(0, writer.Write(command, buffer)).ToArray());
            framesInStream += 2;
        }
        var bytes = stream.ToArray();
        var decoder = new FrameDecoder();

        // Warm-up (JIT tiering), then measure whole passes until the time is up.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < Math.Min(0.5, seconds / 4))
        {
            Pass(decoder, bytes);
        }
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        long frames = 0;
        long passes = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            frames += Pass(decoder, bytes);
            passes++;
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        if (frames != passes * framesInStream)
        {
            throw new InvalidOperationException($"decoded {frames} frames, expected {passes * framesInStream}");
        }
        return new Result(passes * bytes.Length / elapsed / 1e6, frames / elapsed, bytes.Length / (double)framesInStream,
            allocatedBytes / (double)frames, GC.CollectionCount(0) - gen0, frames, elapsed);
    }

    private static long Pass(FrameDecoder decoder, byte[] bytes)
    {
        ReadOnlySpan<byte> input = bytes;
        long n = 0;
        while (decoder.TryDecode(ref input, out _))
        {
            n++;
        }
        return n;
    }
}
