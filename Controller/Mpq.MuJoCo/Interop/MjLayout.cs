namespace Mpq.MuJoCo.Interop;

/// <summary>
/// Byte offsets of the mjModel / mjData fields this binding reads, for MuJoCo 2.2.2
/// (header version 222) on 64-bit Linux.
/// </summary>
/// <remarks>
/// These numbers are produced by <c>offsets_probe.c</c> compiled against the installed
/// <c>/usr/include/mujoco</c>; <c>MuJoCoLayoutTests</c> recompiles the probe and compares
/// every entry of <see cref="All"/>, so a MuJoCo upgrade fails loudly instead of reading
/// the wrong memory.
/// </remarks>
internal static class MjLayout
{
    public const int HeaderVersion = 222;
    public const int WarningStatSize = 8;
    public const int WarningCount = 8;
    public const int WarnBadQacc = 6;

    // mjModel: sizes (int)
    public const int ModelNq = 0, ModelNv = 4, ModelNu = 8, ModelNa = 12, ModelNbody = 16,
        ModelNjnt = 20, ModelNgeom = 24, ModelNsite = 28, ModelNtendon = 116,
        ModelNsensordata = 224, ModelNmocap = 156;

    // mjModel: options (mjtNum, embedded mjOption)
    public const int ModelTimestep = 232, ModelGravity = 280;

    // mjModel: arrays (pointers)
    public const int ModelBodyMass = 1240, ModelBodyInertia = 1256, ModelBodyIpos = 1224,
        ModelBodyMocapid = 1136, ModelJntType = 1280, ModelJntQposadr = 1288,
        ModelJntDofadr = 1296, ModelJntRange = 1368, ModelDofDamping = 1464,
        ModelDofFrictionloss = 1448, ModelGeomSize = 1592, ModelGeomPos = 1608,
        ModelGeomFriction = 1624, ModelTendonStiffness = 2608,
        ModelActuatorTrntype = 2696, ModelActuatorTrnid = 2728, ModelActuatorGear = 2816,
        ModelActuatorCtrllimited = 2744, ModelActuatorCtrlrange = 2792;

    // mjData
    public const int DataWarning = 24, DataTime = 40336, DataQpos = 40376, DataQvel = 40384,
        DataAct = 40392, DataQaccWarmstart = 40400, DataCtrl = 40408, DataQfrcApplied = 40416,
        DataMocapPos = 40432, DataMocapQuat = 40440, DataQacc = 40448, DataSensordata = 40472,
        DataXpos = 40480, DataXquat = 40488, DataXmat = 40496, DataGeomXpos = 40536,
        DataSiteXpos = 40552, DataSiteXmat = 40560, DataTenLength = 40664;

    /// <summary>Every constant above under the name the C probe prints, for the layout test.</summary>
    public static IReadOnlyList<(string Name, int Value)> All { get; } =
    [
        ("mjVERSION_HEADER", HeaderVersion), ("sizeof.mjtNum", sizeof(double)),
        ("sizeof.mjWarningStat", WarningStatSize), ("mjNWARNING", WarningCount),
        ("mjWARN_BADQACC", WarnBadQacc),
        ("mjOBJ_BODY", (int)MjObjectType.Body), ("mjOBJ_JOINT", (int)MjObjectType.Joint),
        ("mjOBJ_DOF", (int)MjObjectType.Dof), ("mjOBJ_GEOM", (int)MjObjectType.Geom),
        ("mjOBJ_SITE", (int)MjObjectType.Site), ("mjOBJ_TENDON", (int)MjObjectType.Tendon),
        ("mjOBJ_ACTUATOR", (int)MjObjectType.Actuator), ("mjOBJ_SENSOR", (int)MjObjectType.Sensor),
        ("mjModel.nq", ModelNq), ("mjModel.nv", ModelNv), ("mjModel.nu", ModelNu),
        ("mjModel.na", ModelNa), ("mjModel.nbody", ModelNbody), ("mjModel.njnt", ModelNjnt),
        ("mjModel.ngeom", ModelNgeom), ("mjModel.nsite", ModelNsite),
        ("mjModel.ntendon", ModelNtendon), ("mjModel.nsensordata", ModelNsensordata),
        ("mjModel.nmocap", ModelNmocap), ("mjModel.opt.timestep", ModelTimestep),
        ("mjModel.opt.gravity", ModelGravity), ("mjModel.body_mass", ModelBodyMass),
        ("mjModel.body_inertia", ModelBodyInertia), ("mjModel.body_ipos", ModelBodyIpos),
        ("mjModel.body_mocapid", ModelBodyMocapid), ("mjModel.jnt_type", ModelJntType),
        ("mjModel.jnt_qposadr", ModelJntQposadr), ("mjModel.jnt_dofadr", ModelJntDofadr),
        ("mjModel.jnt_range", ModelJntRange), ("mjModel.dof_damping", ModelDofDamping),
        ("mjModel.dof_frictionloss", ModelDofFrictionloss), ("mjModel.geom_size", ModelGeomSize),
        ("mjModel.geom_pos", ModelGeomPos), ("mjModel.geom_friction", ModelGeomFriction),
        ("mjModel.tendon_stiffness", ModelTendonStiffness),
        ("mjModel.actuator_trntype", ModelActuatorTrntype), ("mjModel.actuator_trnid", ModelActuatorTrnid),
        ("mjModel.actuator_gear", ModelActuatorGear),
        ("mjModel.actuator_ctrllimited", ModelActuatorCtrllimited),
        ("mjModel.actuator_ctrlrange", ModelActuatorCtrlrange),
        ("mjData.warning", DataWarning), ("mjData.time", DataTime), ("mjData.qpos", DataQpos),
        ("mjData.qvel", DataQvel), ("mjData.act", DataAct),
        ("mjData.qacc_warmstart", DataQaccWarmstart), ("mjData.ctrl", DataCtrl),
        ("mjData.qfrc_applied", DataQfrcApplied), ("mjData.mocap_pos", DataMocapPos),
        ("mjData.mocap_quat", DataMocapQuat), ("mjData.qacc", DataQacc),
        ("mjData.sensordata", DataSensordata), ("mjData.xpos", DataXpos),
        ("mjData.xquat", DataXquat), ("mjData.xmat", DataXmat), ("mjData.geom_xpos", DataGeomXpos),
        ("mjData.site_xpos", DataSiteXpos), ("mjData.site_xmat", DataSiteXmat),
        ("mjData.ten_length", DataTenLength),
    ];
}
