using System.CommandLine;
using Mpq.Common.Cli;
using Mpq.Tasks;
using Mpq.Trainer;

var tasks = new Command("tasks", "List the tasks with their true parameters and biased priors (the paper's Table 1).");
tasks.SetAction(_ =>
{
    foreach (var name in TaskCatalog.Names)
    {
        Console.WriteLine(TaskTable.Format(TaskCatalog.Create(name)));
    }
    return 0;
});
var root = new RootCommand("MPQ trainer: learns the terminal soft Q from the true system's data.") { tasks, TrainCommand.Create(), ExperimentCommand.Create(), BenchCommand.Create(), PlotLogCommand.Create(), Mpq.Trainer.Online.ServeCommand.Create(), Mpq.Trainer.Identification.IdentifyCommand.Create() };
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? CliErrors.ParseErrors(parsed.Errors.Select(e => e.Message), "trainer", parsed.CommandResult.Command.Children.Select(c => c.Name)) : parsed.Invoke();
