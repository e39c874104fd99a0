using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// Swing a pole up by a torque on its hinge and hold it upright (the paper's PENDULUMSWINGUP, with
/// the dynamics of the authors' pendulum: g = 10, m = l = 1, torque limit 2, 0.05 s control period).
/// </summary>
/// <remarks>
/// The pole is a uniform rod about its hinge (I = m l² / 3), integrated with MuJoCo's semi-implicit
/// Euler at one physics step per control step, which matches the classic pendulum equations.
/// The torque limit (2 N·m) is below the peak gravity torque (5 N·m): the controller must pump
/// energy. θ = 0 is upright. Observation (cos θ, sin θ, θ̇); cost θ² + 0.1 θ̇² + 0.001 u² with θ
/// wrapped to (−π, π]; success = upright within 0.2 rad for each of the last 2 s.
/// The biased prior over-estimates mass and length (Table 1 style: bias × true ± σ × true).
/// </remarks>
public sealed class PendulumSwingup : ITask
{
    private static readonly double[] Low = [-2.0];
    private static readonly double[] High = [2.0];

    public const double TrueMass = 1.0;
    public const double TrueLength = 1.0;
    public const double SuccessAngle = 0.2;

    public PendulumSwingup(ParameterPrior? massPrior = null, ParameterPrior? lengthPrior = null)
    {
        Parameters =
        [
            new TaskParameter("mass", TrueMass, massPrior ?? ParameterPrior.FromPaper(1.3, 0.1), SetMass),
            new TaskParameter("length", TrueLength, lengthPrior ?? ParameterPrior.FromPaper(1.2, 0.1), SetLength),
        ];
    }

    public string Name => "pendulum";
    public double ControlPeriod => 0.05;
    public int EpisodeSteps => 200;
    public int ObservationSize => 3;
    public IReadOnlyList<string> ObservationLayout { get; } = ["cos_theta", "sin_theta", "theta_dot"];
    public IReadOnlyList<string> ObservationUnits { get; } = ["", "", "rad/s"];
    public IReadOnlyList<string> ActionLayout { get; } = ["torque"];
    public string ActionUnit => "N·m";
    public int ActionSize => 1;
    public ReadOnlySpan<double> ActionLow => Low;
    public ReadOnlySpan<double> ActionHigh => High;
    public IReadOnlyList<TaskParameter> Parameters { get; }
    public int SuccessWindow => 40;
    /// <remarks>
    /// Smooth for a gearbox and an H-bridge (an action-rate cost, noise correlated in time, α 0.7), yet quick enough to
    /// reverse the torque of a rig that gives less than the model allows; three iterations of 1024 samples and λ 1 so the
    /// plan keeps up with the optimum instead of wobbling upright. The measurements behind each value:
    /// Trainer/results/pendulum-planner-defaults.
    /// </remarks>
    public MppiDefaults PlannerDefaults { get; } = new(Lambda: 1, NoiseStd: 1.0, StepSize: 0.7, Gamma: 1.0, ActionRateCost: 10, NoiseFilter: [0.5, 0.9, 0], Samples: 1024, Iterations: 3);

    /// <summary>The learner's own λ and noise (0.1, 1), not the acting planner's: what Q learns must not move when the rig's
    /// controller is tuned. θ̇ scaled by 1/8 (its speed limit) for the network.</summary>
    /// <remarks>No terminal floor in simulation (a slower start, a better end); measured in Trainer/results/pendulum-planner-defaults.</remarks>
    public string LearnerDefaults => "Lambda=0.1,NoiseStd=1,ObservationScale=1/1/0.125";

    /// <summary>A real pendulum waits hanging (θ = π), at rest.</summary>
    public void RestState(MjData data) => data.Qpos[0] = Math.PI;

    /// <summary>The cost's terms (θ², 0.1·θ̇² and 0.001·u²: squares) are all ≥ 0: no step costs less than 0.</summary>
    public double MinimumStepCost => 0;

    public string ModelXml { get; } = """
        <mujoco model="pendulum">
          <compiler angle="radian"/>
          <option timestep="0.05" gravity="0 0 -10" integrator="Euler">
            <flag contact="disable"/>
          </option>
          <worldbody>
            <body name="pole" pos="0 0 0">
              <joint name="hinge" type="hinge" axis="0 1 0" damping="0"/>
              <inertial pos="0 0 0.5" mass="1" diaginertia="0.0833333333333333 0.0833333333333333 0.0001"/>
              <geom name="rod" type="capsule" pos="0 0 0.5" size="0.04 0.5" mass="0"/>
            </body>
          </worldbody>
          <actuator>
            <motor name="torque" joint="hinge" gear="1" ctrllimited="true" ctrlrange="-2 2"/>
          </actuator>
        </mujoco>
        """;

    public void Observe(MjData data, Span<double> observation)
    {
        var theta = data.Qpos[0];
        var (s, c) = Math.SinCos(theta);
        observation[0] = c;
        observation[1] = s;
        observation[2] = data.Qvel[0];
    }

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action)
    {
        var theta = Math.Atan2(observation[1], observation[0]);
        var thetaDot = observation[2];
        var u = action[0];
        return theta * theta + 0.1 * thetaDot * thetaDot + 0.001 * u * u;
    }

    public bool IsSuccess(ReadOnlySpan<double> observation) =>
        Math.Abs(Math.Atan2(observation[1], observation[0])) <= SuccessAngle;

    public void SampleInitialState(MjData data, ref SplitMix64 rng)
    {
        data.Qpos[0] = rng.Uniform(-Math.PI, Math.PI);
        data.Qvel[0] = rng.Uniform(-1, 1);
        data.Ctrl.Clear();
        data.Time = 0;
    }

    /// <summary>Angle from upright wrapped to (−π, π].</summary>
    public static double WrapAngle(double theta) => Math.Atan2(Math.Sin(theta), Math.Cos(theta));

    private static void SetMass(MjModel model, double mass)
    {
        var pole = model.Id(MjObjectType.Body, "pole");
        var length = 2 * model.BodyIpos(pole)[2];
        model.SetBodyMass(pole, mass);
        SetRodInertia(model, pole, mass, length);
    }

    private static void SetLength(MjModel model, double length)
    {
        var pole = model.Id(MjObjectType.Body, "pole");
        var mass = model.GetBodyMass(pole);
        model.BodyIpos(pole)[2] = length / 2;
        SetRodInertia(model, pole, mass, length);
        var rod = model.Id(MjObjectType.Geom, "rod");
        model.GeomPos(rod)[2] = length / 2;
        var radius = model.GetGeomSize(rod)[0];
        model.SetGeomSize(rod, radius, length / 2, 0);
    }

    private static void SetRodInertia(MjModel model, int body, double mass, double length)
    {
        var i = mass * length * length / 12;
        model.SetBodyInertia(body, i, i, 1e-4 * mass);
    }
}
