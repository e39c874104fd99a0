using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mpq.MuJoCo.Interop;

/// <summary>Every native MuJoCo entry point this project calls, and nothing else.</summary>
/// <remarks>
/// Arguments are raw pointers: the owning <see cref="MjModel"/> / <see cref="MjData"/> keep the
/// native objects alive around each call, so the hot path pays no SafeHandle ref-counting.
/// </remarks>
internal static unsafe partial class MuJoCoNative
{
    public const string LibraryName = "mujoco";
    public const string SoName = "libmujoco.so.2.2.2";

    [LibraryImport(LibraryName)]
    public static partial nint mj_loadXML(byte* filename, nint vfs, byte* error, int errorSize);

    [LibraryImport(LibraryName)]
    public static partial nint mj_makeData(nint model);

    [LibraryImport(LibraryName)]
    public static partial void mj_deleteData(nint data);

    [LibraryImport(LibraryName)]
    public static partial void mj_deleteModel(nint model);

    [LibraryImport(LibraryName)]
    public static partial void mj_step(nint model, nint data);

    [LibraryImport(LibraryName)]
    public static partial void mj_forward(nint model, nint data);

    [LibraryImport(LibraryName)]
    public static partial void mj_kinematics(nint model, nint data);

    [LibraryImport(LibraryName)]
    public static partial void mj_resetData(nint model, nint data);

    [LibraryImport(LibraryName)]
    public static partial int mj_name2id(nint model, int type, byte* name);

    [LibraryImport(LibraryName)]
    public static partial byte* mj_id2name(nint model, int type, int id);

    [LibraryImport(LibraryName)]
    public static partial int mj_version();

    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255",
        Justification = "The resolver must be in place before the first call into MuJoCo from any entry point.")]
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(MuJoCoNative).Assembly, Resolve);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != LibraryName)
        {
            return 0;
        }
        var overridePath = Environment.GetEnvironmentVariable("MPQ_MUJOCO_LIBRARY");
        if (!string.IsNullOrEmpty(overridePath) && NativeLibrary.TryLoad(overridePath, out var custom))
        {
            return custom;
        }
        foreach (var candidate in (ReadOnlySpan<string>)[SoName, "/usr/lib/x86_64-linux-gnu/" + SoName, "/usr/lib/aarch64-linux-gnu/" + SoName])
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }
        throw new DllNotFoundException(
            $"{SoName} was not found. Install it with 'sudo apt-get install libmujoco-dev' " +
            "(Debian 12), or point MPQ_MUJOCO_LIBRARY at the library file.");
    }
}
