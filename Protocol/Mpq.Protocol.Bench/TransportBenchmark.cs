using System.Diagnostics;
using Mpq.Protocol.Serial;

namespace Mpq.Protocol.Bench;

/// <summary>
/// One-way and round-trip latency of a transport over a socat pty pair: end A writes a message, end B
/// timestamps its arrival (one way) and echoes it, end A timestamps the echo (round trip).
/// </summary>
public static class TransportBenchmark
{
    public sealed record Result(string Transport, int Samples, int Size, double OneWayP50, double OneWayP99, double RoundTripP50, double RoundTripP99, double OneWayMax, double RoundTripMax);

    public static Result Run(TransportKind kind, int samples, int size)
    {
        using var pair = SocatPair.Create();
        using var a = SerialTransports.Open(pair.PathA, 115200, kind);
        using var b = SerialTransports.Open(pair.PathB, 115200, kind);
        var oneWay = new double[samples];
        var roundTrip = new double[samples];
        long sentAt = 0;
        var atB = 0;
        var atA = 0;
        var echo = new byte[size];
        using var done = new ManualResetEventSlim(false, spinCount: 100);
        var index = -1;

        b.Start(data =>
        {
            data.CopyTo(echo.AsSpan(atB));
            atB += data.Length;
            if (atB == size)
            {
                var now = Stopwatch.GetTimestamp();
                if (index >= 0)
                {
                    oneWay[index] = Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt), now).TotalMilliseconds;
                }
                atB = 0;
                b.Write(echo);
            }
        });
        a.Start(data =>
        {
            atA += data.Length;
            if (atA == size)
            {
                var now = Stopwatch.GetTimestamp();
                if (index >= 0)
                {
                    roundTrip[index] = Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt), now).TotalMilliseconds;
                }
                atA = 0;
                done.Set();
            }
        });

        var message = new byte[size];
        var warmup = Math.Min(100, samples);
        for (var i = -warmup; i < samples; i++)
        {
            index = i < 0 ? -1 : i;
            message[0] = (byte)i;
            done.Reset();
            Volatile.Write(ref sentAt, Stopwatch.GetTimestamp());
            a.Write(message);
            if (!done.Wait(TimeSpan.FromSeconds(2)))
            {
                throw new TimeoutException($"{kind}: no echo within 2 s (sample {i})");
            }
            Thread.Sleep(1);
        }
        Array.Sort(oneWay);
        Array.Sort(roundTrip);
        return new Result(kind == TransportKind.Tty ? "tty" : "serialport", samples, size,
            Percentile(oneWay, 0.5), Percentile(oneWay, 0.99), Percentile(roundTrip, 0.5), Percentile(roundTrip, 0.99), oneWay[^1], roundTrip[^1]);
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
