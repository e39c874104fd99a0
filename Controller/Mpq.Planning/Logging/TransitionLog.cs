using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mpq.Common;
using Mpq.Planning.Control;

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
/// Format 3: the 8 bytes <c>MPQLOG3\n</c>, a u32 header length, the UTF-8 JSON header, the u32 CRC-32C of everything
/// before it (magic, length, header), then little-endian records, each starting with its kind and ending with the u32
/// CRC-32C of everything before it in the record:
/// <list type="bullet">
/// <item><c>T</c> transition: f64 time, i32 episode, i32 step, f64[state] s, f32[obs] o, f32[act] a (commanded),
/// f64 cost, f64[state] s', f32[obs] o', u8 done, f32[act] the action the plant reports it applied (a rig: after its
/// clamp and slew limit).</item>
/// <item><c>E</c> event (a live setting change): f64 time, i32 episode, i64 step it takes effect, u16 length, UTF-8 text.</item>
/// </list>
/// Formats 2 (<c>MPQLOG2\n</c>: the same without the header's checksum) and 1 (<c>MPQLOG1\n</c>: transitions only, no
/// kind byte, no applied action) are still read; their header is unchecked, and the reader says so. Every header is
/// bounded (at most <see cref="MaxHeaderBytes"/>, sizes within 1 .. <see cref="MaxVectorSize"/>, no field missing or null)
/// before a record is read. Records are encoded on the caller's thread (a control loop's) and written by a thread of the
/// log's own, which flushes to disk at least once a second, so a crash loses at most the last second and a slow disk
/// never delays a step (a disk more than <see cref="DefaultBufferBytes"/> behind loses records, counted in <see cref="Dropped"/>);
/// a reader stops at a truncated or damaged tail and says how many bytes it skipped.
/// </remarks>
public sealed class TransitionLog : ITransitionSink, IDisposable
{
    public const int FormatVersion = 3;
    public static readonly byte[] Magic = "MPQLOG3\n"u8.ToArray();
    public static readonly byte[] MagicVersion2 = "MPQLOG2\n"u8.ToArray();
    public static readonly byte[] MagicVersion1 = "MPQLOG1\n"u8.ToArray();

    /// <summary>The largest header a reader accepts.</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>The largest state, observation or action a reader accepts (a rig has a handful; this bounds a record).</summary>
    public const int MaxVectorSize = 4096;
    public const byte TransitionKind = (byte)'T';
    public const byte EventKind = (byte)'E';

    /// <summary>Bytes the loop may get ahead of the disk (at 20 Hz about 20 minutes of pendulum records, at 500 Hz about one).</summary>
    public const int DefaultBufferBytes = 4 << 20;

    private readonly FileStream _file;
    private readonly byte[] _record;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly byte[] _ring;
    private readonly Thread _writer;
    private long _produced; // bytes handed over (written by the producer only)
    private long _consumed; // bytes written to the file (written by the writer thread only)
    private long _dropped;
    private volatile bool _closing;
    private Exception? _writeFailure;
    private int _episode;

