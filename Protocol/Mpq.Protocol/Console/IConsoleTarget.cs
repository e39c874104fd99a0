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

    /// <summary>
    /// Telemetry for tools (<c>stream csv [HZ]</c>): a header line, then one CSV line per period, until <c>stream off</c>.
    /// For this session only (it is not a saved parameter).
    /// </summary>
    string StreamCsv(int hz) => "error: CSV telemetry is not available on this console";

    /// <summary>The parameters file: its state (<c>params</c>), or (<paramref name="reset"/>, <c>params reset</c>) accept the defaults and save them.</summary>
    string Params(bool reset);

    /// <summary>
    /// <c>params save FILE</c> (a backup of the parameters in force), <c>params diff FILE</c> and <c>params load FILE</c>
    /// (shows the difference; with <paramref name="confirmed"/>, typed <c>params load FILE yes</c>, applies it).
    /// </summary>
    string ParamsFile(string verb, string file, bool confirmed) => "error: parameter files are not available on this console";

    /// <summary>Bring-up: joint <paramref name="joint"/> is to read <paramref name="angle"/> where it is now (its calibration offset moves).</summary>
    string Zero(string joint, string angle) => "error: bring-up is not available on this console";

    /// <summary>Bring-up: a short open-loop torque pulse on an actuator, to check that positive torque turns its joint positive.</summary>
    string Direction(string actuator, string? torque) => "error: bring-up is not available on this console";

    /// <summary>Called after the <c>binary</c> reply was sent: the port switches to binary mode.</summary>
    void EnterBinary();
}
