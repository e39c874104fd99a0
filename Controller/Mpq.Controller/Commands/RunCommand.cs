using System.CommandLine;
using System.Globalization;
using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Planning.Parallel;
using Mpq.Protocol.Serial;

namespace Mpq.Controller.Commands;

/// <summary><c>run</c>: MPPI (with a learned Q) on a rig over a serial line.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var planner = new PlannerOptions();
        var port = new Option<string?>("--port") { Description = "serial device of the rig (or one end of a socat pty pair); --list-ports shows them" };
        var listPorts = new Option<bool>("--list-ports") { Description = "list the serial ports (as 'controller ports') and exit" };
        var transport = new Option<string>("--transport") { Description = "tty (low latency, default) or serialport (System.IO.Ports)", DefaultValueFactory = _ => "tty" };
        transport.AcceptOnlyFromAmong(SerialTransports.KindNames);
        var baud = new Option<int>("--baud") { Description = "baud rate", DefaultValueFactory = _ => 115200 };
        var arm = new Option<bool>("--arm") { Description = "arm the rig and apply torque (without it the loop runs and commands zero-effect while disarmed)" };
        var duration = new Option<double>("--duration") { Description = "seconds to run", DefaultValueFactory = _ => 10 };
        var rate = new Option<double?>("--control-rate") { Description = "the controller's step rate in Hz (default: the task's; the firmware's own loop rate is its --loop-rate)" };
        var log = new Option<string?>("--log") { Description = "record every transition to this new transition log (disarmed steps too, with the torque the rig applied, zero: a free swing after a push is a log for trainer identify)" };
        var console = new Option<string?>("--console") { Description = "tuning console: a tty or pty PATH, '-' for stdin, 'none' (default: stdin when it is a terminal)" };
        var noWatch = new Option<bool>("--no-watch") { Description = "do not reload the Q when its file changes on disk" };
        var watchdog = new Option<int?>("--watchdog-ms") { Description = "rig watchdog to ask for when arming (default: 2.5 control periods, at least 20 ms); longer rides out a noisy line" };
        var learnFrom = new Option<string?>("--learn-from") { Description = "HOST:PORT of a trainer (trainer serve): stream this rig's transitions there and swap in every Q it sends back (the rig acts with the Q it has while the trainer is away)" };
        var excite = new Option<string?>("--excite")
        {
            Description = "an open-loop excitation instead of the planner, for 'trainer identify': chirp:AMPLITUDE[:LOW_HZ:HIGH_HZ[:SWEEP_S]] (default 0.1-2 Hz over 20 s, up and down) or prbs:AMPLITUDE; every safety rule stays in force",
        };
        var json = new Option<bool>("--json") { Description = "print the run's summary as one JSON object on stdout" };
        var realtime = new Option<int>("--realtime-priority")
        {
            Description = "SCHED_FIFO priority of the control loop and its planner threads, 1-79, below the Firmware's 80 (0: normal scheduling); granted to root or CAP_SYS_NICE",
            DefaultValueFactory = _ => 50,
        };
        var live = new Option<bool>("--live") { Description = "a live view of the run on the terminal (angle, velocity, applied torque, arm state, link, planner timing), redrawn 4 times a second" };
        var dashboard = new Option<string?>("--dashboard")
        {
            Description = $"a live plot in the browser at HOST:PORT (default {Dashboard.DashboardServer.DefaultAddress}, this machine only): angles, commanded and applied torque with the limits, arm state, faults, link, planner time",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var report = new Option<double>("--report") { Description = "seconds between timing reports on stderr (0: none)", DefaultValueFactory = _ => 5 };
        var command = new Command("run", "Control a rig over serial: handshake, optional arm, plan every period on the freshest State, Disarm on exit.")
        {
            port, listPorts, transport, baud, arm, duration, rate, log, console, noWatch, report, live, watchdog, realtime, json, learnFrom, dashboard, excite,
        };
        planner.AddTo(command);
        command.SetAction(r => ControllerCli.Run(() =>
        {
            if (r.GetValue(listPorts))
            {
                SerialTransports.PrintPorts(Console.Out, Console.Error);
                return 0;
            }
            // Every option is checked before the port is opened: bad input never reaches the rig.
            var portPath = r.GetValue(port) ?? throw new ArgumentException("--port is required (the rig's serial device; --list-ports shows them)");
            var dashboardAt = r.GetResult(dashboard) is null ? null : r.GetValue(dashboard) ?? Dashboard.DashboardServer.DefaultAddress;
            if (dashboardAt is not null)
            {
                Dashboard.DashboardServer.ParseAddress(dashboardAt);
            }
            var reportSeconds = r.GetValue(report);
            if (!double.IsFinite(reportSeconds) || reportSeconds < 0)
            {
                throw new ArgumentException($"--report must be 0 or more seconds (got {reportSeconds})");
            }
            if (r.GetValue(duration) is var seconds && (!double.IsFinite(seconds) || seconds <= 0))
            {
                throw new ArgumentException($"--duration must be a positive number of seconds (got {seconds})");
            }
            if (r.GetValue(rate) is { } hz && (!double.IsFinite(hz) || hz < 1 || hz > 2000))
            {
                throw new ArgumentException($"--control-rate must be between 1 and 2000 Hz (got {hz})");
            }
            if (r.GetValue(baud) <= 0)
            {
                throw new ArgumentException($"--baud must be positive (got {r.GetValue(baud)})");
            }
            if (r.GetValue(watchdog) is { } w && w is < 5 or > 1000)
            {
                throw new ArgumentException($"--watchdog-ms must be between 5 and 1000 (got {w})");
            }
            if (r.GetValue(learnFrom) is { } address)
            {
                LearningLink.ParseAddress(address); // a malformed address is refused before the port opens
            }
            if (r.GetValue(realtime) is < 0 or > 79)
            {
                throw new ArgumentException($"--realtime-priority must be between 0 (off) and 79, below the Firmware's device loop (got {r.GetValue(realtime)})");
            }
            if (r.GetValue(live))
            {
                if (!RunLiveView.Supported)
                {
                    throw new ArgumentException("--live draws on the terminal, and stderr is not one");
                }
                if (r.GetValue(console) is null or "-" && !Console.IsInputRedirected)
                {
                    throw new ArgumentException("--live draws on this terminal: give the tuning console its own (--console /dev/pts/N) or --console none");
                }
            }
            if (r.GetValue(excite) is not null && r.GetValue(learnFrom) is not null)
            {
                throw new ArgumentException("--excite drives the rig open-loop: there is nothing for --learn-from to learn from the planner; run them apart");
            }
            var task = planner.CreateTask(r);
            var excitation = r.GetValue(excite) is { } signal ? Excitation.Parse(signal, 1 / (r.GetValue(rate) ?? 1 / task.ControlPeriod)) : null;
            using var q = planner.LoadQ(r, task);
            var settings = planner.Settings(r, task, q);
            using var pool = new WorkerPool(planner.ThreadCount(r), realtimePriority: r.GetValue(realtime));
            using var link = SerialTransports.Open(portPath, r.GetValue(baud), SerialTransports.ParseKind(r.GetValue(transport)!));
            Console.Error.WriteLine(SerialTransports.TrySetLatencyTimer(portPath));
            using var consoleStream = OpenConsole(r.GetValue(console));
            TuningConsole? tuning = null;
            RunLiveView? view = null;
            using var client = new RigClient(link, line =>
            {
                if (view is not null)
                {
                    view.Message(line);
                }
                else if (tuning is not null && consoleStream is null)
                {
                    tuning.WriteLine(line); // the console shares stderr: one writer, so a report never lands inside its live line
                }
                else
                {
                    Console.Error.WriteLine(line);
                }
                if (consoleStream is not null)
                {
                    tuning?.WriteLine(line);
                }
            }, r.GetValue(realtime));
            var ack = client.Handshake(TimeSpan.FromSeconds(5));
            Console.Error.WriteLine($"rig '{ack.RigName}': {ack.Joints} joint(s), {ack.Actuators} actuator(s), {ack.LoopRateHz} Hz, torque limit {ack.TorqueLimit[0]}");
            if (excitation is not null)
            {
                for (var a = 0; a < ack.TorqueLimit.Length; a++)
                {
                    if (excitation.Amplitude > ack.TorqueLimit[a])
                    {
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"--excite: amplitude {excitation.Amplitude:G4} is above the rig's torque_limit {ack.TorqueLimit[a]:G4} (actuator {a}): the rig would clip it and the log would not say what acted; lower it, or raise torque_limit on the rig's console"));
                    }
                }
                Console.Error.WriteLine($"excitation: {excitation}, open loop (no planner){(r.GetValue(arm) ? "" : "; the rig applies it only once armed")}");
            }
            using var transitions = TransitionLogFiles.OpenNew(r.GetValue(log), task, 2 * ack.Joints, "rig", settings, q?.Path, TransitionLogFiles.RigEntries(ack.RigName, ack.TorqueLimit));
            // A console PATH or '-' is always interactive; by default only a terminal on stdin is.
            var interactive = consoleStream is not null || r.GetValue(console) switch { "-" => true, null => !Console.IsInputRedirected, _ => false };
            var learningAddress = r.GetValue(learnFrom);
            var toLearner = learningAddress is null ? null : new TransitionRing((int)Math.Ceiling(30 / task.ControlPeriod), task.ObservationSize, task.ActionSize, 2 * ack.Joints);
            using var runner = new RigRunner(task, settings, pool, q, client, ack, new TransitionFanout(transitions, toLearner), r.GetValue(rate), keepRunningWhenDisarmed: interactive,
                excitation: excitation, recordNotLive: transitions is not null && toLearner is null)
            {
                RealtimePriority = r.GetValue(realtime),
                Report = reportSeconds > 0 ? line => client.Log($"timing: {line}") : null,
                ReportEvery = TimeSpan.FromSeconds(reportSeconds > 0 ? reportSeconds : 5),
                WatchdogMs = r.GetValue(watchdog),
            };
            if (q?.ActionRangeWarning(runner.Planner.Plan.Low, runner.Planner.Plan.High, "the rig's torque_limit: 'set torque_limit X' on its console") is { } rangeWarning)
            {
                Console.Error.WriteLine($"warning: {rangeWarning}");
            }
            using var reloader = new QReloader(task, q?.Path, settings.Samples, runner.OfferTerminalCost, client.Log);
            if (q is not null && !r.GetValue(noWatch))
            {
                reloader.Watch();
            }
            using var learning = toLearner is null ? null
                : new LearningLink(learningAddress!, task, 2 * ack.Joints, [.. ack.TorqueLimit.ToArray().Select(l => (double)l)], ack.RigName, toLearner,
                    () => (runner.Progress.Steps, runner.Progress.DeadlineMisses, runner.PlanTimes.Percentile(0.99, 20)), AdoptFrom(runner, task, client.Log), reloader,
                    Path.Combine(Path.GetTempPath(), $"mpq-learned-q-{Environment.ProcessId}.onnx"), client.Log);
            learning?.Start();
            if (interactive)
            {
                // Whatever reached the console's terminal before now (bytes left in a pty, keys pressed during start-up)
                // is discarded: the first 'arm' of a session must be typed after the console is ready.
                var discarded = consoleStream is null ? SerialTransports.DiscardPendingStandardInput() : SerialTransports.DiscardPendingInput(consoleStream.SafeFileHandle);
                if (discarded)
                {
                    Console.Error.WriteLine("console: input typed before start-up discarded");
                }
                tuning = consoleStream is null
                    ? new TuningConsole(runner, client, reloader, Console.OpenStandardInput(), Console.Error, echo: false) // a terminal on stdin echoes itself
                    : new TuningConsole(runner, client, reloader, consoleStream, new StreamWriter(consoleStream) { AutoFlush = true }, echo: true);
                tuning.Start();
            }
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            if (r.GetValue(live))
            {
                view = new RunLiveView(client, runner, r.GetValue(duration));
                view.Start();
            }
            using var page = dashboardAt is null ? null
                : new Dashboard.DashboardServer(dashboardAt, Dashboard.DashboardData.LiveMeta($"rig '{ack.RigName}', {task.Name}", ack.Joints, ack.Actuators), Dashboard.DashboardData.Live(client, runner), client.Log);
            page?.Start();
            var s = runner.Run(TimeSpan.FromSeconds(r.GetValue(duration)), r.GetValue(arm), cancel.Token);
            view?.Dispose();
            view = null;
            // The run is over and Disarm sent: stop the Heartbeats too, so the count of frames sent is final.
            client.StopHeartbeats();
            client.Flush(TimeSpan.FromSeconds(1));
            s = s with { FramesSent = client.FramesSent };
            Console.Error.WriteLine($"timing: {runner.DescribeTiming()}");
            if (learning is not null)
            {
                Console.Error.WriteLine(learning.Describe());
            }
            Console.WriteLine(r.GetValue(json) ? System.Text.Json.JsonSerializer.Serialize(s, SummaryJson) : $"{s} (Disarm sent)");
            if (s.NonFiniteActions > 0)
            {
                Console.Error.WriteLine($"error: {s.NonFiniteActions} step(s) had no finite action (is the Q giving NaN?); the hold action was sent instead");
                return 3;
            }
            return s.Stop.ExitCode();
        }));
        return command;
    }

    private static readonly System.Text.Json.JsonSerializerOptions SummaryJson = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>
    /// Takes a trainer's planner settings (checked as the console checks its input) for the loop's next step, and says so;
    /// returns why not when refused.
    /// </summary>
    private static Func<Protocol.Learning.Planner, string?> AdoptFrom(RigRunner runner, Tasks.ITask task, Action<string> log) => message =>
    {
        try
        {
            var settings = PlannerMessage.Read(message, runner.Tuning.Requested, task.ActionSize);
            if (runner.Tuning.Adopt(settings) is { } refused)
            {
                return refused;
            }
            log($"learning link: acting with the trainer's planner: {PlannerMessage.Describe(settings)}");
            return null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    };

    /// <summary>The tuning console's terminal: null for stdin or none, else the opened tty or pty.</summary>
    private static FileStream? OpenConsole(string? path)
    {
        if (path is null or "-" or "none")
        {
            return null;
        }
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open the console '{path}': {e.Message}", e);
        }
    }
}
