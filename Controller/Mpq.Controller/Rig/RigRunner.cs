using System.Diagnostics;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Logging;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Planning.Tasks;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Timing;

namespace Mpq.Controller.Rig;

/// <summary>What a run on the rig did.</summary>
public sealed record RunSummary(long Steps, long DeadlineMisses, double PlanMsP50, double PlanMsP99, double StateAgeMsP50, double? SecondsToUpright, bool UprightAtEnd, long StatesReceived, string StopReason);

/// <summary>
/// Closes the loop over the serial line: every control period take the freshest State, plan on the model
/// (the prior's mean parameters: the best estimate of the rig), send a Command echoing that State's
/// sequence. Only this thread sends Commands, so a hung planner starves the Firmware's watchdog.
/// </summary>
public sealed class RigRunner : IDisposable
{
    private readonly ITask _task;
    private readonly RigClient _client;
    private readonly TransitionLog? _log;
    private readonly MuJoCoDynamics _model;
    private readonly MuJoCoContext _observer;
    private readonly MppiPlanner _planner;
    private readonly double _period;

    public RigRunner(ITask task, MppiSettings settings, WorkerPool pool, ITerminalCost? q, RigClient client, HelloAck rig, TransitionLog? log, double? rateHz = null)
    {
        _task = task;
        _client = client;
        _log = log;
        if (rig.Actuators != task.ActionSize)
        {
            throw new ArgumentException($"rig '{rig.RigName}' has {rig.Actuators} actuator(s), task '{task.Name}' needs {task.ActionSize}");
        }
        _model = new MuJoCoDynamics(task, TaskParameters.Means(task.Parameters));
        if (_model.StateSize != 2 * rig.Joints || _model.Model.Nq != rig.Joints)
        {
            throw new ArgumentException($"rig '{rig.RigName}' reports {rig.Joints} joint(s); task '{task.Name}' has {_model.Model.Nq} position(s) in a state of {_model.StateSize}");
        }
        var low = task.ActionLow.ToArray();
        var high = task.ActionHigh.ToArray();
        for (var a = 0; a < low.Length; a++)
        {
            // Never plan for more torque than the rig will apply.
            low[a] = Math.Max(low[a], -rig.TorqueLimit[a]);
            high[a] = Math.Min(high[a], rig.TorqueLimit[a]);
        }
        _observer = _model.CreateMuJoCoContext();
        _planner = new MppiPlanner(_model, task, low, high, settings, pool, q);
        _period = 1.0 / (rateHz ?? 1.0 / task.ControlPeriod);
    }

    public MppiPlanner Planner => _planner;

