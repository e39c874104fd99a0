namespace Mpq.Trainer;

/// <summary>Files a killed run must never leave half-written (metrics, run description).</summary>
internal static class AtomicFile
{
    /// <summary>Writes beside <paramref name="path"/>, then renames over it: readers see the old or the new text, never a part.</summary>
    public static void Write(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
