namespace Mpq.Common.Cli;

/// <summary>
/// A stop for safety's sake that a person must look at (exit 3, <see cref="ExitCodes.SafetyStop"/>): the rig sent
/// something its own handshake rules out, or refused what a run needs. Not a usage error: the command line was fine.
/// </summary>
public sealed class SafetyStopException(string message) : Exception(message);