    private TransitionLog(FileStream file, TransitionLogHeader header, int bufferBytes)
    {
        _file = file;
        Header = header;
        _record = new byte[RecordSize(header)];
        _ring = new byte[Math.Max(bufferBytes, 2 * _record.Length)];
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "mpq-log-writer" };
        _writer.Start();
    }

    public TransitionLogHeader Header { get; }

    /// <summary>Transitions handed to the log (those <see cref="Dropped"/> included).</summary>
    public long Records { get; private set; }

    /// <summary>Records and events lost because the disk fell <see cref="DefaultBufferBytes"/> behind (said at the end of a run).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Bytes of one transition record for a header's sizes and format.</summary>
    public static int RecordSize(TransitionLogHeader h) =>
        (h.Format >= 2 ? 1 + 4 * h.ActionSize : 0) + 8 + 4 + 4 + 16 * h.StateSize + 8 * h.ObservationSize + 4 * h.ActionSize + 8 + 1 + 4;

    /// <summary>Creates a new log (an existing file is not overwritten).</summary>
    /// <param name="path">The new file.</param>
    /// <param name="header">Sizes, task and settings.</param>
    /// <param name="bufferBytes">How far the producer may get ahead of the disk before records are dropped.</param>
    public static TransitionLog Create(string path, TransitionLogHeader header, int bufferBytes = DefaultBufferBytes)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        var head = new byte[Magic.Length + 4 + json.Length + 4];
        Magic.CopyTo(head, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(Magic.Length), (uint)json.Length);
        json.CopyTo(head, Magic.Length + 4);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(head.Length - 4), Crc32C.Compute(head.AsSpan(0, head.Length - 4)));
        file.Write(head);
        file.Flush(flushToDisk: true);
        return new TransitionLog(file, header, bufferBytes);
    }

    public void Add(in Transition t)
    {
        var h = Header;
        var span = _record.AsSpan();
        var o = 0;
        span[o++] = TransitionKind;
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
        o = PutFloats(span, o, t.Measured.IsEmpty ? t.Action : t.Measured, h.ActionSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[o..], Crc32C.Compute(span[..o]));
        HandOver(_record);
        Records++;
        if (t.Done)
        {
            _episode++;
        }
    }

    /// <summary>
    /// Copies one whole record into the ring for the writer thread, or drops and counts it when the disk is that far
    /// behind. Never waits: a control loop's thread calls it every step.
    /// </summary>
    private void HandOver(ReadOnlySpan<byte> record)
    {
        var head = _produced;
        if (head + record.Length - Volatile.Read(ref _consumed) > _ring.Length)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }
        var at = (int)(head % _ring.Length);
        var first = Math.Min(record.Length, _ring.Length - at);
        record[..first].CopyTo(_ring.AsSpan(at));
        record[first..].CopyTo(_ring);
        Volatile.Write(ref _produced, head + record.Length); // publishes the whole record at once
    }

    /// <summary>
    /// The writer thread: writes what was handed over, and flushes to the disk at least once a second. The disk's
    /// stalls (an fsync behind other writers can take hundreds of ms) land here, never on the producer's thread.
    /// </summary>
    private void WriteLoop()
    {
        var lastFlush = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                var closing = _closing;
                var head = Volatile.Read(ref _produced);
                var tail = _consumed;
                if (head > tail)
                {
                    var at = (int)(tail % _ring.Length);
                    var n = (int)Math.Min(head - tail, _ring.Length - at);
                    _file.Write(_ring, at, n);
                    Volatile.Write(ref _consumed, tail + n);
                    continue;
                }
                if (closing || Stopwatch.GetElapsedTime(lastFlush) >= TimeSpan.FromSeconds(1))
                {
                    _file.Flush(flushToDisk: true);
                    lastFlush = Stopwatch.GetTimestamp();
                }
                if (closing)
                {
                    return;
                }
                Thread.Sleep(20);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _writeFailure = e; // a full disk: the run goes on, the log stops; Dispose says so
        }
    }

    /// <summary>Records a live setting change that takes effect at <paramref name="step"/> of the current episode.</summary>
    /// <remarks>Allocates (the text): setting changes are rare, never per step.</remarks>
    public void Event(long step, string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text.Length > 4096 ? text[..4096] : text);
        var record = new byte[1 + 8 + 4 + 8 + 2 + utf8.Length + 4];
        var span = record.AsSpan();
        span[0] = EventKind;
        BinaryPrimitives.WriteDoubleLittleEndian(span[1..], Stopwatch.GetElapsedTime(_start).TotalSeconds);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], _episode);
        BinaryPrimitives.WriteInt64LittleEndian(span[13..], step);
        BinaryPrimitives.WriteUInt16LittleEndian(span[21..], (ushort)utf8.Length);
        utf8.CopyTo(span[23..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32C.Compute(span[..^4]));
        HandOver(record);
        Events++;
    }

    /// <summary>Events written so far.</summary>
    public long Events { get; private set; }

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

    /// <summary>Writes everything handed over, flushes it to the disk and closes the file.</summary>
    /// <exception cref="IOException">The disk refused a write while running (the log ends there).</exception>
    public void Dispose()
    {
        if (_closing)
        {
            return;
        }
        _closing = true;
        _writer.Join();
        _file.Dispose();
        if (_writeFailure is { } e)
        {
            throw new IOException($"the transition log stopped early: {e.Message}", e);
        }
    }
}

