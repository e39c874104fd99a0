using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mpq.Common;
using Mpq.Planning.Simulation;

namespace Mpq.Planning.Logging;

/// <summary>What a transition log says about itself (its JSON header).</summary>
public sealed record TransitionLogHeader
{
    public int Format { get; init; } = TransitionLog.FormatVersion;
    public string Task { get; init; } = "";
    public string[] ObservationLayout { get; init; } = [];
    public int StateSize { get; init; }
    public int ObservationSize { get; init; }
    public int ActionSize { get; init; }

    /// <summary>Where the transitions came from: "sim" (true-parameter MuJoCo plant) or "rig".</summary>
    public string Source { get; init; } = "sim";

    /// <summary>The biased prior the controller planned with: parameter → (bias, sigma) in the paper's form.</summary>
    public Dictionary<string, double[]> Priors { get; init; } = [];

    /// <summary>Planner settings (horizon, samples, lambda, gamma, q file …) as text.</summary>
    public Dictionary<string, string> Planner { get; init; } = [];

    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;

    /// <summary>A header for transitions of <paramref name="task"/>: its layout, sizes and biased prior.</summary>
    public static TransitionLogHeader For(Tasks.ITask task, int stateSize, string source, Dictionary<string, string>? planner = null) => new()
    {
        Task = task.Name,
        ObservationLayout = [.. task.ObservationLayout],
        StateSize = stateSize,
        ObservationSize = task.ObservationSize,
        ActionSize = task.ActionSize,
        Source = source,
        Priors = task.Parameters.ToDictionary(p => p.Name, p => new[] { p.Prior.MeanFactor, p.Prior.HalfWidthFactor }),
        Planner = planner ?? [],
    };
}

/// <summary>
/// A versioned binary log of (s, a, c, s', done) transitions that the Trainer learns from.
/// </summary>
/// <remarks>
/// Layout: the 8 bytes <c>MPQLOG1\n</c>, a u32 header length, the UTF-8 JSON header, then fixed-size
/// little-endian records: f64 time, i32 episode, i32 step, f64[state] s, f32[obs] o, f32[act] a, f64 cost,
/// f64[state] s', f32[obs] o', u8 done, u32 CRC-32C of the record. The writer flushes to disk at least once a
/// second, so a crash loses at most the last second; a reader stops at a truncated or damaged tail and says
/// how many bytes it skipped.
/// </remarks>
public sealed class TransitionLog : ITransitionSink, IDisposable
{
    public const int FormatVersion = 1;
    public static readonly byte[] Magic = "MPQLOG1\n"u8.ToArray();

    private readonly FileStream _file;
    private readonly byte[] _record;
    private readonly long _flushInterval = Stopwatch.Frequency;
    private long _lastFlush = Stopwatch.GetTimestamp();
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _episode;

    private TransitionLog(FileStream file, TransitionLogHeader header)
    {
        _file = file;
        Header = header;
        _record = new byte[RecordSize(header)];
    }

    public TransitionLogHeader Header { get; }
    public long Records { get; private set; }

    /// <summary>Bytes of one record for a header's sizes.</summary>
    public static int RecordSize(TransitionLogHeader h) => 8 + 4 + 4 + 16 * h.StateSize + 8 * h.ObservationSize + 4 * h.ActionSize + 8 + 1 + 4;

    /// <summary>Creates a new log (an existing file is not overwritten).</summary>
    public static TransitionLog Create(string path, TransitionLogHeader header)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        file.Write(Magic);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)json.Length);
        file.Write(length);
        file.Write(json);
        file.Flush(flushToDisk: true);
        return new TransitionLog(file, header);
    }

    public void Add(in Transition t)
    {
        var h = Header;
        var span = _record.AsSpan();
        var o = 0;
        BinaryPrimitives.WriteDoubleLittleEndian(span[o..], Stopwatch.GetElapsedTime(_start).TotalSeconds); o += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[o..], _episode); o += 4;
        BinaryPrimitives.WriteInt32LittleEndian(span[o..], t.Step); o += 4;
        o = PutDoubles(span, o, t.State, h.StateSize);
        o = PutFloats(span, o, t.Observation, h.ObservationSize);
        o = PutFloats(span, o, t.Action, h.ActionSize);
        BinaryPrimitives.WriteDoubleLittleEndian(span[o..], t.Cost); o += 8;
        o = PutDoubles(span, o, t.NextState, h.StateSize);
        o = PutFloats(span, o, t.NextObservation, h.ObservationSize);
        span[o++] = t.Done ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(span[o..], Crc32C.Compute(span[..o]));
        _file.Write(_record);
        Records++;
        if (t.Done)
        {
            _episode++;
        }
        if (Stopwatch.GetTimestamp() - _lastFlush >= _flushInterval || t.Done)
        {
            _file.Flush(flushToDisk: true);
            _lastFlush = Stopwatch.GetTimestamp();
        }
    }

    private static int PutDoubles(Span<byte> span, int o, ReadOnlySpan<double> values, int n)
    {
        for (var i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(span[(o + 8 * i)..], values[i]);
        }
        return o + 8 * n;
    }

    private static int PutFloats(Span<byte> span, int o, ReadOnlySpan<double> values, int n)
    {
        for (var i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[(o + 4 * i)..], (float)values[i]);
        }
        return o + 4 * n;
    }

    public void Dispose()
    {
        _file.Flush(flushToDisk: true);
        _file.Dispose();
    }
}

