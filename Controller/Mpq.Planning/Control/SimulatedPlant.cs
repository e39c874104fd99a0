using Mpq.Common;
using Mpq.Planning.Dynamics;
using Mpq.Tasks;

namespace Mpq.Planning.Control;

/// <summary>
/// The true system in simulation: the task's MuJoCo model at its true parameters (or, for domain randomisation,
/// re-drawn before every step). Each <see cref="Act"/> advances one control period. Always live, never stops.
/// </summary>
public sealed class SimulatedPlant : IPlant, IDisposable
{
    private readonly ITask _task;
    private readonly MuJoCoDynamics _dynamics;
    private readonly MuJoCoContext _context;
    private readonly double[] _parameters;
    private readonly double[] _last;
    private readonly IReadOnlyList<ParameterPrior>? _randomization;
    private SplitMix64 _rng;

    /// <param name="task">The task whose model this is.</param>
    /// <param name="randomization">Null for the true system; else one distribution per task parameter (in the task's order), drawn before every step.</param>
    public SimulatedPlant(ITask task, IReadOnlyList<ParameterPrior>? randomization = null)
    {
        if (randomization is not null && randomization.Count != task.Parameters.Count)
        {
            throw new ArgumentException($"domain randomisation needs {task.Parameters.Count} distributions for task '{task.Name}', got {randomization.Count}");
        }
        _task = task;
        _randomization = randomization;
        _dynamics = new MuJoCoDynamics(task);
        _context = _dynamics.CreateMuJoCoContext();
        _parameters = new double[task.Parameters.Count];
        _last = new double[task.ActionSize];
    }

    public int StateSize => _dynamics.StateSize;
    public int ObservationSize => _task.ObservationSize;
    public int ActionSize => _task.ActionSize;
    public PlantStop? Stop => null;

    /// <summary>The plant's MuJoCo data (to set an initial state).</summary>
    public MuJoCo.MjData Data => _context.Data;

    /// <summary>Starts an episode: the task's random initial state (or <paramref name="initialState"/>), and the stream the randomisation draws from.</summary>
    public void Reset(ref SplitMix64 episodeRng, SplitMix64 randomizationRng, ReadOnlySpan<double> initialState = default)
    {
        var data = _context.Data;
        data.Reset();
        _task.SampleInitialState(data, ref episodeRng);
        if (!initialState.IsEmpty)
        {
            data.SetState(initialState);
        }
        _rng = randomizationRng;
    }

    public bool Observe(Span<double> state, Span<double> observation)
    {
        _context.GetState(state);
        _context.Observe(observation);
        return true;
    }

    public void Act(ReadOnlySpan<double> action, Span<double> applied)
    {
        if (_randomization is { } randomization)
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                _parameters[i] = randomization[i].Sample(_task.Parameters[i].TrueValue, ref _rng);
            }
            _dynamics.SetParameters(_parameters);
        }
        action.CopyTo(applied);
        _context.Step(action);
        for (var a = 0; a < _last.Length; a++)
        {
            _last[a] = Math.Clamp(action[a], _task.ActionLow[a], _task.ActionHigh[a]);
        }
    }

    /// <inheritdoc />
    public void Measured(Span<double> applied) => _last.CopyTo(applied);

    public void Dispose()
    {
        _context.Dispose();
        _dynamics.Dispose();
    }
}
