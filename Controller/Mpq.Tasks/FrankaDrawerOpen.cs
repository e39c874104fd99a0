using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// Open a drawer with a 7-joint arm (the paper's FRANKADRAWEROPEN): the Panda's kinematic chain (link offsets of
/// the Franka Emika Panda, capsules for links), joint-velocity control, a hook-like finger on the flange, and a
/// cabinet whose drawer slides toward the robot with a bar handle on its front.
/// </summary>
/// <remarks>
/// The arm is gravity-compensated, as the real Panda's controller is (the model has no gravity; nothing else in
/// it needs any). Velocity servos (kv 8, armature 0.1) drive the joints; actions are joint velocities in ±1 rad/s.
/// Physics 0.005 s, control 0.04 s, 100 steps (4 s). Start: the Panda's home pose plus U(±0.15) rad per joint,
/// drawer closed. Cost: finger-tip to the slot behind the handle (m) + 0.2 × (1 − finger pointing down)/2 +
/// 3 × |target − opening| (m); the drawer's target opening is 0.2 m. Success: opening within 1 cm of the target
/// at any step. Observation (20): joint angles (7), joint velocities (7), finger tip − slot (3), opening, opening
/// rate, the finger axis's world z (−1: pointing down). The biased prior: joint damping and friction loss of the arm and of the drawer.
/// </remarks>
public sealed class FrankaDrawerOpen : ITask
{
    private static readonly double[] Low = [-1, -1, -1, -1, -1, -1, -1];
    private static readonly double[] High = [1, 1, 1, 1, 1, 1, 1];
    private static readonly double[] Home = [0, -0.3, 0, -2.2, 0, 1.9, 0.785];

    public const double TargetOpening = 0.2;
    public const double SuccessTolerance = 0.01;
    public const double TrueArmDamping = 1.0, TrueArmFrictionLoss = 0.2, TrueDrawerDamping = 4.0, TrueDrawerFrictionLoss = 1.0;

    public FrankaDrawerOpen(ParameterPrior? armDamping = null, ParameterPrior? armFriction = null, ParameterPrior? drawerDamping = null, ParameterPrior? drawerFriction = null)
    {
        Parameters =
        [
            new TaskParameter("arm_damping", TrueArmDamping, armDamping ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => ForArm(d => m.SetDofDamping(d, v))),
            new TaskParameter("arm_frictionloss", TrueArmFrictionLoss, armFriction ?? ParameterPrior.FromPaper(1.5, 0.1), (m, v) => ForArm(d => m.SetDofFrictionLoss(d, v))),
            new TaskParameter("drawer_damping", TrueDrawerDamping, drawerDamping ?? ParameterPrior.FromPaper(0.5, 0.1), (m, v) => m.SetDofDamping(DrawerDof(m), v)),
            new TaskParameter("drawer_frictionloss", TrueDrawerFrictionLoss, drawerFriction ?? ParameterPrior.FromPaper(0.5, 0.1), (m, v) => m.SetDofFrictionLoss(DrawerDof(m), v)),
        ];
    }

    public string Name => "frankadrawer";
    public double ControlPeriod => 0.04;
    public int EpisodeSteps => 100;
    public int ObservationSize => 20;
    public IReadOnlyList<string> ObservationLayout { get; } =
    [
        "q1", "q2", "q3", "q4", "q5", "q6", "q7", "dq1", "dq2", "dq3", "dq4", "dq5", "dq6", "dq7",
        "tip_to_slot_x", "tip_to_slot_y", "tip_to_slot_z", "opening", "opening_rate", "finger_axis_z",
    ];
    public IReadOnlyList<string> ObservationUnits { get; } =
        ["rad", "rad", "rad", "rad", "rad", "rad", "rad", "rad/s", "rad/s", "rad/s", "rad/s", "rad/s", "rad/s", "rad/s", "m", "m", "m", "m", "m/s", ""];
    public IReadOnlyList<string> ActionLayout { get; } = ["dq1_target", "dq2_target", "dq3_target", "dq4_target", "dq5_target", "dq6_target", "dq7_target"];
    public string ActionUnit => "rad/s";
    public int ActionSize => 7;
    public ReadOnlySpan<double> ActionLow => Low;
    public ReadOnlySpan<double> ActionHigh => High;
    public IReadOnlyList<TaskParameter> Parameters { get; }
    public int SuccessWindow => 0;
    public MppiDefaults PlannerDefaults { get; } = new(Lambda: 0.01, NoiseStd: 0.5, StepSize: 1.0, Gamma: 1.0);

