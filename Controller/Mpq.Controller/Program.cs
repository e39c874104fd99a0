using System.CommandLine;
using Mpq.Controller.Commands;

var root = new RootCommand("MPQ controller: MPPI with a learned terminal Q, in simulation or on a rig.")
{
    SimCommand.Create(),
    BenchCommand.Create(),
    LogCommand.Create(),
    RunCommand.Create(),
};
return root.Parse(args).Invoke();
