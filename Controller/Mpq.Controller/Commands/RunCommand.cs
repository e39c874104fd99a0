using System.CommandLine;
using System.Globalization;
using Mpq.Controller.Rig;
using Mpq.Planning.Parallel;
using Mpq.Protocol.Serial;

namespace Mpq.Controller.Commands;

/// <summary><c>run</c>: MPPI (with a learned Q) on a rig over a serial line.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var planner = new PlannerOptions();
        var port = new Option<string>("--port") { Description = "serial device of the rig (or one end of a socat pty pair)", Required = true };
        var baud = new Option<int>("--baud") { Description = "baud rate", DefaultValueFactory = _ => 115200 };
        var arm = new Option<bool>("--arm") { Description = "arm the rig and apply torque (without it the loop runs and commands zero-effect while disarmed)" };
        var duration = new Option<double>("--duration") { Description = "seconds to run", DefaultValueFactory = _ => 10 };
        var rate = new Option<double?>("--rate") { Description = "control rate in Hz (default: the task's)" };
        var log = new Option<string?>("--log") { Description = "record every transition to this new transition log" };
        var command = new Command("run", "Control a rig over serial: handshake, optional arm, plan every period on the freshest State, Disarm on exit.")
        {
            port, baud, arm, duration, rate, log,
        };
        planner.AddTo(command);
        command.SetAction(r => CliErrors.Run(() =>
        {
            var task = planner.CreateTask(r);
            using var q = planner.LoadQ(r, task);
            var settings = planner.Settings(r, task, q);
            using var pool = new WorkerPool(planner.ThreadCount(r));
            using var transport = SerialTransports.Open(r.GetValue(port)!, r.GetValue(baud));
            Console.Error.WriteLine(SerialTransports.TrySetLatencyTimer(r.GetValue(port)!));
            using var client = new RigClient(transport, line => Console.Error.WriteLine(line));
            var ack = client.Handshake(TimeSpan.FromSeconds(5));
            Console.Error.WriteLine($"rig '{ack.RigName}': {ack.Joints} joint(s), {ack.Actuators} actuator(s), {ack.LoopRateHz} Hz, torque limit {ack.TorqueLimit[0]}");
            using var transitions = LogOption.Open(r.GetValue(log), task, 2 * ack.Joints, "rig", settings, q?.Path);
            using var runner = new RigRunner(task, settings, pool, q, client, ack, transitions, r.GetValue(rate));
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                cancel.Cancel();
            };
            var s = runner.Run(TimeSpan.FromSeconds(r.GetValue(duration)), r.GetValue(arm), cancel.Token);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run: {s.Steps} steps, {s.DeadlineMisses} deadline misses, plan p50 {s.PlanMsP50:F2} ms p99 {s.PlanMsP99:F2} ms, State age p50 {s.StateAgeMsP50:F2} ms, " +
                $"upright {(s.SecondsToUpright is { } t ? $"after {t:F2} s" : "never")}, upright at end {(s.UprightAtEnd ? "yes" : "no")}; stopped: {s.StopReason} (Disarm sent)"));
            return s.StopReason == "duration reached" || s.StopReason == "stopped by the user" ? 0 : 3;
        }));
        return command;
    }
}