    /// <summary>The cost's terms (a distance, 0.2·(1 + z)/2 with z a direction cosine in [−1, 1], and 3·|opening error|) are all ≥ 0: no step costs less than 0.</summary>
    public double MinimumStepCost => 0;

    // Collision groups: only the finger and hand (1, touching 2|4) meet the cabinet (2) and the drawer (4); cabinet
    // and drawer never touch each other (the drawer runs on its slide), the arm's links touch nothing.
    /// <summary>Fewer samples (seven joints: each rollout costs more) and cheaper targets; the floor has not been measured here.</summary>
    public string LearnerDefaults => "Samples=128,OutputScale=50,InitialOutputGain=0.05,TargetSamples=32";

    public string ModelXml { get; } = """
        <mujoco model="franka_drawer">
          <compiler angle="radian"/>
          <option timestep="0.005" gravity="0 0 0" integrator="Euler"/>
          <default>
            <joint axis="0 0 1" armature="0.1" damping="1" frictionloss="0.2"/>
            <geom type="capsule" contype="0" conaffinity="0" density="2000"/>
            <velocity kv="8" ctrllimited="true" ctrlrange="-1 1"/>
          </default>
          <worldbody>
            <geom name="base" fromto="0 0 0 0 0 0.2" size="0.07"/>
            <body name="link1" pos="0 0 0.333">
              <joint name="joint1" range="-2.8973 2.8973" limited="true"/>
              <geom fromto="0 0 -0.13 0 0 0" size="0.06"/>
              <body name="link2" quat="0.7071068 -0.7071068 0 0">
                <joint name="joint2" range="-1.7628 1.7628" limited="true"/>
                <geom fromto="0 0 0 0 -0.316 0" size="0.06"/>
                <body name="link3" pos="0 -0.316 0" quat="0.7071068 0.7071068 0 0">
                  <joint name="joint3" range="-2.8973 2.8973" limited="true"/>
                  <geom fromto="0 0 0 0.0825 0 0" size="0.055"/>
                  <body name="link4" pos="0.0825 0 0" quat="0.7071068 0.7071068 0 0">
                    <joint name="joint4" range="-3.0718 -0.0698" limited="true"/>
                    <geom fromto="0 0 0 -0.0825 0.384 0" size="0.055"/>
                    <body name="link5" pos="-0.0825 0.384 0" quat="0.7071068 -0.7071068 0 0">
                      <joint name="joint5" range="-2.8973 2.8973" limited="true"/>
                      <geom fromto="0 0 -0.1 0 0 0" size="0.05"/>
                      <body name="link6" quat="0.7071068 0.7071068 0 0">
                        <joint name="joint6" range="-0.0175 3.7525" limited="true"/>
                        <geom fromto="0 0 0 0.088 0 0" size="0.045"/>
                        <body name="link7" pos="0.088 0 0" quat="0.7071068 0.7071068 0 0">
                          <joint name="joint7" range="-2.8973 2.8973" limited="true"/>
                          <geom fromto="0 0 0 0 0 0.107" size="0.04"/>
                          <body name="hand" pos="0 0 0.107">
                            <geom name="palm" type="box" size="0.03 0.08 0.02" pos="0 0 0.02" contype="1" conaffinity="6" density="500"/>
                            <geom name="finger" fromto="0 0 0.04 0 0 0.13" size="0.012" contype="1" conaffinity="6" density="500"/>
                            <site name="tip" pos="0 0 0.13" size="0.01"/>
                          </body>
                        </body>
                      </body>
                    </body>
                  </body>
                </body>
              </body>
            </body>
            <body name="cabinet" pos="0.85 0 0.2">
              <geom name="carcass" type="box" size="0.2 0.25 0.2" contype="2" conaffinity="2"/>
              <body name="drawer" pos="-0.2 0 0.05">
                <joint name="drawer" type="slide" axis="-1 0 0" range="0 0.3" limited="true" damping="4" frictionloss="1" armature="0"/>
                <geom name="front" type="box" size="0.012 0.2 0.08" pos="-0.012 0 0" contype="4" conaffinity="4" density="500"/>
                <geom name="post_left" type="box" size="0.03 0.01 0.01" pos="-0.054 -0.1 0" contype="4" conaffinity="4" density="500"/>
                <geom name="post_right" type="box" size="0.03 0.01 0.01" pos="-0.054 0.1 0" contype="4" conaffinity="4" density="500"/>
                <geom name="handle" fromto="-0.094 -0.11 0 -0.094 0.11 0" size="0.012" contype="4" conaffinity="4" density="500"/>
                <site name="slot" pos="-0.054 0 0" size="0.01"/>
              </body>
            </body>
          </worldbody>
          <actuator>
            <velocity joint="joint1" forcerange="-87 87" forcelimited="true"/>
            <velocity joint="joint2" forcerange="-87 87" forcelimited="true"/>
            <velocity joint="joint3" forcerange="-87 87" forcelimited="true"/>
            <velocity joint="joint4" forcerange="-87 87" forcelimited="true"/>
            <velocity joint="joint5" forcerange="-12 12" forcelimited="true"/>
            <velocity joint="joint6" forcerange="-12 12" forcelimited="true"/>
            <velocity joint="joint7" forcerange="-12 12" forcelimited="true"/>
          </actuator>
        </mujoco>
        """;

