using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mpq.MuJoCo.Interop;

namespace Mpq.MuJoCo;

/// <summary>Process-wide MuJoCo setup: version check and error/warning hooks.</summary>
/// <remarks>
/// MuJoCo's default error handler waits for Enter and calls <c>exit</c>; its default warning
/// handler prints to stdout (which would corrupt <c>--json</c> output). Both are replaced:
/// warnings are counted and kept, a fatal error is written to stderr and ends the process with
/// exit code 70. Ending the process is the safe outcome: MuJoCo's state is undefined after a
/// fatal error, and a lost Controller makes the Firmware's watchdog drop torque.
/// </remarks>
public static unsafe class MuJoCoRuntime
{
    private static readonly Lock Gate = new();
    private static bool _initialised;
    private static long _warnings;
    private static string? _lastWarning;

    /// <summary>Exit code used when MuJoCo reports a fatal error.</summary>
    public const int FatalExitCode = 70;

    /// <summary>MuJoCo's version number as the loaded library reports it (222 for 2.2.2).</summary>
    public static int Version { get; private set; }

    /// <summary>Number of warnings MuJoCo has raised in this process.</summary>
    public static long WarningCount => Interlocked.Read(ref _warnings);

    /// <summary>Text of the most recent MuJoCo warning, if any.</summary>
    public static string? LastWarning => Volatile.Read(ref _lastWarning);

    /// <summary>Loads the library, checks its version and installs the handlers. Idempotent.</summary>
    /// <exception cref="DllNotFoundException">libmujoco.so.2.2.2 is not installed.</exception>
    /// <exception cref="InvalidOperationException">The library is not version 2.2.2.</exception>
    public static void EnsureInitialised()
    {
        if (Volatile.Read(ref _initialised))
        {
            return;
        }
        lock (Gate)
        {
            if (_initialised)
            {
                return;
            }
            var version = MuJoCoNative.mj_version();
            if (version != MjLayout.HeaderVersion)
            {
                throw new InvalidOperationException(
                    $"MuJoCo library version {version} found, but this build's struct layout is for {MjLayout.HeaderVersion} (2.2.2).");
            }
            Version = version;
            var lib = NativeLibrary.Load(MuJoCoNative.LibraryName, typeof(MuJoCoNative).Assembly, null);
            *(delegate* unmanaged[Cdecl]<byte*, void>*)NativeLibrary.GetExport(lib, "mju_user_error") = &OnError;
            *(delegate* unmanaged[Cdecl]<byte*, void>*)NativeLibrary.GetExport(lib, "mju_user_warning") = &OnWarning;
            Volatile.Write(ref _initialised, true);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnError(byte* message)
    {
        var text = Marshal.PtrToStringUTF8((nint)message) ?? "(no message)";
        Console.Error.WriteLine($"error: MuJoCo fatal error: {text}");
        Console.Error.Flush();
        Environment.Exit(FatalExitCode);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnWarning(byte* message)
    {
        Interlocked.Increment(ref _warnings);
        Volatile.Write(ref _lastWarning, Marshal.PtrToStringUTF8((nint)message));
    }
}
