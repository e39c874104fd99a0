using System.Diagnostics;
using Mpq.Common;
using Mpq.Planning.Control;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Planning.Simulation;
using Mpq.Tasks;

namespace Mpq.Trainer.Learning;

/// <summary>One training episode's record.</summary>
/// <param name="Episode">Episode index.</param>
/// <param name="Cost">Sum of the task's costs on the true system.</param>
/// <param name="Success">The task's success rule held.</param>
/// <param name="WallSeconds">Wall time of the episode, learning included.</param>
/// <param name="Updates">Q updates so far.</param>
/// <param name="MeanLoss">Mean loss of this episode's updates (NaN: none).</param>
/// <param name="PlanMilliseconds">Median wall time of one acting planner step (not the learning between steps), ms.</param>
public sealed record EpisodeMetrics(int Episode, double Cost, bool Success, double WallSeconds, long Updates, double MeanLoss, double PlanMilliseconds = double.NaN);

/// <summary>
/// Runs MPQ, soft Q-learning or plain MPPI on the task's true-parameter plant, planning on models drawn
/// from the biased prior; learns Q from the true system's transitions between control steps.
/// </summary>
public sealed class Learner : ITransitionSink, IDisposable
{
    private readonly ITask _task;
    private readonly LearnerSettings _s;
    private readonly WorkerPool _actingPool;
    private readonly WorkerPool _targetPool;
    private readonly EpisodeRunner _runner;
    private readonly ReplayBuffer _replay;
    private readonly TargetComputer? _targets;
    private readonly Adam? _adam;
    private readonly QScratch? _scratch;
    private readonly int[] _indices;
    private readonly float[] _batchTargets;
    private readonly float[] _batchObservations;
    private readonly float[] _batchActions;
    private SplitMix64 _rng;
    private long _steps;
    private double _lossSum;
    private long _lossCount;

    /// <param name="task">The task, its true parameters the plant's.</param>
    /// <param name="settings">How to learn.</param>
    /// <param name="threads">Threads of the acting planner and of the target workers each.</param>
    /// <param name="targetNice">Nice value of the target workers (0: normal; above 0 when a rig's control loop shares the cores).</param>
    public Learner(ITask task, LearnerSettings settings, int threads, int targetNice = 0)
    {
        settings.Validate();
        _task = task;
        _s = settings;
        _actingPool = new WorkerPool(threads);
        _targetPool = new WorkerPool(threads, nice: targetNice);
        if (settings.Algorithm != Algorithm.Mppi)
        {
            var scale = new float[task.ObservationSize + task.ActionSize];
            for (var j = 0; j < task.ObservationSize; j++)
            {
                scale[j] = settings.ObservationScale?[j] ?? 1f;
            }
            for (var j = 0; j < task.ActionSize; j++)
            {
                scale[task.ObservationSize + j] = (float)(1 / Math.Max(Math.Abs(task.ActionLow[j]), Math.Abs(task.ActionHigh[j])));
            }
            Q = new QFunction(task.ObservationSize, task.ActionSize, settings.Hidden, scale, settings.OutputScale, settings.Seed, settings.InitialOutputGain);
            if (settings.Algorithm == Algorithm.SoftQ)
            {
                TargetQ = new QFunction(task.ObservationSize, task.ActionSize, settings.Hidden, scale, settings.OutputScale, settings.Seed, settings.InitialOutputGain);
                TargetQ.Network.CopyFrom(Q.Network);
            }
            _targets = new TargetComputer(task, settings, TargetQ ?? Q, _targetPool);
            _adam = new Adam(Q.Network.Parameters.Length, settings.LearningRate);
            _scratch = Q.CreateScratch(settings.BatchSize);
        }
        var acting = settings.Planner(settings.Samples, settings.Algorithm == Algorithm.Mppi ? 1.0 : settings.Gamma, settings.Seed);
        _runner = new EpisodeRunner(task, acting, _actingPool, biasedModel: !settings.TrueModel, settings.Seed, Q?.AsTerminalCost(), settings.PlantDistributions(task), settings.ModelDraws);
        _replay = new ReplayBuffer(settings.ReplayCapacity, _runner.Model.StateSize, task.ObservationSize, task.ActionSize);
        _indices = new int[settings.BatchSize];
        _batchTargets = new float[settings.BatchSize];
        _batchObservations = new float[settings.BatchSize * task.ObservationSize];
        _batchActions = new float[settings.BatchSize * task.ActionSize];
        _rng = new SplitMix64(settings.Seed ^ 0x5EED_5A3B);
    }

    /// <summary>The learned Q (null for plain MPPI).</summary>
    public QFunction? Q { get; }

    /// <summary>The soft-Q target network (null otherwise).</summary>
    public QFunction? TargetQ { get; }

    public ReplayBuffer Replay => _replay;

    /// <summary>Where learning time goes (the trainer's benchmark reads it).</summary>
    public LearnerTimings Timings { get; } = new();

    /// <summary>The target computer (null for plain MPPI).</summary>
    public TargetComputer? Targets => _targets;

