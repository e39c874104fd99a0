namespace Mpq.Trainer.Learning;

/// <summary>Array helpers for the checkpoint's binary format (little-endian, length-prefixed).</summary>
internal static class CheckpointIO
{
    public static void Write(this BinaryWriter w, ReadOnlySpan<float> values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static void Write(this BinaryWriter w, ReadOnlySpan<double> values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static void Write(this BinaryWriter w, ReadOnlySpan<bool> values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    public static void ReadInto(this BinaryReader r, Span<float> destination) => Check(r.ReadInt32(), destination.Length, r, destination, static (r, d, i) => d[i] = r.ReadSingle());

    public static void ReadInto(this BinaryReader r, Span<double> destination) => Check(r.ReadInt32(), destination.Length, r, destination, static (r, d, i) => d[i] = r.ReadDouble());

    public static void ReadInto(this BinaryReader r, Span<bool> destination) => Check(r.ReadInt32(), destination.Length, r, destination, static (r, d, i) => d[i] = r.ReadBoolean());

    private delegate void Reader<T>(BinaryReader r, Span<T> destination, int index);

    private static void Check<T>(int stored, int expected, BinaryReader r, Span<T> destination, Reader<T> read)
    {
        if (stored != expected)
        {
            throw new InvalidDataException($"checkpoint holds {stored} values where {expected} were expected");
        }
        for (var i = 0; i < stored; i++)
        {
            read(r, destination, i);
        }
    }
}
