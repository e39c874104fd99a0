using System.CommandLine;
using Mpq.Common.Cli;
using Mpq.Controller.Commands;

var root = new RootCommand("MPQ controller: MPPI with a learned terminal Q, in simulation or on a rig.")
{
    SimCommand.Create(),
    BenchCommand.Create(),
    LogCommand.Create(),
    RunCommand.Create(),
    PortsCommand.Create(),
};
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? CliErrors.ParseErrors(parsed.Errors.Select(e => e.Message), "controller", parsed.CommandResult.Command.Children.Select(c => c.Name)) : parsed.Invoke();
