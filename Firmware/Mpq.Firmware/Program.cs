using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Mpq.Common.Cli;
using Mpq.Firmware.Device;
using Mpq.Firmware.Drivers;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Serial;

var port = new Option<string?>("--port") { Description = "serial device (e.g. /dev/ttyUSB0, or one end of a socat pty pair; --list-ports shows them)" };
var listPorts = new Option<bool>("--list-ports") { Description = "list the serial ports and exit" };
var baud = new Option<int>("--baud") { Description = "baud rate", DefaultValueFactory = _ => 115200 };
var driverOption = new Option<string?>("--driver") { Description = "gpio, or virtual:TASK (e.g. virtual:pendulum)" };
var config = new Option<string?>("--config") { Description = "GPIO driver configuration (pin map, counts per revolution; JSON)" };
var paramsFile = new Option<string?>("--params") { Description = "where parameters persist (default: firmware-params.json beside --config, or none)" };
var lockstep = new Option<bool>("--lockstep") { Description = "virtual rig only: advance only when the controller answered the last State (deterministic tests)" };
var transport = new Option<string>("--transport") { Description = "tty (low latency, default) or serialport (System.IO.Ports)", DefaultValueFactory = _ => "tty" };
transport.AcceptOnlyFromAmong(SerialTransports.KindNames);
var rate = new Option<int>("--loop-rate") { Description = "the device loop's rate, Hz (the controller's step rate is its --control-rate)", DefaultValueFactory = _ => 500 };
var duration = new Option<double?>("--duration") { Description = "run this many seconds, then stop and print loop statistics" };
var json = new Option<bool>("--json") { Description = "with --duration: print the statistics as one JSON object" };
var initial = new Option<string?>("--initial") { Description = "virtual rig: start state q,v (default: hanging at rest)" };
var noise = new Option<double>("--sensor-noise") { Description = "virtual rig: position noise std, rad (velocity noise 10x)", DefaultValueFactory = _ => 0 };
var requireBringUp = new Option<bool>("--require-bring-up") { Description = "virtual rig: behave as hardware does, refusing to arm until bring-up passed ('zero', 'direction' at the console); for practice and tests" };
var counts = new Option<int>("--counts-per-rev") { Description = "virtual rig: encoder quantisation", DefaultValueFactory = _ => 0 };
var delay = new Option<int>("--delay-ticks") { Description = "virtual rig: actuation delay in ticks", DefaultValueFactory = _ => 0 };
var truth = new Option<string?>("--true")
{
    Description = "virtual rig: how the plant differs from the task's model, NAME=VALUE,...: physical parameters (e.g. mass=1.05), damping_J, friction_J (Coulomb, N·m), deadband (N·m), motor_kt/motor_ohm/motor_volts, delay_ms, counts_per_rev, sensor_noise",
};
var resetParams = new Option<bool>("--reset-params") { Description = "accept the defaults: the parameters file (damaged or not) is moved aside as FILE.before-reset-TIME and the defaults saved" };
var signParams = new Option<bool>("--sign-params") { Description = "check a parameters file edited by hand and sign it (needs --driver and --params or --config, no --port), then exit" };

var root = new RootCommand("MPQ rig firmware: drivers, safety, telemetry and a console on one serial port.")
{
    port, listPorts, baud, driverOption, config, paramsFile, lockstep, transport, rate, duration, json, initial, noise, counts, delay, truth, resetParams, signParams, requireBringUp,
};
// --port and --driver are required unless only the ports are listed (or a parameters file signed, which needs no
// port): a parse error (exit 2) like any other.
root.Validators.Add(result =>
{
    if (result.GetValue(listPorts))
    {
        return;
    }
    foreach (var required in result.GetValue(signParams) ? (Option[])[driverOption] : [port, driverOption])
    {
        if (result.GetResult(required) is null)
        {
            result.AddError($"Option '{required.Name}' is required.");
        }
    }
});
// The project's error policy; a state the request cannot be met in (a port already in use) is a usage error too.
root.SetAction(r => CliErrors.Run(() => Run(r), typeof(InvalidOperationException)));
var parsed = root.Parse(args);
return parsed.Errors.Count > 0 ? CliErrors.ParseErrors(parsed.Errors.Select(e => e.Message), "firmware", parsed.CommandResult.Command.Children.Select(c => c.Name)) : parsed.Invoke();

