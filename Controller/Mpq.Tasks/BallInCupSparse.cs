using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// Swing a ball on a string into a cup (the paper's BALLINCUPSPARSE, after dm_control's ball_in_cup, in a
/// vertical plane): the cup moves on two slide joints under position control, the ball hangs from the cup's
/// base on an elastic string of at most 0.3 m.
/// </summary>
/// <remarks>
/// Cost 1 per step, 0 while the ball is in the cup: no gradient until a sample finds the cup, which is what
/// defeats short-horizon MPPI and soft-Q. Success = caught (in the cup at any step). 4 s episodes at a 0.02 s
/// control period (two 0.01 s physics steps). The ball starts at rest or swinging, anywhere on a ±1.2 rad arc
/// below the cup. Observation (8): cup x, z; ball minus cup x, z; cup ẋ, ż; ball ẋ, ż. Actions: the cup's
/// target x and z (m), within ±0.4.
/// The biased prior: ball mass, ball inertia (it spins on contact) and the string's stiffness.
/// </remarks>
public sealed class BallInCupSparse : ITask
{
    private static readonly double[] Low = [-0.3, -0.3];
    private static readonly double[] High = [0.3, 0.3];

    public const double TrueBallMass = 0.06;
    public const double TrueBallInertia = 1.5e-5;
    public const double TrueStringStiffness = 0.5;
    public const double StringLength = 0.3;

    /// <summary>Ball centre inside the cup: |dx| below this (the inner half-width less the radius, plus slack).</summary>
    public const double CupHalfWidth = 0.045;

    /// <summary>Ball centre above the base and below the rim, relative to the cup's origin.</summary>
    public const double CupFloor = -0.06, CupRim = 0.05;

    // As in the MJCF below: the string's anchor relative to the cup's origin (0.6 m up), the ball body's home height.
    private const double AnchorHeight = -0.065;
    private const double BallHome = 0.3;

    public BallInCupSparse(ParameterPrior? massPrior = null, ParameterPrior? inertiaPrior = null, ParameterPrior? stiffnessPrior = null)
    {
        Parameters =
        [
            new TaskParameter("ball_mass", TrueBallMass, massPrior ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => m.SetBodyMass(Ball(m), v)),
            new TaskParameter("ball_inertia", TrueBallInertia, inertiaPrior ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => m.SetBodyInertia(Ball(m), v, v, v)),
            new TaskParameter("string_stiffness", TrueStringStiffness, stiffnessPrior ?? ParameterPrior.FromPaper(0.5, 0.1), (m, v) => m.SetTendonStiffness(m.Id(MjObjectType.Tendon, "string"), v)),
        ];
    }

    public string Name => "ballincup";
    public double ControlPeriod => 0.02;
    public int EpisodeSteps => 200;
    public int ObservationSize => 8;
    public IReadOnlyList<string> ObservationLayout { get; } = ["cup_x", "cup_z", "ball_dx", "ball_dz", "cup_vx", "cup_vz", "ball_vx", "ball_vz"];
    public IReadOnlyList<string> ObservationUnits { get; } = ["m", "m", "m", "m", "m/s", "m/s", "m/s", "m/s"];
    public IReadOnlyList<string> ActionLayout { get; } = ["cup_x_target", "cup_z_target"];
    public string ActionUnit => "m";
    public int ActionSize => 2;
    public ReadOnlySpan<double> ActionLow => Low;
    public ReadOnlySpan<double> ActionHigh => High;
    public IReadOnlyList<TaskParameter> Parameters { get; }
    public int SuccessWindow => 0;
    public MppiDefaults PlannerDefaults { get; } = new(Lambda: 0.1, NoiseStd: 0.3, StepSize: 1.0, Gamma: 1.0, ControlCost: false);

    /// <summary>The cost's terms (0 in the cup, 1 outside: a count) are all ≥ 0: no step costs less than 0.</summary>
    public double MinimumStepCost => 0;

