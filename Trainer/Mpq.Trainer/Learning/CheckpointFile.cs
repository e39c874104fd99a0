using Mpq.Common;

namespace Mpq.Trainer.Learning;

/// <summary>
/// A checkpoint file's frame: magic, the run's settings fingerprint, a body and a CRC-32C, written atomically. What the
/// body holds is its owner's (<see cref="Learner"/>); this type refuses a damaged, foreign, other-settings, truncated or
/// overlong file with an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class CheckpointFile
{
    private const string Magic = "MPQCKPT1";

    /// <summary>Writes <paramref name="body"/> framed, tagged with <paramref name="fingerprint"/> (a resume with other settings is refused).</summary>
    public static void Write(string path, string fingerprint, Action<BinaryWriter> body)
    {
        using var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(fingerprint);
            body(w);
        }
        var all = bytes.ToArray();
        AtomicFile.Write(path, all, BitConverter.GetBytes(Crc32C.Compute(all)));
    }

    /// <summary>Checks the frame and hands the body to <paramref name="body"/>, which must read it to its end.</summary>
    /// <exception cref="InvalidDataException">Damaged, not a checkpoint, made with other settings, cut short or longer than its contents; or what <paramref name="body"/> refused.</exception>
    public static void Read(string path, string fingerprint, Action<BinaryReader> body)
    {
        var all = File.ReadAllBytes(path);
        if (all.Length < 8 || Crc32C.Compute(all.AsSpan(0, all.Length - 4)) != BitConverter.ToUInt32(all, all.Length - 4))
        {
            throw new InvalidDataException($"checkpoint '{path}' is damaged (checksum mismatch)");
        }
        using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 4));
        try
        {
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException($"'{path}' is not an MPQ checkpoint");
            }
            if (r.ReadString() != fingerprint)
            {
                throw new InvalidDataException($"checkpoint '{path}' was made with other settings than this run's");
            }
            body(r);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"checkpoint '{path}' ends before its contents do: damaged");
        }
        if (r.BaseStream.Position != r.BaseStream.Length)
        {
            throw new InvalidDataException($"checkpoint '{path}' holds {r.BaseStream.Length - r.BaseStream.Position} byte(s) after its contents: damaged");
        }
    }
}
