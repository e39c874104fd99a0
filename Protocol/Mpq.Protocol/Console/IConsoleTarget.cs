namespace Mpq.Protocol.Console;

/// <summary>What the console's verbs act on (the Firmware implements it). Each action returns its reply line.</summary>
public interface IConsoleTarget
{
    /// <summary>Multi-line status: arm state, faults, link health, loop timing.</summary>
    string Status();

    string Arm();

    string Disarm();

    string EStop();

    /// <summary>Clears latched faults; a latched estop only with <paramref name="releaseEStop"/> (typed <c>clear estop</c>).</summary>
    string ClearFaults(bool releaseEStop);

    string SetStreaming(bool on);

    /// <summary>The parameters file: its state (<c>params</c>), or (<paramref name="reset"/>, <c>params reset</c>) accept the defaults and save them.</summary>
    string Params(bool reset);

    /// <summary>Called after the <c>binary</c> reply was sent: the port switches to binary mode.</summary>
    void EnterBinary();
}