    /// <summary>The acting episode runner (its planner's and steps' timings).</summary>
    public EpisodeRunner Runner => _runner;
    public long Updates { get; private set; }
    public LearnerSettings Settings => _s;

    /// <summary>The episode a fresh or resumed run continues with.</summary>
    public int NextEpisode { get; private set; }

    /// <summary>Runs one episode on the true system, learning as it goes.</summary>
    public EpisodeMetrics RunEpisode(int episode)
    {
        NextEpisode = episode + 1;
        var clock = Stopwatch.StartNew();
        _lossSum = 0;
        _lossCount = 0;
        var result = _runner.Run(episode, this);
        return new EpisodeMetrics(episode, result.TotalCost, result.Success, clock.Elapsed.TotalSeconds, Updates, _lossCount == 0 ? double.NaN : _lossSum / _lossCount,
            _runner.StepTimes.Percentile(0.5));
    }

    void ITransitionSink.Add(in Transition transition)
    {
        if (Q is null)
        {
            return;
        }
        _replay.Add(transition);
        _steps++;
        if (_replay.Count < Math.Max(_s.Warmup, _s.BatchSize) || _steps % _s.UpdateEvery != 0)
        {
            return;
        }
        for (var g = 0; g < _s.GradientSteps; g++)
        {
            Update();
        }
    }

    /// <summary>
    /// One update on what the replay buffer holds (a learner beside a live rig calls it between its own transitions);
    /// returns its loss.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Q, fewer transitions than one batch, or a non-finite loss.</exception>
    public double UpdateOnce()
    {
        if (Q is null || _replay.Count < _s.BatchSize)
        {
            throw new InvalidOperationException(Q is null ? "plain MPPI learns nothing" : $"the replay buffer holds {_replay.Count} transitions, fewer than one batch ({_s.BatchSize})");
        }
        _lossSum = 0;
        _lossCount = 0;
        Update();
        return _lossSum;
    }

    private void Update()
    {
        var q = Q!;
        var n = _s.BatchSize;
        _replay.Sample(_indices, ref _rng);
        var t0 = Stopwatch.GetTimestamp();
        _targets!.Compute(_replay, _indices, n, _batchTargets);
        var t1 = Stopwatch.GetTimestamp();
        var o = _task.ObservationSize;
        var m = _task.ActionSize;
        for (var k = 0; k < n; k++)
        {
            _replay.Observation(_indices[k]).CopyTo(_batchObservations.AsSpan(k * o, o));
            _replay.Action(_indices[k]).CopyTo(_batchActions.AsSpan(k * m, m));
        }
        var loss = q.Train(_batchObservations, _batchActions, _batchTargets, n, _adam!, _scratch!);
        Timings.TargetTicks += t1 - t0;
        Timings.TrainTicks += Stopwatch.GetTimestamp() - t1;
        Timings.Targets += n;
        if (!double.IsFinite(loss))
        {
            throw new InvalidOperationException("Q training diverged (non-finite loss): lower the learning rate");
        }
        _lossSum += loss;
        _lossCount++;
        TargetQ?.Network.BlendFrom(q.Network, _s.TargetTau);
        Updates++;
    }

    /// <summary>
    /// Learns from recorded transitions instead of acting: fills the replay buffer with
    /// <paramref name="transitions"/> and runs <paramref name="updates"/> updates with the usual targets.
    /// Returns the mean loss of the last 100 updates.
    /// </summary>
    public double LearnFromLog(IEnumerable<Planning.Logging.LoggedTransition> transitions, int updates)
    {
        foreach (var t in transitions)
        {
            var o = Array.ConvertAll(t.Observation, x => (double)x);
            var a = Array.ConvertAll(t.Action, x => (double)x);
            var o2 = Array.ConvertAll(t.NextObservation, x => (double)x);
            Remember(new Transition(t.Step, o, a, t.Cost, o2, t.State, t.NextState, t.Done));
        }
        return Train(updates);
    }

    /// <summary>Stores a transition someone else collected (a log, a rig) without updating Q.</summary>
    /// <exception cref="InvalidOperationException">Plain MPPI: there is no Q to learn.</exception>
    public void Remember(in Transition transition)
    {
        if (Q is null)
        {
            throw new InvalidOperationException("plain MPPI learns nothing: use --algo mpq or softq");
        }
        _replay.Add(transition);
    }

    /// <summary>
    /// Runs <paramref name="updates"/> updates on what the replay buffer holds, with the usual targets.
    /// Returns the mean loss of the last 100 updates.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Q, or fewer transitions than one batch.</exception>
    public double Train(int updates)
    {
        if (Q is null)
        {
            throw new InvalidOperationException("plain MPPI learns nothing: use --algo mpq or softq");
        }
        if (_replay.Count < _s.BatchSize)
        {
            throw new InvalidOperationException($"the replay buffer holds {_replay.Count} transitions, fewer than one batch ({_s.BatchSize})");
        }
        var recent = new Queue<double>();
        for (var u = 0; u < updates; u++)
        {
            _lossSum = 0;
            _lossCount = 0;
            Update();
            recent.Enqueue(_lossSum);
            if (recent.Count > 100)
            {
                recent.Dequeue();
            }
        }
        return recent.Count == 0 ? double.NaN : recent.Average();
    }

