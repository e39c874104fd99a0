using System.CommandLine;
using Mpq.Common.Cli;
using Mpq.Firmware.Bench;

var json = new Option<bool>("--json") { Description = "print one JSON object per case" };
var abuseCase = new Option<string>("--case") { Description = "which abuse: all, or one of " + string.Join(", ", Enum.GetNames<AbuseCase>()), DefaultValueFactory = _ => "all" };
var trials = new Option<int>("--trials") { Description = "trials per case", DefaultValueFactory = _ => 20 };
var seconds = new Option<double>("--seconds") { Description = "flood seconds for ValidFloodWhileCommanded", DefaultValueFactory = _ => 60 };
var abuse = new Command("abuse", "The device loop under line abuse (floods, garbage, a peer that stops reading), the firmware in its own process: tick gaps, missed ticks, tick work, and each stop's delay after the last fresh Command.")
{
    abuseCase, trials, seconds, json,
};
abuse.SetAction(r => CliErrors.Run(() =>
{
    if (r.GetValue(trials) is < 1 or > 1000)
    {
        throw new ArgumentException($"--trials must be between 1 and 1000 (got {r.GetValue(trials)})");
    }
    if (r.GetValue(seconds) is var s && (!double.IsFinite(s) || s <= 0 || s > 3600))
    {
        throw new ArgumentException($"--seconds must be in (0, 3600] (got {s})");
    }
    var name = r.GetValue(abuseCase)!;
    AbuseCase[] cases = name == "all" ? Enum.GetValues<AbuseCase>()
        : Enum.TryParse<AbuseCase>(name, ignoreCase: true, out var one) ? [one]
        : throw new ArgumentException($"--case: unknown case '{name}' (all, {string.Join(", ", Enum.GetNames<AbuseCase>())})");
    foreach (var c in cases)
    {
        var result = LineAbuse.Run(c, r.GetValue(trials), r.GetValue(seconds));
        Console.WriteLine(r.GetValue(json) ? result.ToJson() : result.Report());
    }
    return 0;
}));
var root = new RootCommand("Firmware benchmarks that print numbers (and JSON for scripts).") { abuse };
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? CliErrors.ParseErrors(parsed.Errors.Select(e => e.Message), "firmware-bench", parsed.CommandResult.Command.Children.Select(c => c.Name)) : parsed.Invoke();