    /// <summary>Costs are steps (at most 200), and each target is 16 physics steps deep: cheaper targets. Floored (5 seeds × 20
    /// episodes, Trainer/results/fig1-ballincup-floor: last-10 cost 83.1 lower than without, on every seed, [50.1, 117.9]).</summary>
    public string LearnerDefaults => "ObservationScale=3/3/3/3/1/1/1/1,TargetSamples=32,TerminalFloor=0";

    public string ModelXml { get; } = """
        <mujoco model="ball_in_cup">
          <compiler angle="radian"/>
          <option timestep="0.01" gravity="0 0 -9.81" integrator="Euler"/>
          <default>
            <geom friction="0.7 0.005 0.0001" solref="0.01 1"/>
          </default>
          <worldbody>
            <body name="cup" pos="0 0 0.6">
              <joint name="cup_x" type="slide" axis="1 0 0" range="-0.35 0.35" limited="true" damping="3.5"/>
              <joint name="cup_z" type="slide" axis="0 0 1" range="-0.35 0.35" limited="true" damping="3.5"/>
              <geom name="cup_base" type="box" pos="0 0 -0.075" size="0.075 0.03 0.01" mass="0.05"/>
              <geom name="cup_left" type="box" pos="-0.075 0 -0.01" size="0.015 0.03 0.065" mass="0.025"/>
              <geom name="cup_right" type="box" pos="0.075 0 -0.01" size="0.015 0.03 0.065" mass="0.025"/>
              <site name="anchor" pos="0 0 -0.065" size="0.005"/>
            </body>
            <body name="ball" pos="0 0 0.3">
              <joint name="ball_x" type="slide" axis="1 0 0"/>
              <joint name="ball_z" type="slide" axis="0 0 1"/>
              <joint name="ball_spin" type="hinge" axis="0 1 0"/>
              <inertial pos="0 0 0" mass="0.06" diaginertia="1.5e-5 1.5e-5 1.5e-5"/>
              <geom name="ball" type="sphere" size="0.025" mass="0"/>
              <site name="ball" pos="0 0 0" size="0.005"/>
            </body>
          </worldbody>
          <tendon>
            <spatial name="string" limited="true" range="0 0.3" stiffness="0.5" springlength="0" width="0.002">
              <site site="anchor"/>
              <site site="ball"/>
            </spatial>
          </tendon>
          <actuator>
            <position name="x" joint="cup_x" kp="30" ctrllimited="true" ctrlrange="-0.3 0.3"/>
            <position name="z" joint="cup_z" kp="30" ctrllimited="true" ctrlrange="-0.3 0.3"/>
          </actuator>
        </mujoco>
        """;

    public void Observe(MjData data, Span<double> observation)
    {
        var q = data.Qpos;
        var v = data.Qvel;
        observation[0] = q[0];
        observation[1] = q[1];
        observation[2] = q[2] - q[0];
        observation[3] = q[3] + BallHome - 0.6 - q[1];
        observation[4] = v[0];
        observation[5] = v[1];
        observation[6] = v[2];
        observation[7] = v[3];
    }

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action) => IsSuccess(observation) ? 0 : 1;

    public bool IsSuccess(ReadOnlySpan<double> observation) =>
        Math.Abs(observation[2]) < CupHalfWidth && observation[3] > CupFloor && observation[3] < CupRim;

    public void SampleInitialState(MjData data, ref SplitMix64 rng)
    {
        data.Qpos.Clear();
        data.Qvel.Clear();
        // On an arc below the anchor, the string just short of taut, moving a little.
        var angle = rng.Uniform(-1.0, 1.0);
        var (s, c) = Math.SinCos(angle);
        var r = StringLength - 0.01;
        data.Qpos[2] = r * s;
        data.Qpos[3] = 0.6 + AnchorHeight - r * c - BallHome;
        data.Qvel[2] = rng.Uniform(-0.5, 0.5);
        data.Qvel[3] = rng.Uniform(-0.5, 0.5);
        data.Ctrl.Clear();
        data.Time = 0;
    }

    /// <summary>The cup's servos hold it where it is.</summary>
    public void HoldAction(MjData data, Span<double> action)
    {
        action[0] = data.Qpos[0];
        action[1] = data.Qpos[1];
    }

    private static int Ball(MjModel model) => model.Id(MjObjectType.Body, "ball");
}
