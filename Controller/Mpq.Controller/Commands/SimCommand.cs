using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mpq.Planning.Logging;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;
using Spectre.Console;

namespace Mpq.Controller.Commands;

/// <summary><c>sim</c>: closed loop in simulation — plan on the (true or biased) model, act on the true plant.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var planner = new PlannerOptions();
        var episodes = new Option<int>("--episodes", "-E") { Description = "episodes to run", DefaultValueFactory = _ => 10 };
        var bias = new Option<string>("--model-bias") { Description = "planner model: 'true' parameters, 'biased' (drawn from the task's prior each episode) or 'means' (the prior's means, what 'run' plans on at a rig)", DefaultValueFactory = _ => "true" };
        bias.AcceptOnlyFromAmong("true", "biased", "means");
        var torqueLimit = new Option<double?>("--torque-limit") { Description = "plan and act within ±this on every actuator, as 'run' does within a rig's torque_limit (default: the task's action limits)" };
        var init = new Option<string?>("--initial") { Description = "start every episode from this physics state (comma-separated qpos,qvel,...) instead of a random one" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of text" };
        var log = new Option<string?>("--log") { Description = "record every transition to this new transition log (for trainer train --from-log)" };
        var command = new Command("sim", "Run closed-loop episodes: MPPI on the model, the true-parameter MuJoCo plant as the real system.");
        planner.AddTo(command);
        command.Options.Add(episodes);
        command.Options.Add(bias);
        command.Options.Add(torqueLimit);
        command.Options.Add(init);
        command.Options.Add(json);
        command.Options.Add(log);
        command.SetAction(r => ControllerCli.Run(() => Execute(r, planner, r.GetValue(episodes), r.GetValue(bias)!, r.GetValue(torqueLimit), PlannerOptions.ParseList(r.GetValue(init), "--initial"), r.GetValue(json), r.GetValue(log))));
        return command;
    }

    private static int Execute(ParseResult r, PlannerOptions options, int episodes, string modelBias, double? torqueLimit, double[]? init, bool json, string? logPath)
    {
        if (episodes < 1)
        {
            throw new ArgumentException($"--episodes must be at least 1 (got {episodes})");
        }
        if (torqueLimit is { } limit && !(limit > 0 && double.IsFinite(limit)))
        {
            throw new ArgumentException($"--torque-limit must be a positive number (got {limit.ToString(CultureInfo.InvariantCulture)})");
        }
        var task = ActionLimitedTask.LimitOrSelf(options.CreateTask(r), torqueLimit);
        using var q = options.LoadQ(r, task);
        var settings = options.Settings(r, task, q);
        using var pool = new WorkerPool(options.ThreadCount(r));
        var biased = modelBias == "biased";
        if (q?.ActionRangeWarning(task.ActionLow, task.ActionHigh) is { } rangeWarning)
        {
            Console.Error.WriteLine($"warning: {rangeWarning}");
        }
        using var runner = new EpisodeRunner(task, settings, pool, biased, settings.Seed, q)
        {
            FixedModelParameters = modelBias == "means" ? TaskParameters.Means(task.Parameters) : null,
        };
        if (init is not null && init.Length != runner.Model.StateSize)
        {
            throw new ArgumentException($"--initial needs {runner.Model.StateSize} numbers for task '{task.Name}' (got {init.Length})");
        }
        if (init is not null && Array.Exists(init, v => !double.IsFinite(v)))
        {
            throw new ArgumentException("--initial: the initial state contains NaN or infinity");
        }

        using var log = TransitionLogFiles.OpenNew(logPath, task, runner.Model.StateSize, "sim", settings, q?.Path, ("model_bias", modelBias));
        var results = new List<EpisodeResult>();
        var clock = Stopwatch.StartNew();
        void RunAll(Action? tick)
        {
            for (var e = 0; e < episodes; e++)
            {
                var result = runner.Run(e, log, initialState: init);
                results.Add(result);
                if (!json)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"episode {e + 1,3}: cost {result.TotalCost,10:F2}  success {(result.Success ? "yes" : "no")}  model [{string.Join(", ", result.ModelParameters.Select(p => p.ToString("F3", CultureInfo.InvariantCulture)))}]"));
                }
                tick?.Invoke();
            }
        }
        if (!json && !Console.IsOutputRedirected && episodes > 1)
        {
            AnsiConsole.Progress().AutoClear(true).Start(ctx =>
            {
                var bar = ctx.AddTask($"{task.Name} H={settings.Horizon} N={settings.Samples}", maxValue: episodes);
                RunAll(() => bar.Increment(1));
            });
        }
        else
        {
            RunAll(null);
        }

        var successRate = results.Count(x => x.Success) / (double)results.Count;
        var meanCost = results.Average(x => x.TotalCost);
        if (json)
        {
            var payload = new
            {
                task = task.Name,
                model_bias = modelBias,
                torque_limit = torqueLimit,
                horizon = settings.Horizon,
                samples = settings.Samples,
                lambda = settings.Lambda,
                seed = settings.Seed,
                q = q?.Path,
                episodes = results.Select(x => new { cost = x.TotalCost, success = x.Success }),
                success_rate = successRate,
                mean_cost = meanCost,
                smoothness = Smoothness(results.Select(x => x.Smoothness)),
                smoothness_in_success_region = Smoothness(results.Select(x => x.SmoothnessInSuccessRegion)),
                non_finite_steps = runner.Planner.NonFiniteSteps,
                wall_seconds = clock.Elapsed.TotalSeconds,
            };
            // NaN (no steps in the success region) is written as "NaN", as in run's summary, never an exception.
            Console.WriteLine(JsonSerializer.Serialize(payload, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{task.Name}: H={settings.Horizon} N={settings.Samples} model={modelBias}{(torqueLimit is { } tl ? string.Create(CultureInfo.InvariantCulture, $" limit ±{tl}") : "")}{(q is null ? "" : " Q=" + Path.GetFileName(q.Path))}  success {results.Count(x => x.Success)}/{results.Count}  mean cost {meanCost:F2}  ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        if (!json && results.Count > 0)
        {
            var up = Smoothness(results.Select(x => x.SmoothnessInSuccessRegion));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  actions in the success region ({up.steps} steps): sign flips {up.sign_flip_rate:P0} of steps, mean |Δa| {up.mean_abs_change:F3}, at the limit {up.at_limit_share:P0}"));
        }
        if (runner.Planner.NonFiniteSteps > 0)
        {
            // The hold action stood in for the plan: the figures above are not the controller's. Say so and fail.
            Console.Error.WriteLine($"error: {runner.Planner.NonFiniteSteps} step(s) had no sample with a finite cost (is the Q giving NaN?); the hold action was applied instead");
            return 3;
        }
        return 0;
    }

    /// <summary>Step-weighted smoothness over episodes (JSON names as the run summary's, snake case).</summary>
    private static SmoothnessJson Smoothness(IEnumerable<Mpq.Planning.Control.SmoothnessFigures?> figures)
    {
        var all = figures.Where(f => f is { Steps: > 0 }).Select(f => f!).ToArray();
        var steps = all.Sum(f => f.Steps);
        double Weighted(Func<Mpq.Planning.Control.SmoothnessFigures, double> value) =>
            steps == 0 ? double.NaN : all.Where(f => double.IsFinite(value(f))).Sum(f => value(f) * f.Steps) / steps;
        return new SmoothnessJson(steps, Weighted(f => f.SignFlipRate), Weighted(f => f.MeanAbsChange), Weighted(f => f.AtLimitShare));
    }

#pragma warning disable IDE1006 // JSON field names
    private sealed record SmoothnessJson(long steps, double sign_flip_rate, double mean_abs_change, double at_limit_share);
#pragma warning restore IDE1006
}
