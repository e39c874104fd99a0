using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Planning.Parallel;
using Mpq.Tasks;

namespace Mpq.Trainer.Learning;

/// <summary>
/// Computes Q targets y = c + γ V_H(s') for a minibatch, spread over a worker pool: each worker owns a
/// single-threaded MPPI planner on its own copy of the biased model, with a terminal-cost view of Q.
/// </summary>
public sealed class TargetComputer : IParallelWork, IDisposable
{
    private readonly ITask _task;
    private readonly LearnerSettings _settings;
    private readonly WorkerPool _pool;
    private readonly MuJoCoDynamics[] _models;
    private readonly WorkerPool[] _single;
    private readonly IPlanner[] _planners;
    private readonly double[] _parameters;
    private ReplayBuffer? _replay;
    private int[] _indices = [];
    private float[] _targets = [];
    private int _count;
    private ulong _batch;

    public TargetComputer(ITask task, LearnerSettings settings, QFunction valueQ, WorkerPool pool)
    {
        _task = task;
        _settings = settings;
        _pool = pool;
        _parameters = new double[task.Parameters.Count];
        _models = new MuJoCoDynamics[pool.Threads];
        _single = new WorkerPool[pool.Threads];
        _planners = new IPlanner[pool.Threads];
        var mppi = settings.Planner(settings.TargetSamples, settings.Gamma, settings.Seed ^ 0x7A26E7) with { Lambda = settings.TargetLambda ?? settings.Lambda };
        for (var w = 0; w < pool.Threads; w++)
        {
            _models[w] = new MuJoCoDynamics(task, members: settings.ModelDraws);
            _single[w] = new WorkerPool(1);
            _planners[w] = new MppiPlanner(_models[w], task, task.ActionLow, task.ActionHigh, mppi with { Seed = mppi.Seed + (ulong)w }, _single[w], valueQ.AsTerminalCost());
        }
    }

    /// <summary>Fills <paramref name="targets"/> for the transitions at <paramref name="indices"/>.</summary>
    public void Compute(ReplayBuffer replay, int[] indices, int count, float[] targets)
    {
        _replay = replay;
        _indices = indices;
        _targets = targets;
        _count = count;
        _batch++;
        _pool.Run(this);
    }

    void IParallelWork.Execute(int worker, int workers)
    {
        var (start, end) = WorkerPool.Share(_count, worker, workers);
        if (start == end)
        {
            return;
        }
        // A fresh draw from the biased prior for this worker and batch: the learner never sees the true parameters.
        var rng = SplitMix64.ForStream(_settings.Seed, _batch, (ulong)worker + 0xB1A5);
        Span<double> parameters = stackalloc double[_parameters.Length];
        TaskParameters.Sample(_task.Parameters, parameters, ref rng);
        _models[worker].SetParameters(parameters);
        for (var k = 1; k < _models[worker].MemberCount; k++)
        {
            // An ensemble: each further member its own draw (the first, and a one-model run, unchanged).
            TaskParameters.Sample(_task.Parameters, parameters, ref rng);
            _models[worker].SetMemberParameters(k, parameters);
        }
        var planner = _planners[worker];
        var replay = _replay!;
        Span<double> previous = stackalloc double[_task.ActionSize];
        for (var k = start; k < end; k++)
        {
            var i = _indices[k];
            // The transition's own action is the one the next state's first planned step changes from.
            var action = replay.Action(i);
            for (var d = 0; d < previous.Length; d++)
            {
                previous[d] = action[d];
            }
            var value = planner.EstimateValue(replay.NextState(i), _settings.TargetIterations, previous);
            _targets[k] = (float)(replay.Cost(i) + _settings.Gamma * value);
        }
    }

    /// <summary>Worker time spent in the target planners' rollouts so far, summed over workers, ms.</summary>
    public double RolloutMilliseconds => _planners.Sum(p => p.RolloutTimes.Total);

    /// <summary>Worker time spent evaluating Q inside the target planners so far, summed over workers, ms.</summary>
    public double TerminalMilliseconds => _planners.Sum(p => p.TerminalTimes.Total);

    /// <summary>Physics steps one target costs: (K + 1) batches of N samples, each H − 1 control steps deep.</summary>
    public long PhysicsStepsPerTarget => (long)(_settings.TargetIterations + 1) * _settings.TargetSamples * (_settings.Horizon - 1) * _models[0].PhysicsStepsPerControl;

    /// <summary>Writes the counters that select the target planners' noise (checkpoints).</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(_batch);
        w.Write(_planners.Length);
        foreach (var p in _planners)
        {
            w.Write(p.CallCounter);
        }
    }

    public void Load(BinaryReader r)
    {
        _batch = r.ReadUInt64();
        var n = r.ReadInt32();
        if (n != _planners.Length)
        {
            throw new InvalidDataException($"checkpoint was made with {n} target workers, this run has {_planners.Length} (use the same --threads)");
        }
        foreach (var p in _planners)
        {
            p.CallCounter = r.ReadUInt64();
        }
    }

    public void Dispose()
    {
        for (var w = 0; w < _planners.Length; w++)
        {
            _planners[w].Dispose();
            _single[w].Dispose();
            _models[w].Dispose();
        }
    }
}
