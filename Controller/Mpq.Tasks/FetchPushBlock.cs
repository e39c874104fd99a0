using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// Push a block across a table to a goal (the paper's FETCHPUSHBLOCK): the end effector is a round pusher moved
/// in the table's plane by position control (two slide joints with servos, as the Fetch arm's Cartesian
/// controller moves its gripper), the goal a mocap body with no collision.
/// </summary>
/// <remarks>
/// Cost = the block's distance to the goal (m), in the plane. Success = within 5 cm at any step of the 4 s episode
/// (0.04 s control period, four 0.01 s physics steps). Block (±0.1 m) and goal (±0.2 m, at least 0.1 m from the
/// block) are randomised; the pusher starts 0.15 m behind the block, on the side away from the goal, so a push
/// needs aiming, not just a lunge. Observation (10): pusher x, y; block − pusher x, y; goal − block x, y; pusher
/// ẋ, ẏ; block ẋ, ẏ. Actions: the pusher's target x, y in ±0.35 m.
/// The biased prior: block mass, inertia, sliding friction and size.
/// </remarks>
public sealed class FetchPushBlock : ITask
{
    private static readonly double[] Low = [-0.35, -0.35];
    private static readonly double[] High = [0.35, 0.35];

    public const double TrueMass = 0.2;
    public const double TrueInertia = 8.3e-5; // a 5 cm cube of 0.2 kg: m (a² + b²) / 12
    public const double TrueFriction = 0.5;
    public const double TrueHalfSize = 0.025;
    public const double SuccessDistance = 0.05;
    private const double TableTop = 0.4;

    public FetchPushBlock(ParameterPrior? massPrior = null, ParameterPrior? inertiaPrior = null, ParameterPrior? frictionPrior = null, ParameterPrior? sizePrior = null)
    {
        Parameters =
        [
            new TaskParameter("block_mass", TrueMass, massPrior ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => m.SetBodyMass(Block(m), v)),
            new TaskParameter("block_inertia", TrueInertia, inertiaPrior ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => m.SetBodyInertia(Block(m), v, v, v)),
            new TaskParameter("block_friction", TrueFriction, frictionPrior ?? ParameterPrior.FromPaper(0.6, 0.1), SetFriction),
            new TaskParameter("block_size", TrueHalfSize, sizePrior ?? ParameterPrior.FromPaper(1.2, 0.05), (m, v) => m.SetGeomSize(m.Id(MjObjectType.Geom, "block"), v, v, v)),
        ];
    }

    public string Name => "fetchpush";
    public double ControlPeriod => 0.04;
    public int EpisodeSteps => 100;
    public int ObservationSize => 10;
    public IReadOnlyList<string> ObservationLayout { get; } = ["pusher_x", "pusher_y", "block_dx", "block_dy", "goal_dx", "goal_dy", "pusher_vx", "pusher_vy", "block_vx", "block_vy"];
    public IReadOnlyList<string> ObservationUnits { get; } = ["m", "m", "m", "m", "m", "m", "m/s", "m/s", "m/s", "m/s"];
    public IReadOnlyList<string> ActionLayout { get; } = ["pusher_x_target", "pusher_y_target"];
    public string ActionUnit => "m";
    public int ActionSize => 2;
    public ReadOnlySpan<double> ActionLow => Low;
    public ReadOnlySpan<double> ActionHigh => High;
    public IReadOnlyList<TaskParameter> Parameters { get; }
    public int SuccessWindow => 0;
    public MppiDefaults PlannerDefaults { get; } = new(Lambda: 0.01, NoiseStd: 0.1, StepSize: 1.0, Gamma: 1.0, ControlCost: false);

    /// <summary>The cost's terms (the block's distance to the goal: a norm) are all ≥ 0: no step costs less than 0.</summary>
    public double MinimumStepCost => 0;

    // Collision groups: the table (1) touches the block (3), the pusher (2) touches the block but never the table.
    // MuJoCo takes the larger friction of two geoms in contact: table and pusher are slippery (0.1), so the block's
    // own friction is the one that acts.
    /// <summary>Contact-rich and several physics steps per control step: cheaper targets, as for the ball. Floored: without it
    /// the targets chased Q's own negative errors (MPQ H=8 seed 1, 4 episodes: targets of mean −1.47, mean Q −1.85; with it
    /// 2.6); its cost is unchanged at 5 seeds (Trainer/results/fig1-fetchpush-floor).</summary>
    public string LearnerDefaults => "ObservationScale=3/3/3/3/3/3/1/1/1/1,OutputScale=20,InitialOutputGain=0.05,TargetSamples=32,TerminalFloor=0";

