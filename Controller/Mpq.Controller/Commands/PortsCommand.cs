using System.CommandLine;
using Mpq.Protocol.Serial;

namespace Mpq.Controller.Commands;

/// <summary><c>ports</c>: which serial ports there are, to choose <c>run --port</c>.</summary>
internal static class PortsCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "also legacy /dev/ttyS ports with no USB or by-id name" };
        var command = new Command("ports", "List serial ports (USB adapters with their /dev/serial/by-id names and latency timers) for run --port.") { all };
        command.SetAction(r => ControllerCli.Run(() =>
        {
            SerialTransports.PrintPorts(Console.Out, Console.Error, r.GetValue(all));
            return 0;
        }));
        return command;
    }
}
