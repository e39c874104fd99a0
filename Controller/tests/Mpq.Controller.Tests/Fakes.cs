using Mpq.Planning.Dynamics;
using Mpq.Planning.Mppi;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

/// <summary>A 1-D integrator x' = x + a·dt for testing the planner's arithmetic (not a stand-in for MuJoCo in feature checks).</summary>
internal sealed class IntegratorDynamics(double dt = 0.1, bool positionServo = false) : IDynamicsModel
{
    public int StepCalls;

    public int StateSize => 1;
    public int ObservationSize => 1;
    public int ActionSize => 1;

    public IRolloutContext CreateContext() => new Context(this, dt, positionServo);

    private sealed class Context(IntegratorDynamics owner, double dt, bool positionServo) : IRolloutContext
    {
        private double _x;

        /// <summary>As a position servo would: the action that holds x is x itself (otherwise zero, the default).</summary>
        public void HoldAction(Span<double> action) => action[0] = positionServo ? _x : 0;

        public void SetState(ReadOnlySpan<double> state) => _x = state[0];
        public void GetState(Span<double> state) => state[0] = _x;
        public void Observe(Span<double> observation) => observation[0] = _x;

        public void Step(ReadOnlySpan<double> action)
        {
            Interlocked.Increment(ref owner.StepCalls);
            _x += action[0] * dt;
        }

        public void Dispose() { }
    }
}

/// <summary>c(x, a) = (x − target)² + (a − preferred)².</summary>
internal sealed class QuadraticCost(double target = 0, double preferred = 0, double actionWeight = 0) : IRunningCost
{
    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action)
    {
        var dx = observation[0] - target;
        var da = action[0] - preferred;
        return dx * dx + actionWeight * da * da;
    }
}

/// <summary>c(x, a) = k · a: with Gaussian actions its free energy has a closed form.</summary>
internal sealed class LinearActionCost(double k) : IRunningCost
{
    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action) => k * action[0];
}

/// <summary>Q(s, a) = scale · (a − preferred)², evaluated from the bound buffers.</summary>
internal sealed class QuadraticTerminal(double preferred, double scale = 1) : ITerminalCost
{
    private float[] _actions = [];
    private float[] _values = [];

    public int ObservationSize => 1;
    public int ActionSize => 1;
    public int Calls { get; private set; }
    public double Offset { get; init; }

    public void Bind(float[] observations, float[] actions, float[] values, int capacity)
    {
        _actions = actions;
        _values = values;
    }

    public void Evaluate(int count)
    {
        Calls++;
        for (var i = 0; i < count; i++)
        {
            var d = _actions[i] - preferred;
            _values[i] = (float)(Offset + scale * d * d);
        }
    }
}