int Run(ParseResult r)
{
    if (r.GetValue(listPorts))
    {
        SerialTransports.PrintPorts(Console.Out, Console.Error);
        return 0;
    }
    if (r.GetValue(rate) is < 50 or > 2000)
    {
        throw new ArgumentException($"--loop-rate must be between 50 and 2000 Hz (got {r.GetValue(rate)})");
    }
    if (r.GetValue(duration) is { } d && (!double.IsFinite(d) || d <= 0))
    {
        throw new ArgumentException($"--duration must be a positive number of seconds (got {d})");
    }
    if (r.GetValue(baud) <= 0)
    {
        throw new ArgumentException($"--baud must be positive (got {r.GetValue(baud)})");
    }
    if (!double.IsFinite(r.GetValue(noise)) || r.GetValue(noise) < 0)
    {
        throw new ArgumentException($"--sensor-noise must be 0 or a positive number (got {r.GetValue(noise)})");
    }
    if (r.GetValue(counts) < 0)
    {
        throw new ArgumentException($"--counts-per-rev must be 0 (off) or positive (got {r.GetValue(counts)})");
    }
    if (r.GetValue(delay) is < 0 or > 1000)
    {
        throw new ArgumentException($"--delay-ticks must be between 0 and 1000 (got {r.GetValue(delay)})");
    }
    var paramsPath = r.GetValue(paramsFile) ?? (r.GetValue(config) is { } c ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(c))!, "firmware-params.json") : null);
    if (r.GetValue(signParams))
    {
        return SignParameters(r, paramsPath);
    }
    using var driver = CreateDriver(r);
    var log = (string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}");
    var table = FirmwareParameters.Create(driver.Joints, driver.TorqueMax, r.GetValue(rate), driver.SlewRate, bringUpDone: !driver.NeedsBringUp);
    ParameterStore? store = null;
    var check = new ParameterFileCheck(0, null);
    if (paramsPath is not null)
    {
        store = new ParameterStore(paramsPath, log);
        store.CleanStaleTemporaryFiles();
        if (r.GetValue(resetParams))
        {
            var moved = store.MoveAside("before-reset");
            store.Save(table);
            log($"parameters: --reset-params: the defaults are saved to {paramsPath}{(moved is null ? "" : $"; the old file is {moved}")}");
        }
        check = store.Load(table);
        if (check.Problem is null)
        {
            log($"parameters: {check.Applied} stored value(s) from {paramsPath}");
        }
        table.Load(FirmwareParameters.LoopRateHz, r.GetValue(rate));
    }
    else if (r.GetValue(resetParams))
    {
        throw new ArgumentException("--reset-params needs a parameters file (--params FILE, or --config beside which it lives)");
    }
    var keeper = new ParameterKeeper(store, check, log);
    var supervisor = new SafetySupervisor(driver.Joints, driver.Actuators);
    var kind = SerialTransports.ParseKind(r.GetValue(transport)!);
    using var serialPort = SerialTransports.Open(r.GetValue(port)!, r.GetValue(baud), kind);
    log(SerialTransports.TrySetLatencyTimer(r.GetValue(port)!));
    using var link = new RigLink(serialPort, supervisor, table, keeper, new RigInfo(driver.Name, driver.Joints, driver.Actuators, driver.TorqueMax, driver.NeedsBringUp), log);
    var loop = new DeviceLoop(driver, supervisor, table, link, r.GetValue(lockstep), log);
    using var stop = new ManualResetEventSlim();
    var stoppedBy = "Ctrl-C";
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Set();
    };
    // SIGTERM (systemd stopping a service, kill) stops the same way as Ctrl-C: torque zero, statistics printed. A program
    // started in the background by a shell has SIGINT ignored (inherited), so Ctrl-C cannot reach it; SIGTERM can.
    using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stoppedBy = "SIGTERM";
        stop.Set();
    });
    AppDomain.CurrentDomain.ProcessExit += (_, _) => driver.Stop();
    link.Start();
    loop.Start();
    log($"firmware: {driver.Name} on {r.GetValue(port)} ({kind}), {r.GetValue(rate)} Hz{(r.GetValue(lockstep) ? ", lockstep" : "")}; Ctrl-C stops (torque zero)");
    var interrupted = r.GetValue(duration) is { } seconds ? stop.Wait(TimeSpan.FromSeconds(seconds)) : stop.Wait(Timeout.Infinite);
    // Torque first: the loop ends within a tick (it waits on nothing), then the motors are stopped; the link's threads
    // (each bounded: one write, one poll) are ended after that by the usings.
    loop.Dispose();
    driver.Stop();
    log($"firmware: stopped ({(interrupted ? stoppedBy : "--duration reached")}); motors at zero torque");
    var summary = new
    {
        ticks = loop.Ticks,
        overruns = loop.Overruns,
        overrun_rate = loop.Ticks == 0 ? 0 : loop.Overruns / (double)loop.Ticks,
        jitter_us_p50 = loop.Jitter.Percentile(0.5),
        jitter_us_p99 = loop.Jitter.Percentile(0.99),
        jitter_us_max = loop.Jitter.Max,
        tick_us_p99 = loop.TickTime.Percentile(0.99),
        tick_us_p999 = loop.TickTime.Percentile(0.999),
        tick_us_max = loop.TickTime.Max,
        states_sent = link.StatesSent,
        frames_sent = link.FramesSent,
        frames_accepted = link.Received.FramesAccepted,
        frames_lost = link.Received.FramesLost,
        frames_rejected = link.Received.DroppedTotal,
        rejected = link.Received.DroppedByCause(),
        watchdog_trips = supervisor.WatchdogTrips,
        commands_accepted = supervisor.CommandsAccepted,
        commands_rejected_stale = supervisor.CommandsRejectedStale,
        commands_rejected_invalid = supervisor.CommandsRejectedInvalid,
        commands_ignored_not_armed = supervisor.CommandsIgnoredNotArmed,
        commands_expired = supervisor.CommandsExpired,
        inbox_dropped = link.Inbox.Dropped,
        trips = supervisor.Trips,
        tick_gap_ms_max = loop.TickGap.Max / 1000,
        tick_gap_ms_p999 = loop.TickGap.Percentile(0.999) / 1000,
        missed_ticks = loop.MissedTicks,
        states_dropped_line_busy = link.StatesSkippedBusy,
        output_dropped = link.OutputDropped - link.WriteTimeouts,
        write_timeouts = link.WriteTimeouts,
        malformed_answered = link.MalformedAnswered,
        requests_unanswered_over_budget = link.RepliesOverBudget,
        // Each stop of an armed rig: its cause and the time from the last fresh Command to the tick that applied zero.
        stops = supervisor.Stops.Select(x => new { cause = x.Cause.ToString(), after_fresh_command_ms = x.AfterFreshCommandSeconds * 1000 }).ToArray(),
        gc_collections = new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) },
        loop_priority = loop.PriorityReport,
        reader_priority = serialPort.ReaderPriorityReport,
        writer_priority = link.WriterPriorityReport,
    };
    if (r.GetValue(json))
    {
        Console.WriteLine(JsonSerializer.Serialize(summary));
    }
    else
    {
        Console.WriteLine(loop.Describe());
        Console.WriteLine($"link: sent {link.FramesSent} frames ({link.StatesSent} States; {link.StatesSkippedBusy} States and {link.OutputDropped - link.WriteTimeouts} other items dropped, {link.WriteTimeouts} writes timed out: line backed up); received {link.Received}; watchdog trips {supervisor.WatchdogTrips}, trips {supervisor.Trips}; tick gap max {loop.TickGap.Max / 1000:F2} ms, missed ticks {loop.MissedTicks}");
    }
    return 0;
}