    public void Observe(MjData data, Span<double> observation)
    {
        var q = data.Qpos;
        var v = data.Qvel;
        for (var j = 0; j < 7; j++)
        {
            observation[j] = q[j];
            observation[7 + j] = v[j];
        }
        var ids = Ids(data.Model);
        var tip = data.SiteXpos(ids.Tip);
        var slot = data.SiteXpos(ids.Slot);
        observation[14] = tip[0] - slot[0];
        observation[15] = tip[1] - slot[1];
        observation[16] = tip[2] - slot[2];
        observation[17] = q[7];
        observation[18] = v[7];
        // The finger's axis is the hand's z; its world z component is −1 when the finger points straight down.
        observation[19] = data.SiteXmat(ids.Tip)[8];
    }

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action)
    {
        var distance = Math.Sqrt(observation[14] * observation[14] + observation[15] * observation[15] + observation[16] * observation[16]);
        return distance + 0.2 * (1 + observation[19]) / 2 + 3 * Math.Abs(TargetOpening - observation[17]);
    }

    public bool IsSuccess(ReadOnlySpan<double> observation) => Math.Abs(TargetOpening - observation[17]) <= SuccessTolerance;

    public void SampleInitialState(MjData data, ref SplitMix64 rng)
    {
        data.Qpos.Clear();
        data.Qvel.Clear();
        for (var j = 0; j < 7; j++)
        {
            var range = data.Model.JointRange(j);
            data.Qpos[j] = Math.Clamp(Home[j] + rng.Uniform(-0.15, 0.15), range[0], range[1]);
        }
        data.Ctrl.Clear();
        data.Time = 0;
        data.Kinematics();
    }

    // Every model of this task comes from the same MJCF, so the ids are the same in all of them: looked up once.
    // Rollout threads may race here: the slot is published before the tip, which readers test.
    private int _tip = -1;
    private int _slot = -1;

    private (int Tip, int Slot) Ids(MjModel model)
    {
        var tip = Volatile.Read(ref _tip);
        if (tip < 0)
        {
            _slot = model.Id(MjObjectType.Site, "slot");
            tip = model.Id(MjObjectType.Site, "tip");
            Volatile.Write(ref _tip, tip);
        }
        return (tip, _slot);
    }

    /// <summary>The arm's seven joints are the model's first seven degrees of freedom.</summary>
    private static void ForArm(Action<int> set)
    {
        for (var dof = 0; dof < 7; dof++)
        {
            set(dof);
        }
    }

    private static int DrawerDof(MjModel model) => model.JointDofAddress(model.Id(MjObjectType.Joint, "drawer"));
}