/// <summary>One logged transition as read back; <paramref name="Measured"/> is null in a format-1 log.</summary>
public sealed record LoggedTransition(double Time, int Episode, int Step, double[] State, float[] Observation, float[] Action, double Cost, double[] NextState, float[] NextObservation, bool Done, float[]? Measured = null);

/// <summary>A live setting change as read back: it took effect at <paramref name="Step"/> of <paramref name="Episode"/>.</summary>
public sealed record LoggedEvent(double Time, int Episode, long Step, string Text);

/// <summary>Reads a transition log; never throws on a damaged tail (it stops and reports it).</summary>
public sealed class TransitionLogReader
{
    private TransitionLogReader(TransitionLogHeader header, List<LoggedTransition> records, List<LoggedEvent> events, long skippedBytes, int damaged, bool headerChecked)
    {
        HeaderChecked = headerChecked;
        Header = header;
        Records = records;
        Events = events;
        SkippedBytes = skippedBytes;
        DamagedRecords = damaged;
    }

    public TransitionLogHeader Header { get; }
    public IReadOnlyList<LoggedTransition> Records { get; }

    /// <summary>Live setting changes, in order (none in a format-1 log).</summary>
    public IReadOnlyList<LoggedEvent> Events { get; }

    /// <summary>Bytes after the last intact record (a crash mid-write, or damage).</summary>
    public long SkippedBytes { get; }

    /// <summary>Records whose CRC failed (reading stops at the first).</summary>
    public int DamagedRecords { get; }

    /// <summary>Whether the header carries a checksum that matched (format 3); an older log's header is read unchecked.</summary>
    public bool HeaderChecked { get; }

