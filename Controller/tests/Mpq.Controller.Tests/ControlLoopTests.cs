using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Control;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

/// <summary>The one control loop against a fake plant, planner and task: the rig's rules without a serial port.</summary>
[TestFixture]
public class ControlLoopTests
{
    /// <summary>A one-dimensional task: observation = state, cost = |x|, success while x ≥ 1.</summary>
    private sealed class LineTask(int window = 3, double period = 0.01) : ITask
    {
        public string Name => "line";
        public string ModelXml => "";
        public double ControlPeriod => period;
        public int EpisodeSteps => 10;
        public int ObservationSize => 1;
        public IReadOnlyList<string> ObservationLayout => ["x"];
        public IReadOnlyList<string> ObservationUnits => ["m"];
        public IReadOnlyList<string> ActionLayout => ["push"];
        public string ActionUnit => "N";
        public int ActionSize => 1;
        public ReadOnlySpan<double> ActionLow => new[] { -10.0 };
        public ReadOnlySpan<double> ActionHigh => new[] { 10.0 };
        public IReadOnlyList<TaskParameter> Parameters => [];
        public int SuccessWindow => window;
        public MppiDefaults PlannerDefaults => new(1, 1, 1, 1);
        public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action) => Math.Abs(observation[0]);
        public void Observe(MjData data, Span<double> observation) => throw new NotSupportedException();
        public bool IsSuccess(ReadOnlySpan<double> observation) => observation[0] >= 1;
        public void SampleInitialState(MjData data, ref SplitMix64 rng) => throw new NotSupportedException();
    }

    /// <summary>x ← x + a; live while <see cref="Live"/> says so; stops when told.</summary>
    private sealed class LinePlant : IPlant
    {
        public void Measured(Span<double> applied) => applied.Fill(0.5);

        public double X;
        public Func<long, bool> Live = _ => true;
        public PlantStop? StopAfter;
        public long StopAt = long.MaxValue;
        public long Acts;
        public readonly List<double> Applied = [];
        public double Scale = 1;

        public int StateSize => 1;
        public int ObservationSize => 1;
        public int ActionSize => 1;
        public PlantStop? Stop => Acts >= StopAt ? StopAfter : null;
        public string? Reason;
        public string? NotLiveReason => Reason;

        public bool Observe(Span<double> state, Span<double> observation)
        {
            state[0] = X;
            observation[0] = X;
            return Live(Acts);
        }

        public void Act(ReadOnlySpan<double> action, Span<double> applied)
        {
            applied[0] = action[0] * Scale;
            Applied.Add(applied[0]);
            X += applied[0];
            Acts++;
        }
    }

    /// <summary>Plans a scripted action per call; may sleep to overrun; records fallbacks and resets.</summary>
    private sealed class ScriptedPlanner(Func<long, double> action) : IPlanner
    {
        public long Steps;
        public long FallbackCalls;
        public long Resets;
        public Func<long, TimeSpan> Delay = _ => TimeSpan.Zero;

        public int StateSize => 1;
        public int ActionSize => 1;
        public Plan Plan { get; } = new(1, [-10.0], [10.0], 1);
        public ITerminalCost? TerminalCost => null;
        public long NonFiniteSteps => 0;
        public ulong CallCounter { get; set; }
        public LatencyRecorder RolloutTimes { get; } = new(16);
        public LatencyRecorder TerminalTimes { get; } = new(16);
        public LatencyRecorder UpdateTimes { get; } = new(16);
        public void SetTerminalCost(ITerminalCost? terminal) { }

        public double Step(ReadOnlySpan<double> state, Span<double> a)
        {
            var delay = Delay(Steps);
            if (delay > TimeSpan.Zero)
            {
                Thread.Sleep(delay);
            }
            a[0] = action(Steps++);
            return 0;
        }

        public void Fallback(ReadOnlySpan<double> state, Span<double> a)
        {
            FallbackCalls++;
            a[0] = 0.5;
        }

        public void ResetPlan() => Resets++;
        public double EstimateValue(ReadOnlySpan<double> state, int iterations, ReadOnlySpan<double> previousAction = default) => 0;
        public void Dispose() { }
    }

    private sealed class Recorder : ITransitionSink
    {
        public readonly List<(int Step, double Obs, double Action, double Cost, double Next, bool Done)> Rows = [];
        public readonly List<double> Measured = [];
        public readonly List<(long Step, string Text)> Events = [];

        public void Add(in Transition t)
        {
            Rows.Add((t.Step, t.Observation[0], t.Action[0], t.Cost, t.NextObservation[0], t.Done));
            Measured.Add(t.Measured[0]);
        }

        public void Event(long step, string text) => Events.Add((step, text));
    }

    [Test]
    public void Run_RecordEventFromBetweenSteps_CarriesTheStepItTakesEffectAndTheMeasuredAction()
    {
        var sink = new Recorder();
        ControlLoop loop = null!;
        var calls = 0;
        loop = new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), new LinePlant())
        {
            Sink = sink,
            BetweenSteps = () =>
            {
                if (calls++ == 2)
                {
                    loop.RecordEvent("horizon=12");
                }
            },
        };
        loop.Run(LoopLimits.ForSteps(4));
        Assert.That(sink.Events, Is.EqualTo(new[] { (2L, "horizon=12") }), "applied before step 2 was planned");
        Assert.That(sink.Measured, Is.EqualTo(new[] { 0.5, 0.5, 0.5, 0.5 }), "what the plant reports, beside the commanded 1");
    }

    [Test]
    public void Run_NotLiveSteps_RecordedOnlyWhenAskedAndWithWhatThePlantApplied()
    {
        // The plant is live before acts 0-1 and from act 6 on: steps 1 and 5 straddle a disarm and a re-arm, steps 2-4 are
        // wholly disarmed (a free swing logged for identification).
        Func<long, bool> live = acts => acts < 2 || acts >= 6;
        var quiet = new Recorder();
        new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), new LinePlant { Live = live }) { Sink = quiet }.Run(LoopLimits.ForSteps(8));
        Assert.That(quiet.Rows.Select(r => r.Step), Is.EqualTo(new[] { 0, 6, 7 }), "by default a learner's log holds live steps only");

        var all = new Recorder();
        new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), new LinePlant { Live = live }) { Sink = all, RecordNotLive = true }.Run(LoopLimits.ForSteps(8));
        Assert.That(all.Rows.Select(r => r.Step), Is.EqualTo(new[] { 0, 2, 3, 4, 6, 7 }), "steps 1 and 5 straddle an edge: neither wholly live nor wholly not");
        Assert.That(all.Rows.Where(r => r.Step is >= 2 and <= 4).Select(r => r.Action), Is.All.EqualTo(0.5),
            "a disarmed step's action is what the plant applied (its Measured), not the planner's 1");
    }

    [Test]
    public void Run_Excitation_ActsOpenLoopNeverThePlanner()
    {
        var planner = new ScriptedPlanner(_ => 9);
        var plant = new LinePlant();
        var excitation = new Excitation(ExcitationKind.Prbs, 0.25, 0.01, seed: 3);
        new ControlLoop(new LineTask(), planner, plant) { Excitation = excitation }.Run(LoopLimits.ForSteps(50));
        Assert.That(planner.Steps, Is.Zero, "the planner is not asked");
        Assert.That(plant.Applied, Is.All.EqualTo(0.25).Or.EqualTo(-0.25));
        Assert.That(plant.Applied.Distinct().Count(), Is.EqualTo(2), "both levels in 50 steps");
    }

    [Test]
    public void Excitation_Chirp_StaysWithinItsAmplitudeAndSweepsContinuously()
    {
        var chirp = new Excitation(ExcitationKind.Chirp, 0.8, 0.05, lowHz: 0.1, highHz: 2, sweepSeconds: 20);
        var values = Enumerable.Range(0, 1600).Select(_ => chirp.Next()).ToArray();
        Assert.That(values.Max(), Is.LessThanOrEqualTo(0.8).And.GreaterThan(0.79));
        Assert.That(values.Min(), Is.GreaterThanOrEqualTo(-0.8).And.LessThan(-0.79));
        // At most 2 Hz at 20 Hz: a step changes the torque by at most 2π · 2 · 0.05 · 0.8 ≈ 0.5.
        Assert.That(values.Zip(values.Skip(1), (a, b) => Math.Abs(b - a)).Max(), Is.LessThan(0.51));
        Assert.Throws<ArgumentException>(() => Excitation.Parse("chirp:0.5:1:30", 0.05), "above half the control rate");
        Assert.Throws<ArgumentException>(() => Excitation.Parse("sine:0.5", 0.05));
        Assert.Throws<ArgumentException>(() => Excitation.Parse("chirp:-1", 0.05));
        Assert.Throws<ArgumentException>(() => Excitation.Parse("chirp:NaN", 0.05));
        Assert.That(Excitation.Parse("prbs:0.3", 0.05).Kind, Is.EqualTo(ExcitationKind.Prbs));
    }

    [Test]
    public void Run_FreeRunning_RecordsEveryTransitionAndMarksTheLastDone()
    {
        var plant = new LinePlant();
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), plant);
        var sink = new Recorder();
        loop.Sink = sink;

        var result = loop.Run(LoopLimits.ForSteps(4));

        Assert.That(result.Steps, Is.EqualTo(4));
        Assert.That(result.Stop, Is.EqualTo(RunStop.DurationReached));
        Assert.That(sink.Rows.Select(r => (r.Obs, r.Next)), Is.EqualTo(new[] { (0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0) }));
        Assert.That(sink.Rows.Select(r => r.Done), Is.EqualTo(new[] { false, false, false, true }));
        Assert.That(result.TotalCost, Is.EqualTo(0 + 1 + 2 + 3), "c(s_t, a_t) of each step");
    }

    [TestCase(3)]
    [TestCase(1)]
    public void Run_SuccessWindow_FromTheTasksOwnWindow(int window)
    {
        // x reaches 1 after the first action and stays: the window of 3 completes after step 3, began at step 0.
        var loop = new ControlLoop(new LineTask(window), new ScriptedPlanner(s => s == 0 ? 1 : 0), new LinePlant());
        var result = loop.Run(LoopLimits.ForSteps(5));
        Assert.That(result.Success, Is.True);
        Assert.That(result.SecondsToSuccess, Is.EqualTo(0.0).Within(1e-12));

        // Leaves the success region on the last step: the window at the end fails although it held before.
        var leaving = new ControlLoop(new LineTask(window), new ScriptedPlanner(s => s == 0 ? 1 : s == 4 ? -1 : 0), new LinePlant());
        var left = leaving.Run(LoopLimits.ForSteps(5));
        Assert.That(left.Success, Is.False);
        Assert.That(left.SecondsToSuccess, Is.Not.Null, "it did hold for a whole window once");
    }

    [Test]
    public void Run_WindowZero_AnyStepIsSuccess()
    {
        var loop = new ControlLoop(new LineTask(window: 0), new ScriptedPlanner(s => s == 2 ? 1 : s == 3 ? -1 : 0), new LinePlant());
        var result = loop.Run(LoopLimits.ForSteps(6));
        Assert.That(result.Success, Is.True);
        Assert.That(result.SecondsToSuccess, Is.EqualTo(0.02).Within(1e-12), "success seen after step 2 (t = 2 periods)");
    }

    [Test]
    public void Run_NotFinite_SendsZeroResetsThePlanAndCounts()
    {
        var plant = new LinePlant();
        var planner = new ScriptedPlanner(s => s == 1 ? double.NaN : s == 2 ? double.PositiveInfinity : 1);
        var loop = new ControlLoop(new LineTask(), planner, plant);
        var result = loop.Run(LoopLimits.ForSteps(4));
        Assert.That(plant.Applied, Is.EqualTo(new[] { 1.0, 0, 0, 1 }));
        Assert.That(result.NonFiniteActions, Is.EqualTo(2));
        Assert.That(planner.Resets, Is.EqualTo(2));
    }

    [Test]
    public void Run_PlantNotLive_RecordsOnlyTransitionsLiveAtBothEnds()
    {
        // Live (armed) at observations 0, 1, 2, then disarmed for observation 3, armed again from 4.
        var plant = new LinePlant { Live = acts => acts != 3 };
        var sink = new Recorder();
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), plant) { Sink = sink };
        var result = loop.Run(LoopLimits.ForSteps(6));
        Assert.That(sink.Rows.Select(r => r.Step), Is.EqualTo(new[] { 0, 1, 4, 5 }), "2→3 and 3→4 touch a disarmed state");
        Assert.That(result.TotalCost, Is.EqualTo(0 + 1 + 2 + 4 + 5), "the step planned from the disarmed state costs nothing");
    }

    // Issue 29: 'log inspect' showed an estop and a watchdog trip alike as "disarmed": the event now says why.
    [TestCase(null, "disarmed")]
    [TestCase("Disarmed, faults Estop", "disarmed (Disarmed, faults Estop)")]
    public void Run_PlantLeavesLive_TheDisarmEventCarriesThePlantsReason(string? reason, string said)
    {
        var plant = new LinePlant { Live = acts => acts != 3, Reason = reason };
        var sink = new Recorder();
        new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), plant) { Sink = sink }.Run(LoopLimits.ForSteps(6));
        Assert.That(sink.Events, Is.EqualTo(new (long, string)[] { (3, said), (4, "armed") }));
    }

    [Test]
    public void Run_PlantStops_EndsWithItsKindAndReason()
    {
        var plant = new LinePlant { StopAt = 3, StopAfter = new PlantStop(RunStop.LeftArmedState, "the rig left the armed state (Faulted)") };
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 1), plant);
        var result = loop.Run(LoopLimits.ForSteps(100));
        Assert.That(result.Steps, Is.EqualTo(3));
        Assert.That(result.Stop, Is.EqualTo(RunStop.LeftArmedState));
        Assert.That(result.StopReason, Does.Contain("Faulted"));
        Assert.That(result.Stop.ExitCode(), Is.EqualTo(3));
    }

    [Test]
    public void Run_Cancelled_StoppedByUserBeforeAnotherAction()
    {
        using var cancel = new CancellationTokenSource();
        var plant = new LinePlant();
        var planner = new ScriptedPlanner(s =>
        {
            if (s == 2)
            {
                cancel.Cancel();
            }
            return 1;
        });
        var result = new ControlLoop(new LineTask(), planner, plant).Run(LoopLimits.ForSteps(100), cancel.Token);
        Assert.That(result.Stop, Is.EqualTo(RunStop.StoppedByUser));
        Assert.That(plant.Acts, Is.EqualTo(3), "the step in flight completes, no further one starts");
    }

    [Test]
    public void Run_PacedOverrun_AnsweredAtOnceWithTheWarmStartedPlanThenBackOnTheGrid()
    {
        var plant = new LinePlant();
        var planner = new ScriptedPlanner(_ => 1) { Delay = s => s == 3 ? TimeSpan.FromMilliseconds(35) : TimeSpan.Zero };
        var loop = new ControlLoop(new LineTask(period: 0.01), planner, plant) { Period = 0.01 };
        var result = loop.Run(LoopLimits.ForSteps(10));
        Assert.That(result.DeadlineMisses, Is.EqualTo(1));
        Assert.That(result.Fallbacks, Is.EqualTo(1));
        Assert.That(planner.FallbackCalls, Is.EqualTo(1));
        Assert.That(plant.Applied[4], Is.EqualTo(0.5), "the action right after the overrun is the fallback's");
        Assert.That(result.Steps, Is.EqualTo(10));
        Assert.That(loop.PlanTimes.Count, Is.EqualTo(9), "the fallback is not a planning step");
    }

    [Test]
    public void Run_SlowestStep_NamesTheStepAndThePartThatTookTheTime()
    {
        var planner = new ScriptedPlanner(_ => 1) { Delay = s => s == 3 ? TimeSpan.FromMilliseconds(120) : TimeSpan.Zero };
        var loop = new ControlLoop(new LineTask(period: 0.01), planner, new LinePlant()) { Period = 0.01 };
        var slowest = loop.Run(LoopLimits.ForSteps(6)).SlowestStep;
        Assert.That(slowest.Step, Is.EqualTo(3));
        Assert.That(slowest.PlanMs, Is.GreaterThanOrEqualTo(119), "the planner slept 120 ms");
        Assert.That(slowest.WorkMs, Is.GreaterThanOrEqualTo(slowest.PlanMs));
        Assert.That(slowest.AtSeconds, Is.GreaterThanOrEqualTo(0.025), "three 10-ms periods came before it");
    }

    [Test]
    public void Run_Paced_DurationEndsTheRun()
    {
        var loop = new ControlLoop(new LineTask(period: 0.01), new ScriptedPlanner(_ => 0), new LinePlant()) { Period = 0.01 };
        var result = loop.Run(LoopLimits.ForDuration(TimeSpan.FromMilliseconds(100)));
        Assert.That(result.Stop, Is.EqualTo(RunStop.DurationReached));
        Assert.That(result.Steps, Is.InRange(5, 11), "about one step per 10 ms period (a loose bound: shared machine)");
    }

    [Test]
    public void Run_BetweenSteps_CalledBeforeEveryStepOnTheLoopThread()
    {
        var calls = 0;
        var thread = Environment.CurrentManagedThreadId;
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(_ => 0), new LinePlant())
        {
            BetweenSteps = () =>
            {
                Assert.That(Environment.CurrentManagedThreadId, Is.EqualTo(thread));
                calls++;
            },
        };
        loop.Run(LoopLimits.ForSteps(7));
        Assert.That(calls, Is.EqualTo(7));
    }

    [Test]
    public void Run_SecondsToSuccess_WindowScaledToTheLoopsPeriod()
    {
        // The task's window is 4 steps of 10 ms = 40 ms; a loop at 5 ms needs 8 of its steps.
        var loop = new ControlLoop(new LineTask(window: 4, period: 0.01), new ScriptedPlanner(s => s == 0 ? 1 : 0), new LinePlant()) { Period = 0.005 };
        var seven = loop.Run(LoopLimits.ForSteps(7));
        Assert.That(seven.Success, Is.False, "7 steps of 5 ms are shorter than the 40 ms window");
        var loop2 = new ControlLoop(new LineTask(window: 4, period: 0.01), new ScriptedPlanner(s => s == 0 ? 1 : 0), new LinePlant()) { Period = 0.005 };
        Assert.That(loop2.Run(LoopLimits.ForSteps(8)).Success, Is.True);
    }

    [Test]
    public void Run_Smoothness_SignFlipsChangeAndLimitOverLiveSteps()
    {
        // Actions 1, −1, 1, 10 (the limit), 10: flips on pairs 1 and 2 of 4; |Δa| 2, 2, 9, 0.
        var script = new[] { 1.0, -1, 1, 10, 10 };
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(s => script[s]), new LinePlant());
        var result = loop.Run(LoopLimits.ForSteps(5));
        Assert.That(result.Smoothness!.Steps, Is.EqualTo(5));
        Assert.That(result.Smoothness.SignFlipRate, Is.EqualTo(2.0 / 4));
        Assert.That(result.Smoothness.MeanAbsChange, Is.EqualTo(13.0 / 4).Within(1e-12));
        Assert.That(result.Smoothness.AtLimitShare, Is.EqualTo(2.0 / 5));
        // x after each step: 1, 0, 1, 11, 21; planned from x = 0, 1, 0, 1, 11: success region (x ≥ 1) at steps 1, 3, 4.
        Assert.That(result.SmoothnessInSuccessRegion!.Steps, Is.EqualTo(3));
    }

    [Test]
    public void Run_Smoothness_NotCountedAcrossADisarmedGap()
    {
        var script = new[] { 1.0, -1, 1, -1 };
        var plant = new LinePlant { Live = acts => acts != 2 }; // the step planned after two actions is not live
        var result = new ControlLoop(new LineTask(), new ScriptedPlanner(s => script[s]), plant).Run(LoopLimits.ForSteps(4));
        Assert.That(result.Smoothness!.Steps, Is.EqualTo(3), "the step from the disarmed state is not counted");
        Assert.That(result.Smoothness.SignFlipRate, Is.EqualTo(1.0), "one pair (1 → −1) before the gap, none across it");
    }

    [Test]
    public void Constructor_MismatchedSizes_Throws()
    {
        var plant = new LinePlant();
        var task = new LineTask();
        Assert.That(() => new ControlLoop(task, new ScriptedPlanner(_ => 0), plant) { Period = 0 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new ControlLoop(task, new ScriptedPlanner(_ => 0), plant).Run(new LoopLimits()), Throws.ArgumentException);
    }

    [Test]
    public void Run_PerStepPath_AllocatesNothing()
    {
        var plant = new AllocationFreePlant();
        var loop = new ControlLoop(new LineTask(), new ScriptedPlanner(static s => (s & 1) == 0 ? 0.1 : -0.1), plant) { Sink = new CountingSink() };
        loop.Run(LoopLimits.ForSteps(100)); // warm-up (JIT)
        var before = GC.GetAllocatedBytesForCurrentThread();
        loop.Run(LoopLimits.ForSteps(10_000));
        var perRun = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(perRun, Is.LessThan(1024), "only the result record at the end, nothing per step");
    }

    private sealed class AllocationFreePlant : IPlant
    {
        public void Measured(Span<double> applied) => applied.Clear();

        private double _x;
        public int StateSize => 1;
        public int ObservationSize => 1;
        public int ActionSize => 1;
        public PlantStop? Stop => null;

        public bool Observe(Span<double> state, Span<double> observation)
        {
            state[0] = observation[0] = _x;
            return true;
        }

        public void Act(ReadOnlySpan<double> action, Span<double> applied)
        {
            applied[0] = action[0];
            _x = 0.9 * _x + action[0];
        }
    }

    private sealed class CountingSink : ITransitionSink
    {
        public long Count;

        public void Add(in Transition transition) => Count++;
    }
}