/// <summary>One logged transition as read back.</summary>
public sealed record LoggedTransition(double Time, int Episode, int Step, double[] State, float[] Observation, float[] Action, double Cost, double[] NextState, float[] NextObservation, bool Done);

/// <summary>Reads a transition log; never throws on a damaged tail (it stops and reports it).</summary>
public sealed class TransitionLogReader
{
    private TransitionLogReader(TransitionLogHeader header, List<LoggedTransition> records, long skippedBytes, int damaged)
    {
        Header = header;
        Records = records;
        SkippedBytes = skippedBytes;
        DamagedRecords = damaged;
    }

    public TransitionLogHeader Header { get; }
    public IReadOnlyList<LoggedTransition> Records { get; }

    /// <summary>Bytes after the last intact record (a crash mid-write, or damage).</summary>
    public long SkippedBytes { get; }

    /// <summary>Records whose CRC failed (reading stops at the first).</summary>
    public int DamagedRecords { get; }

    /// <exception cref="InvalidDataException">Not a transition log, or an unsupported format version.</exception>
    public static TransitionLogReader Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 8).SequenceEqual(TransitionLog.Magic))
        {
            throw new InvalidDataException($"'{path}' is not a transition log");
        }
        var headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (headerLength <= 0 || 12 + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"'{path}': the header is truncated");
        }
        TransitionLogHeader header;
        try
        {
            header = JsonSerializer.Deserialize<TransitionLogHeader>(bytes.AsSpan(12, headerLength)) ?? throw new InvalidDataException("empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': the header is not valid JSON ({e.Message})", e);
        }
        if (header.Format != TransitionLog.FormatVersion)
        {
            throw new InvalidDataException($"'{path}': log format {header.Format}, this build reads {TransitionLog.FormatVersion}");
        }
        var size = TransitionLog.RecordSize(header);
        var records = new List<LoggedTransition>();
        var offset = 12 + headerLength;
        var damaged = 0;
        while (offset + size <= bytes.Length)
        {
            var r = bytes.AsSpan(offset, size);
            if (Crc32C.Compute(r[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(r[^4..]))
            {
                damaged = 1;
                break;
            }
            records.Add(Parse(r, header));
            offset += size;
        }
        return new TransitionLogReader(header, records, bytes.Length - offset, damaged);
    }

    private static LoggedTransition Parse(ReadOnlySpan<byte> r, TransitionLogHeader h)
    {
        var o = 0;
        var time = BinaryPrimitives.ReadDoubleLittleEndian(r[o..]); o += 8;
        var episode = BinaryPrimitives.ReadInt32LittleEndian(r[o..]); o += 4;
        var step = BinaryPrimitives.ReadInt32LittleEndian(r[o..]); o += 4;
        var s = Doubles(r, ref o, h.StateSize);
        var obs = Floats(r, ref o, h.ObservationSize);
        var a = Floats(r, ref o, h.ActionSize);
        var cost = BinaryPrimitives.ReadDoubleLittleEndian(r[o..]); o += 8;
        var s2 = Doubles(r, ref o, h.StateSize);
        var obs2 = Floats(r, ref o, h.ObservationSize);
        var done = r[o] != 0;
        return new LoggedTransition(time, episode, step, s, obs, a, cost, s2, obs2, done);
    }

    private static double[] Doubles(ReadOnlySpan<byte> r, ref int o, int n)
    {
        var v = new double[n];
        for (var i = 0; i < n; i++, o += 8)
        {
            v[i] = BinaryPrimitives.ReadDoubleLittleEndian(r[o..]);
        }
        return v;
    }

    private static float[] Floats(ReadOnlySpan<byte> r, ref int o, int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++, o += 4)
        {
            v[i] = BinaryPrimitives.ReadSingleLittleEndian(r[o..]);
        }
        return v;
    }
}