    /// <exception cref="InvalidDataException">Not a transition log, an unsupported format version, or a header that is damaged
    /// (its checksum), out of bounds or missing a field; the message names the file and the field.</exception>
    public static TransitionLogReader Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var format = bytes.Length < 8 ? 0
            : bytes.AsSpan(0, 8).SequenceEqual(TransitionLog.Magic) ? TransitionLog.FormatVersion
            : bytes.AsSpan(0, 8).SequenceEqual(TransitionLog.MagicVersion2) ? 2
            : bytes.AsSpan(0, 8).SequenceEqual(TransitionLog.MagicVersion1) ? 1
            : 0;
        if (bytes.Length < 12 || format == 0)
        {
            throw new InvalidDataException($"'{path}' is not a transition log");
        }
        var version1 = format == 1;
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        var checksumBytes = format >= 3 ? 4 : 0;
        if (declared == 0 || declared > TransitionLog.MaxHeaderBytes)
        {
            throw new InvalidDataException($"'{path}': the header declares {declared} bytes; a header has 1 .. {TransitionLog.MaxHeaderBytes}");
        }
        var headerLength = (int)declared;
        if (12 + headerLength + checksumBytes > bytes.Length)
        {
            throw new InvalidDataException($"'{path}': the header is truncated");
        }
        if (format >= 3 && Crc32C.Compute(bytes.AsSpan(0, 12 + headerLength)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12 + headerLength)))
        {
            throw new InvalidDataException($"'{path}': the header is damaged (checksum mismatch): its task, sizes and priors cannot be trusted");
        }
        TransitionLogHeader header;
        try
        {
            header = JsonSerializer.Deserialize<TransitionLogHeader>(bytes.AsSpan(12, headerLength)) ?? throw new InvalidDataException($"'{path}': the header is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': the header is not valid JSON{(e.Path is { } at ? $" (at {at})" : "")}", e);
        }
        if (header.Format != format)
        {
            throw new InvalidDataException($"'{path}': the header says format {header.Format}, the file is format {format} (this build reads 1 .. {TransitionLog.FormatVersion})");
        }
        Validate(header, path);
        var size = TransitionLog.RecordSize(header);
        var records = new List<LoggedTransition>();
        var events = new List<LoggedEvent>();
        var offset = 12 + headerLength + checksumBytes;
        var damaged = 0;
        while (offset < bytes.Length)
        {
            var kind = version1 ? TransitionLog.TransitionKind : bytes[offset];
            var length = kind switch
            {
                TransitionLog.TransitionKind => size,
                TransitionLog.EventKind when offset + 23 <= bytes.Length => 23 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset + 21)) + 4,
                TransitionLog.EventKind => int.MaxValue, // truncated inside the event's fixed part
                _ => -1,
            };
            if (length < 0)
            {
                damaged = 1; // an unknown kind: damage
                break;
            }
            if (length > bytes.Length - offset)
            {
                break; // a truncated tail
            }
            var r = bytes.AsSpan(offset, length);
            if (Crc32C.Compute(r[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(r[^4..]))
            {
                damaged = 1;
                break;
            }
            if (kind == TransitionLog.EventKind)
            {
                events.Add(new LoggedEvent(BinaryPrimitives.ReadDoubleLittleEndian(r[1..]), BinaryPrimitives.ReadInt32LittleEndian(r[9..]),
                    BinaryPrimitives.ReadInt64LittleEndian(r[13..]), Encoding.UTF8.GetString(r[23..^4])));
            }
            else
            {
                records.Add(Parse(version1 ? r : r[1..], header));
            }
            offset += length;
        }
        return new TransitionLogReader(header, records, events, bytes.Length - offset, damaged, headerChecked: format >= 3);
    }

    /// <summary>Every field present and within bounds, before a record size is computed from it.</summary>
    private static void Validate(TransitionLogHeader h, string path)
    {
        string Field(string name) => $"'{path}': header field '{name}'";
        if (string.IsNullOrEmpty(h.Task))
        {
            throw new InvalidDataException($"{Field(nameof(h.Task))} is missing or null");
        }
        if (h.Source is null)
        {
            throw new InvalidDataException($"{Field(nameof(h.Source))} is missing or null");
        }
        foreach (var (name, value) in (ReadOnlySpan<(string, int)>)[(nameof(h.StateSize), h.StateSize), (nameof(h.ObservationSize), h.ObservationSize), (nameof(h.ActionSize), h.ActionSize)])
        {
            if (value < 1 || value > TransitionLog.MaxVectorSize)
            {
                throw new InvalidDataException($"{Field(name)} = {value} is outside 1 .. {TransitionLog.MaxVectorSize}");
            }
        }
        if (h.ObservationLayout is null || h.ObservationLayout.Length != h.ObservationSize || h.ObservationLayout.Any(n => n is null))
        {
            throw new InvalidDataException($"{Field(nameof(h.ObservationLayout))} must name each of the {h.ObservationSize} observation entries");
        }
        if (h.Priors is null || h.Priors.Values.Any(p => p is null || p.Length != 2 || !double.IsFinite(p[0]) || !double.IsFinite(p[1])))
        {
            throw new InvalidDataException($"{Field(nameof(h.Priors))} must map each parameter to two finite numbers (bias, sigma)");
        }
        if (h.Planner is null || h.Planner.Values.Any(v => v is null))
        {
            throw new InvalidDataException($"{Field(nameof(h.Planner))} is missing or holds a null");
        }
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
        var done = r[o++] != 0;
        var measured = h.Format >= 2 ? Floats(r, ref o, h.ActionSize) : null;
        return new LoggedTransition(time, episode, step, s, obs, a, cost, s2, obs2, done, measured);
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