    public string ModelXml { get; } = """
        <mujoco model="fetch_push">
          <compiler angle="radian"/>
          <option timestep="0.01" gravity="0 0 -9.81" integrator="Euler"/>
          <worldbody>
            <geom name="table" type="box" pos="0 0 0.2" size="0.5 0.5 0.2" contype="1" conaffinity="1" friction="0.1 0.005 0.0001"/>
            <body name="pusher" pos="0 0 0.425">
              <joint name="pusher_x" type="slide" axis="1 0 0" range="-0.45 0.45" limited="true" damping="8"/>
              <joint name="pusher_y" type="slide" axis="0 1 0" range="-0.45 0.45" limited="true" damping="8"/>
              <geom name="pusher" type="cylinder" size="0.02 0.03" mass="0.5" contype="2" conaffinity="2" friction="0.1 0.005 0.0001"/>
            </body>
            <body name="block" pos="0 0 0.425">
              <freejoint name="block"/>
              <inertial pos="0 0 0" mass="0.2" diaginertia="8.3e-5 8.3e-5 8.3e-5"/>
              <geom name="block" type="box" size="0.025 0.025 0.025" mass="0" contype="3" conaffinity="3" friction="0.5 0.005 0.0001"/>
            </body>
            <body name="goal" mocap="true" pos="0 0 0.425">
              <site name="goal" type="sphere" size="0.02" rgba="0 1 0 0.4"/>
            </body>
          </worldbody>
          <actuator>
            <position name="x" joint="pusher_x" kp="40" ctrllimited="true" ctrlrange="-0.35 0.35"/>
            <position name="y" joint="pusher_y" kp="40" ctrllimited="true" ctrlrange="-0.35 0.35"/>
          </actuator>
        </mujoco>
        """;

    public void Observe(MjData data, Span<double> observation)
    {
        var q = data.Qpos;
        var v = data.Qvel;
        var goal = data.MocapPos;
        observation[0] = q[0];
        observation[1] = q[1];
        observation[2] = q[2] - q[0];
        observation[3] = q[3] - q[1];
        observation[4] = goal[0] - q[2];
        observation[5] = goal[1] - q[3];
        observation[6] = v[0];
        observation[7] = v[1];
        observation[8] = v[2];
        observation[9] = v[3];
    }

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action) => Math.Sqrt(observation[4] * observation[4] + observation[5] * observation[5]);

    public bool IsSuccess(ReadOnlySpan<double> observation) => Cost(observation, default) <= SuccessDistance;

    public void SampleInitialState(MjData data, ref SplitMix64 rng)
    {
        data.Qpos.Clear();
        data.Qvel.Clear();
        var bx = rng.Uniform(-0.1, 0.1);
        var by = rng.Uniform(-0.1, 0.1);
        double gx, gy;
        do
        {
            gx = rng.Uniform(-0.2, 0.2);
            gy = rng.Uniform(-0.2, 0.2);
        }
        while (Math.Sqrt((gx - bx) * (gx - bx) + (gy - by) * (gy - by)) < 0.1);
        // The pusher waits behind the block, away from the goal.
        var d = Math.Sqrt((gx - bx) * (gx - bx) + (gy - by) * (gy - by));
        data.Qpos[0] = bx - 0.15 * (gx - bx) / d;
        data.Qpos[1] = by - 0.15 * (gy - by) / d;
        data.Qpos[2] = bx;
        data.Qpos[3] = by;
        data.Qpos[4] = TableTop + TrueHalfSize;
        data.Qpos[5] = 1; // identity quaternion
        var goal = data.MocapPos;
        goal[0] = gx;
        goal[1] = gy;
        goal[2] = TableTop + TrueHalfSize;
        data.Ctrl[0] = data.Qpos[0];
        data.Ctrl[1] = data.Qpos[1];
        data.Time = 0;
    }

    /// <summary>The pusher's servos hold it where it is.</summary>
    public void HoldAction(MjData data, Span<double> action)
    {
        action[0] = data.Qpos[0];
        action[1] = data.Qpos[1];
    }

    private static int Block(MjModel model) => model.Id(MjObjectType.Body, "block");

    private static void SetFriction(MjModel model, double sliding)
    {
        var block = model.Id(MjObjectType.Geom, "block");
        var f = model.GetGeomFriction(block);
        model.SetGeomFriction(block, sliding, f[1], f[2]);
    }
}
