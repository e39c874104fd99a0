namespace Mpq.Common;

/// <summary>Files a killed run or a power cut must never leave half-written (metrics, run descriptions, checkpoints, parameters).</summary>
/// <remarks>
/// Writes beside the target, flushes to the disk (fsync), then renames over the target: a reader sees the old or
/// the new content, never a part, and after a crash the rename never points at data still in the page cache.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> (UTF-8) atomically.</summary>
    public static void Write(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Replaces <paramref name="path"/> with the concatenation of <paramref name="parts"/> atomically.</summary>
    public static void Write(string path, params ReadOnlySpan<byte[]> parts)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        // Hidden and per process: two writers never share a temporary file, and a listing skips it.
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                foreach (var part in parts)
                {
                    file.Write(part);
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp); // a full disk must not also leave a part-written file behind
            throw;
        }
    }

    /// <summary>
    /// Removes the temporary files that writes of <paramref name="path"/> by processes no longer running left behind (a
    /// kill -9 or a power cut between writing and renaming); returns how many. A running process's file is kept.
    /// </summary>
    public static int RemoveStaleTemporaryFiles(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            return 0;
        }
        var prefix = $".{Path.GetFileName(full)}.";
        var removed = 0;
        foreach (var candidate in Directory.EnumerateFiles(directory, $"{prefix}*.tmp"))
        {
            var pid = Path.GetFileName(candidate)[prefix.Length..^".tmp".Length];
            if (int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
                && id != Environment.ProcessId && !Directory.Exists($"/proc/{id}") && TryDelete(candidate))
            {
                removed++;
            }
        }
        return removed;
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