    /// <summary>Runs until <paramref name="duration"/>, cancellation, a lost link, or the rig leaving the armed state.</summary>
    public RunSummary Run(TimeSpan duration, bool arm, CancellationToken cancel)
    {
        var plan = new LatencyRecorder(1 << 14);
        var stateAge = new LatencyRecorder(1 << 14);
        var snapshot = new RigSnapshot(_model.Model.Nq);
        var state = new double[_model.StateSize];
        var next = new double[_model.StateSize];
        var observation = new double[_task.ObservationSize];
        var nextObservation = new double[_task.ObservationSize];
        var action = new double[_task.ActionSize];
        var validity = (ushort)Math.Clamp(3000 * _period, 1, 60000);
        long steps = 0, misses = 0;
        double? upright = null;
        var uprightRun = 0;
        var stop = "duration reached";
        var havePrevious = false;
        var clock = Stopwatch.StartNew();
        try
        {
            if (!_client.TryGetLatest(snapshot) && (!_client.WaitForState(TimeSpan.FromSeconds(2)) || !_client.TryGetLatest(snapshot)))
            {
                return new RunSummary(0, 0, double.NaN, double.NaN, double.NaN, null, false, _client.StatesReceived, "no State from the rig within 2 s");
            }
            if (arm)
            {
                // The rig's watchdog must outlast this controller's period with room for jitter: 2.5 periods.
                var watchdogMs = Math.Ceiling(2500 * _period);
                var (status, value) = _client.SetParameter("watchdog_ms", watchdogMs, TimeSpan.FromSeconds(1));
                if (status != ParamStatus.Ok)
                {
                    return new RunSummary(0, 0, double.NaN, double.NaN, double.NaN, null, false, _client.StatesReceived,
                        $"the rig refused watchdog_ms = {watchdogMs} ({status}); a {1 / _period:F0} Hz controller needs it above {1000 * _period:F0} ms");
                }
                _client.Log($"rig watchdog set to {value} ms for a {1 / _period:F0} Hz controller");
                _client.Send(new Arm());
                var armed = Stopwatch.StartNew();
                while (snapshot.Arm != RigArmState.Armed && armed.Elapsed < TimeSpan.FromSeconds(1))
                {
                    _client.WaitForState(TimeSpan.FromMilliseconds(50));
                    _client.TryGetLatest(snapshot);
                    if (snapshot.Arm != RigArmState.Armed)
                    {
                        // Keep the watchdog fed while the Arm takes effect.
                        Array.Clear(action);
                        _client.SendCommand(snapshot.Sequence, action, validity);
                    }
                }
                if (snapshot.Arm != RigArmState.Armed)
                {
                    return new RunSummary(0, 0, double.NaN, double.NaN, double.NaN, null, false, _client.StatesReceived, $"the rig did not arm ({snapshot.Arm}, faults {snapshot.Faults})");
                }
            }
            var deadline = Stopwatch.GetTimestamp();
            var periodTicks = (long)(_period * Stopwatch.Frequency);
            while (clock.Elapsed < duration)
            {
                if (cancel.IsCancellationRequested)
                {
                    stop = "stopped by the user";
                    break;
                }
                if (_client.Failure is { } failure)
                {
                    stop = $"link lost: {failure}";
                    break;
                }
                _client.TryGetLatest(snapshot);
                if (arm && snapshot.Arm != RigArmState.Armed)
                {
                    stop = $"the rig left the armed state ({snapshot.Arm}, faults {snapshot.Faults}); re-arm only on request";
                    break;
                }
                for (var j = 0; j < snapshot.Position.Length; j++)
                {
                    next[j] = snapshot.Position[j];
                    next[snapshot.Position.Length + j] = snapshot.Velocity[j];
                }
                _observer.SetState(next);
                _observer.Observe(nextObservation);
                if (havePrevious)
                {
                    _log?.Add(new Transition((int)steps - 1, observation, action, _task.Cost(observation, action), nextObservation, state, next, false));
                }
                next.CopyTo(state, 0);
                nextObservation.CopyTo(observation, 0);
                stateAge.RecordSince(snapshot.ArrivalTimestamp);

                var t0 = Stopwatch.GetTimestamp();
                _planner.Step(state, action);
                plan.RecordSince(t0);
                _client.SendCommand(snapshot.Sequence, action, validity);
                havePrevious = true;
                steps++;

                if (_task.IsSuccess(observation))
                {
                    if (++uprightRun == (int)Math.Round(1 / _period) && upright is null)
                    {
                        upright = clock.Elapsed.TotalSeconds - 1;
                    }
                }
                else
                {
                    uprightRun = 0;
                }

                deadline += periodTicks;
                var now = Stopwatch.GetTimestamp();
                if (now > deadline)
                {
                    misses++;
                    deadline = now;
                    continue;
                }
                var sleepMs = (deadline - now) * 1000 / Stopwatch.Frequency - 1;
                if (sleepMs > 0)
                {
                    Thread.Sleep((int)sleepMs);
                }
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(20);
                }
            }
        }
        finally
        {
            try
            {
                _client.Send(new Disarm());
            }
            catch (IOException)
            {
                // The line is gone: the Firmware's watchdog and link timeout zero the torque.
            }
        }
        return new RunSummary(steps, misses, plan.Percentile(0.5), plan.Percentile(0.99), stateAge.Percentile(0.5), upright,
            uprightRun > 0, _client.StatesReceived, stop);
    }

    public void Dispose()
    {
        _planner.Dispose();
        _observer.Dispose();
        _model.Dispose();
    }
}