// A hand-edited parameters file: every field checked against this rig's table (its joints and torque maximum), then signed.
int SignParameters(ParseResult r, string? path)
{
    if (path is null)
    {
        throw new ArgumentException("--sign-params needs the file: --params FILE (or --config, beside which it lives)");
    }
    var table = r.GetValue(driverOption) == "gpio" && r.GetValue(config) is { } gpioConfig
        ? GpioTable(gpioConfig) // the pin map gives the shape; no pin is opened to sign a file
        : TableOf(r);
    Console.WriteLine(new ParameterStore(path, _ => { }).Sign(table));
    return 0;
}

ParameterTable GpioTable(string configPath)
{
    var gpio = Mpq.Firmware.Drivers.Gpio.GpioRigConfig.Parse(File.ReadAllText(configPath));
    return FirmwareParameters.Create(gpio.Joints.Length, gpio.Actuators.Min(m => m.TorqueAtFullDuty), bringUpDone: false);
}

ParameterTable TableOf(ParseResult r)
{
    using var driver = CreateDriver(r);
    return FirmwareParameters.Create(driver.Joints, driver.TorqueMax, r.GetValue(rate), driver.SlewRate, bringUpDone: !driver.NeedsBringUp);
}

IRigDriver CreateDriver(ParseResult r)
{
    var spec = r.GetValue(driverOption)!;
    if (spec == "gpio")
    {
        var path = r.GetValue(config) ?? throw new ArgumentException("--driver gpio needs --config FILE with the pin map (see Firmware/README.md, Wiring)");
        return Mpq.Firmware.Drivers.Gpio.GpioRigDriver.FromConfigFile(path);
    }
    if (spec.StartsWith("virtual:", StringComparison.Ordinal))
    {
#if VIRTUAL_RIG
        var task = Mpq.Tasks.TaskCatalog.Create(spec["virtual:".Length..]);
        double[]? state = null;
        if (r.GetValue(initial) is { } text)
        {
            state = text.Split(',').Select(p => double.Parse(p, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            if (state.Any(v => !double.IsFinite(v)))
            {
                throw new ArgumentException("--initial: the state contains NaN or infinity");
            }
        }
        var options = new Mpq.Firmware.VirtualRig.VirtualRigOptions
        {
            PositionNoise = r.GetValue(noise),
            VelocityNoise = 10 * r.GetValue(noise),
            CountsPerRevolution = r.GetValue(counts),
            ActuationDelayTicks = r.GetValue(delay),
            InitialState = state,
            RequireBringUp = r.GetValue(requireBringUp),
        };
        if (r.GetValue(truth) is { } truthText)
        {
            using var shape = Mpq.MuJoCo.MjModel.FromXmlString(task.ModelXml);
            options = options.WithTrue(truthText, task, shape.Nq, r.GetValue(rate));
        }
        var driver = new Mpq.Firmware.VirtualRig.VirtualRigDriver(task, options);
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] virtual rig: {driver.Imperfections}");
        return driver;
#else
        throw new ArgumentException("this is a hardware-only build: the virtual rig is not included (build without -p:HardwareOnly=true)");
#endif
    }
    throw new ArgumentException($"unknown driver '{spec}': use gpio or virtual:TASK");
}