    /// <summary>
    /// Tests the current Q (or plain MPPI) on the true system without learning: <paramref name="episodes"/> new
    /// episodes (seeds apart from training's), the same planner, a model drawn from the biased prior each episode.
    /// </summary>
    public (int Successes, double MeanCost) Evaluate(int episodes, ulong seed)
    {
        var planner = _s.Planner(_s.Samples, _s.Algorithm == Algorithm.Mppi ? 1.0 : _s.Gamma, seed);
        using var runner = new EpisodeRunner(_task, planner, _actingPool, biasedModel: !_s.TrueModel, seed, Q?.AsTerminalCost(), modelDraws: _s.ModelDraws);
        var successes = 0;
        var cost = 0.0;
        for (var e = 0; e < episodes; e++)
        {
            var r = runner.Run(e);
            successes += r.Success ? 1 : 0;
            cost += r.TotalCost;
        }
        return (successes, cost / episodes);
    }

    /// <summary>
    /// Writes everything the rest of the run depends on — replay, Q (and target Q), Adam, random state and the
    /// planners' noise counters — as a <see cref="CheckpointFile"/> tagged with <paramref name="fingerprint"/> (the
    /// run's settings) so a resume with other settings is refused.
    /// </summary>
    public void SaveCheckpoint(string path, string fingerprint) => CheckpointFile.Write(path, fingerprint, w =>
    {
        w.Write(NextEpisode);
        w.Write(_steps);
        w.Write(Updates);
        var (counter, spare, hasSpare) = _rng.SaveState();
        w.Write(counter);
        w.Write(spare);
        w.Write(hasSpare);
        w.Write(_runner.Planner.CallCounter);
        w.Write(Q is not null);
        if (Q is not null)
        {
            w.Write(Q.Network.Parameters);
            w.Write(TargetQ is not null);
            if (TargetQ is not null)
            {
                w.Write(TargetQ.Network.Parameters);
            }
            w.Write(_adam!.Steps);
            w.Write(_adam.FirstMoment);
            w.Write(_adam.SecondMoment);
            _targets!.Save(w);
            _replay.Save(w);
        }
    });

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> for the same settings, in a run of
    /// <paramref name="episodes"/> episodes. Its counters are checked (a checkpoint crafted with a valid CRC said episode −7,
    /// and the run trained 13 episodes), and it must end where its body ends.
    /// </summary>
    /// <exception cref="InvalidDataException">Damaged, not a checkpoint, made with other settings, or a counter out of range; the message names the file and the field.</exception>
    public void LoadCheckpoint(string path, string fingerprint, int episodes) => CheckpointFile.Read(path, fingerprint, r =>
    {
        NextEpisode = r.ReadInt32();
        _steps = r.ReadInt64();
        Updates = r.ReadInt64();
        if (NextEpisode < 0 || NextEpisode > episodes)
        {
            throw new InvalidDataException($"checkpoint '{path}': NextEpisode {NextEpisode} is outside 0 .. {episodes} (the run's episodes)");
        }
        if (_steps < 0 || Updates < 0)
        {
            throw new InvalidDataException($"checkpoint '{path}': steps {_steps} and updates {Updates} must not be negative");
        }
        _rng = SplitMix64.Restore((r.ReadUInt64(), r.ReadDouble(), r.ReadBoolean()));
        _runner.Planner.CallCounter = r.ReadUInt64();
        if (r.ReadBoolean() != (Q is not null))
        {
            throw new InvalidDataException("checkpoint and run disagree on whether Q is learned");
        }
        if (Q is not null)
        {
            r.ReadInto(Q.Network.Parameters);
            if (r.ReadBoolean())
            {
                r.ReadInto(TargetQ!.Network.Parameters);
            }
            var steps = r.ReadInt64();
            var m = new float[_adam!.FirstMoment.Length];
            var v = new float[m.Length];
            r.ReadInto(m);
            r.ReadInto(v);
            _adam.Restore(steps, m, v);
            _targets!.Load(r);
            _replay.Load(r, path);
        }
    });

    public void Dispose()
    {
        _runner.Dispose();
        _targets?.Dispose();
        _actingPool.Dispose();
        _targetPool.Dispose();
    }
}

/// <summary>Accumulated learning time, as <see cref="Stopwatch"/> ticks.</summary>
public sealed class LearnerTimings
{
    /// <summary>Wall time computing targets (parallel over the target workers).</summary>
    public long TargetTicks { get; set; }

    /// <summary>Wall time of the SGD steps (forward, backward, Adam).</summary>
    public long TrainTicks { get; set; }

    /// <summary>Targets computed.</summary>
    public long Targets { get; set; }
}
