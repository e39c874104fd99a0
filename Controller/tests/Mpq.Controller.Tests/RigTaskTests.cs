using Mpq.Common;
using Mpq.MuJoCo;
using Mpq.Planning.Dynamics;
using Mpq.Tasks;
using Mpq.Tasks.Rigs;

namespace Mpq.Controller.Tests;

/// <summary>Issue 26: a task described by files (a rig folder: MJCF + rig.json) is a task like the built-in ones.</summary>
[TestFixture]
public class RigTaskTests
{
    private static string Shipped(string name) => Path.Combine(AppContext.BaseDirectory, "rigs", name);

    [Test]
    public void PendulumFromItsFiles_IsTheBuiltInPendulum_ObservationCostSuccessStartAndDynamics()
    {
        var files = RigTask.Load(Shipped("pendulum"));
        var code = new PendulumSwingup();
        Assert.That((files.Name, files.ControlPeriod, files.EpisodeSteps, files.SuccessWindow), Is.EqualTo((code.Name, code.ControlPeriod, code.EpisodeSteps, code.SuccessWindow)));
        Assert.That(files.ObservationLayout, Is.EqualTo(code.ObservationLayout));
        Assert.That(files.ObservationUnits, Is.EqualTo(code.ObservationUnits));
        Assert.That((files.ActionLayout, files.ActionUnit), Is.EqualTo((code.ActionLayout, code.ActionUnit)));
        Assert.That((files.ActionLow.ToArray(), files.ActionHigh.ToArray()), Is.EqualTo((code.ActionLow.ToArray(), code.ActionHigh.ToArray())));
        Assert.That(files.PlannerDefaults with { NoiseFilter = null }, Is.EqualTo(code.PlannerDefaults with { NoiseFilter = null }));
        Assert.That(files.PlannerDefaults.NoiseFilter, Is.EqualTo(code.PlannerDefaults.NoiseFilter));
        Assert.That((files.LearnerDefaults, files.MinimumStepCost), Is.EqualTo((code.LearnerDefaults, code.MinimumStepCost)));
        Assert.That(files.Parameters.Select(p => (p.Name, p.TrueValue, p.Prior)), Is.EqualTo(code.Parameters.Select(p => (p.Name, p.TrueValue, p.Prior))));

        // The same episodes: observation, cost and success on every state of a run, from the same random start.
        var biased = TaskParameters.Means(code.Parameters);
        using var a = new MuJoCoDynamics(files, biased);
        using var b = new MuJoCoDynamics(code, biased);
        using var ca = a.CreateMuJoCoContext();
        using var cb = b.CreateMuJoCoContext();
        var (rngA, rngB) = (new SplitMix64(7), new SplitMix64(7));
        files.SampleInitialState(ca.Data, ref rngA);
        code.SampleInitialState(cb.Data, ref rngB);
        var (oa, ob) = (new double[3], new double[3]);
        var action = new double[1];
        var random = new Random(3);
        var oc = new double[3];
        for (var t = 0; t < 200; t++)
        {
            // The functions, on one and the same state: to the last bit.
            files.Observe(cb.Data, oc);
            code.Observe(cb.Data, ob);
            Assert.That(oc, Is.EqualTo(ob), $"observation at step {t}");
            action[0] = 4 * random.NextDouble() - 2;
            Assert.That(files.Cost(ob, action), Is.EqualTo(code.Cost(ob, action)), $"cost at step {t}");
            Assert.That(files.IsSuccess(ob), Is.EqualTo(code.IsSuccess(ob)), $"success at step {t}");
            // The models, each on its own: the scaled inertia differs from m l² / 12 in the last bit, and 200 steps of a
            // swinging pendulum carry that no further than this.
            files.Observe(ca.Data, oa);
            Assert.That(oa, Is.EqualTo(ob).Within(1e-9), $"the two models' states at step {t}");
            ca.Step(action);
            cb.Step(action);
        }
        using var rest = MjData.Create(a.Model);
        files.RestState(rest);
        Assert.That(rest.Qpos[0], Is.EqualTo(Math.PI));
    }

    [Test]
    public void Parameters_ScaleFieldsTogether_MassAndLengthBothMoveTheInertia()
    {
        var files = RigTask.Load(Shipped("pendulum"));
        using var model = MjModel.FromXmlString(files.ModelXml);
        TaskParameters.Apply(files.Parameters, model, [1.3, 1.2]);
        var pole = model.Id(MjObjectType.Body, "pole");
        Assert.That(model.GetBodyMass(pole), Is.EqualTo(1.3).Within(1e-12));
        Assert.That(model.GetBodyInertia(pole)[0], Is.EqualTo(1.3 * 1.2 * 1.2 / 12).Within(1e-12), "m l² / 12");
        Assert.That(model.GetBodyInertia(pole)[2], Is.EqualTo(1.3e-4).Within(1e-15));
        Assert.That(model.BodyIpos(pole)[2], Is.EqualTo(0.6).Within(1e-12));
        TaskParameters.Apply(files.Parameters, model, [1, 1]);
        Assert.That(model.GetBodyInertia(pole)[0], Is.EqualTo(0.0833333333333333).Within(1e-15), "back to the file's values");
    }

    /// <summary>A copy of the shipped pendulum's folder with one edit to rig.json or model.xml.</summary>
    private static string Edited(Func<string, string>? rig = null, Func<string, string>? model = null, string from = "pendulum")
    {
        var dir = Directory.CreateTempSubdirectory("mpq-rig-").FullName;
        File.WriteAllText(Path.Combine(dir, "rig.json"), (rig ?? (x => x))(File.ReadAllText(Path.Combine(Shipped(from), "rig.json"))));
        File.WriteAllText(Path.Combine(dir, "model.xml"), (model ?? (x => x))(File.ReadAllText(Path.Combine(Shipped(from), "model.xml"))));
        return dir;
    }

    // Issue 26: a malformed or inconsistent rig is one error naming the file, the field and what is wrong.
    [TestCase("unknown joint", "observation[2].joint: the model has no joint named 'hing'")]
    [TestCase("missing actuator", "actions[0].actuator: the model has no actuator named 'motor'")]
    [TestCase("NaN weight", "cost[1].weight: must be a finite number, not \"NaN\"")]
    [TestCase("negative weight", "cost[1].weight: -0.1 is outside [0, 1000000000]")]
    [TestCase("sigma 0", "parameters[0].prior.sigma: 0 is outside (0, 1000000]")]
    [TestCase("sigma above bias", "parameters[0].prior: sigma 2 must be below bias 1.3")]
    [TestCase("MJCF refused", "model: MuJoCo refuses 'model.xml'")]
    [TestCase("unknown field", "timing.control_perod: unknown field")]
    [TestCase("period mismatch", "timing: the model's timestep 0.05 × physics_substeps 2 is not the control_period 0.05")]
    [TestCase("cost not observable", "cost[0].angle: joint 'hinge' is not observed as cos and sin, nor as a position")]
    [TestCase("no file", "rig.json': does not exist")]
    [TestCase("not JSON", "not valid JSON")]
    [TestCase("slew rate 0", "actions[0].slew_rate: 0 is outside [0.1, 1000000]")]
    [TestCase("slew rate text", "actions[0].slew_rate: must be a finite number, not \"fast\"")]
    [TestCase("sparse term misnamed", "cost[0].unless: a sparse term reads \"unless\": \"success\"")]
    [TestCase("unknown observation entry", "success.all[0].observation: 'ball_dy' is not one of the observation's entries")]
    [TestCase("relative to a hinge", "observation[2].minus: joint 'ball_spin' is an angle and joint 'ball_x' a length")]
    [TestCase("offset on a velocity", "observation[4].offset: only a position has an offset")]
    [TestCase("circle on a hinge", "start_circle.joints[1]: joint 'ball_spin' is a hinge")]
    [TestCase("circle and a range", "start.ball_x.position: the joint's start position is on start_circle")]
    [TestCase("hold of no joint", "actions[0].hold: 'stay' is not zero")]
    [TestCase("norm of an unknown entry", "cost[0].norm[1]: 'goal_dz' is not one of the observation's entries")]
    [TestCase("z axis of a joint", "observation[19]: joint 'joint7' is a joint: z_axis is a site's")]
    [TestCase("velocity of a site", "observation[14]: site 'tip'[0] is a site: it has a position and a z_axis, not a velocity")]
    [TestCase("mocap that is not", "observation[4]: mocap 'block'[0] is not a mocap body")]
    [TestCase("second component of a slide", "observation[0].index: joint 'pusher_x'[1] is out of range: a slide has one component")]
    [TestCase("velocity component 6", "observation[8].index: must be a whole number 0–5")]
    [TestCase("placed twice", "start_points[2].set[0]: joint 'block' is already placed by start_points[0]")]
    [TestCase("behind a later point", "start_points[2].behind: 'pusher' is not a point drawn before this one")]
    [TestCase("apart beyond the box", "start_points[1].min_distance: 0.6 is not less than the box's diagonal")]
    [TestCase("a site placed", "start_points[1].set[0]: site 'goal'[0] cannot be placed")]
    [TestCase("unknown shape", "cost[1].shape: 'cubic' is not square (w·e²) or abs (w·|e|)")]
    public void Load_MalformedRig_OneErrorNamingFileFieldAndProblem(string damage, string said)
    {
        var dir = damage switch
        {
            "unknown joint" => Edited(rig: r => r.Replace("\"theta_dot\", \"joint\": \"hinge\"", "\"theta_dot\", \"joint\": \"hing\"", StringComparison.Ordinal)),
            "missing actuator" => Edited(rig: r => r.Replace("{ \"actuator\": \"torque\"", "{ \"actuator\": \"motor\"", StringComparison.Ordinal)),
            "NaN weight" => Edited(rig: r => r.Replace("\"weight\": 0.1", "\"weight\": \"NaN\"", StringComparison.Ordinal)),
            "negative weight" => Edited(rig: r => r.Replace("\"weight\": 0.1", "\"weight\": -0.1", StringComparison.Ordinal)),
            "sigma 0" => Edited(rig: r => r.Replace("\"bias\": 1.3, \"sigma\": 0.1", "\"bias\": 1.3, \"sigma\": 0", StringComparison.Ordinal)),
            "sigma above bias" => Edited(rig: r => r.Replace("\"bias\": 1.3, \"sigma\": 0.1", "\"bias\": 1.3, \"sigma\": 2", StringComparison.Ordinal)),
            "MJCF refused" => Edited(model: m => m.Replace("<joint name=\"hinge\" type=\"hinge\"", "<joint name=\"hinge\" type=\"wobbly\"", StringComparison.Ordinal)),
            "unknown field" => Edited(rig: r => r.Replace("\"control_period\"", "\"control_perod\"", StringComparison.Ordinal)),
            "period mismatch" => Edited(rig: r => r.Replace("\"physics_substeps\": 1", "\"physics_substeps\": 2", StringComparison.Ordinal)),
            "cost not observable" => Edited(rig: r => r.Replace("{ \"name\": \"cos_theta\", \"joint\": \"hinge\", \"of\": \"cos\" },", "", StringComparison.Ordinal)),
            "not JSON" => Edited(rig: r => r[..(r.Length / 2)]),
            "slew rate 0" => Edited(rig: r => r.Replace("{ \"actuator\": \"torque\"", "{ \"slew_rate\": 0, \"actuator\": \"torque\"", StringComparison.Ordinal)),
            "slew rate text" => Edited(rig: r => r.Replace("{ \"actuator\": \"torque\"", "{ \"slew_rate\": \"fast\", \"actuator\": \"torque\"", StringComparison.Ordinal)),
            "sparse term misnamed" => BallInCup(r => r.Replace("\"unless\": \"success\"", "\"unless\": \"caught\"", StringComparison.Ordinal)),
            "unknown observation entry" => BallInCup(r => r.Replace("{ \"observation\": \"ball_dx\"", "{ \"observation\": \"ball_dy\"", StringComparison.Ordinal)),
            "relative to a hinge" => BallInCup(r => r.Replace("\"minus\": \"cup_x\"", "\"minus\": \"ball_spin\"", StringComparison.Ordinal)),
            "offset on a velocity" => BallInCup(r => r.Replace("\"joint\": \"cup_x\", \"of\": \"velocity\"", "\"joint\": \"cup_x\", \"of\": \"velocity\", \"offset\": 1", StringComparison.Ordinal)),
            "circle on a hinge" => BallInCup(r => r.Replace("[\"ball_x\", \"ball_z\"]", "[\"ball_x\", \"ball_spin\"]", StringComparison.Ordinal)),
            "circle and a range" => BallInCup(r => r.Replace("\"ball_x\": { \"velocity\"", "\"ball_x\": { \"position\": [0, 0], \"velocity\"", StringComparison.Ordinal)),
            "hold of no joint" => BallInCup(r => r.Replace("\"hold\": \"position\" },", "\"hold\": \"stay\" },", StringComparison.Ordinal)),
            "norm of an unknown entry" => FetchPush(r => r.Replace("\"cost\": [ { \"norm\": [\"goal_dx\", \"goal_dy\"]", "\"cost\": [ { \"norm\": [\"goal_dx\", \"goal_dz\"]", StringComparison.Ordinal)),
            "z axis of a joint" => Franka(r => r.Replace("\"site\": \"tip\", \"index\": 2, \"of\": \"z_axis\"", "\"joint\": \"joint7\", \"of\": \"z_axis\"", StringComparison.Ordinal)),
            "velocity of a site" => Franka(r => r.Replace("\"site\": \"tip\", \"index\": 0, \"of\": \"position\"", "\"site\": \"tip\", \"index\": 0, \"of\": \"velocity\"", StringComparison.Ordinal)),
            "mocap that is not" => FetchPush(r => r.Replace("\"mocap\": \"goal\", \"index\": 0, \"of\"", "\"mocap\": \"block\", \"index\": 0, \"of\"", StringComparison.Ordinal)),
            "second component of a slide" => FetchPush(r => r.Replace("\"name\": \"pusher_x\", \"joint\": \"pusher_x\",", "\"name\": \"pusher_x\", \"joint\": \"pusher_x\", \"index\": 1,", StringComparison.Ordinal)),
            "velocity component 6" => FetchPush(r => r.Replace("\"joint\": \"block\", \"index\": 0, \"of\": \"velocity\"", "\"joint\": \"block\", \"index\": 6, \"of\": \"velocity\"", StringComparison.Ordinal)),
            "placed twice" => FetchPush(r => r.Replace("\"set\": [ { \"joint\": \"pusher_x\" }", "\"set\": [ { \"joint\": \"block\" }", StringComparison.Ordinal)),
            "behind a later point" => FetchPush(r => r.Replace("\"behind\": \"block\"", "\"behind\": \"pusher\"", StringComparison.Ordinal)),
            "apart beyond the box" => FetchPush(r => r.Replace("\"min_distance\": 0.1", "\"min_distance\": 0.6", StringComparison.Ordinal)),
            "a site placed" => FetchPush(r => r.Replace("\"set\": [ { \"mocap\": \"goal\", \"index\": 0 }", "\"set\": [ { \"site\": \"goal\", \"index\": 0 }", StringComparison.Ordinal)),
            "unknown shape" => Franka(r => r.Replace("\"shape\": \"abs\"", "\"shape\": \"cubic\"", StringComparison.Ordinal)),
            _ => Directory.CreateTempSubdirectory("mpq-rig-").FullName,
        };
        try
        {
            var e = Assert.Throws<RigFileException>(() => RigTask.Load(dir))!;
            Assert.That(e.Message, Does.StartWith($"rig file '{Path.Combine(dir, "rig.json")}'").And.Contain(said), e.Message);
            Assert.That(e, Is.InstanceOf<FormatException>(), "bad input: exit 2 under the programs' error policy");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string BallInCup(Func<string, string> rig) => Edited(rig: rig, from: "ballincup");

    private static string FetchPush(Func<string, string> rig) => Edited(rig: rig, from: "fetchpush");

    private static string Franka(Func<string, string> rig) => Edited(rig: rig, from: "frankadrawer");

    [Test]
    public void StartPoints_ApartFromAnotherBeyondReach_ErrorAfterBoundedDrawsNotAHang()
    {
        // Within ±0.1 of the block and ±0.2 for the goal, no goal is 0.5 from the block: the sampler stops and says so
        // (the C# task this replaced looped forever on such a constraint).
        var dir = FetchPush(r => r.Replace("\"min_distance\": 0.1", "\"min_distance\": 0.5", StringComparison.Ordinal));
        try
        {
            var task = RigTask.Load(dir);
            using var model = MjModel.FromXmlString(task.ModelXml);
            using var data = MjData.Create(model);
            var rng = new SplitMix64(1);
            var e = Assert.Throws<InvalidOperationException>(() => task.SampleInitialState(data, ref rng))!;
            Assert.That(e.Message, Does.Contain("start_points[1] ('goal') was never 0.5 from 'block' in 10000 draws"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void SlewRate_FromTheActions_TheFurutasDirectDriveAndNoneForThePendulum()
    {
        Assert.That(TaskCatalog.Create("furuta").SlewRate, Is.EqualTo(100), "the QUBE's direct-drive motor (rigs/README.md)");
        Assert.That(TaskCatalog.Create("pendulum").SlewRate, Is.Null, "no slew_rate: the firmware's own default");
    }

    [Test]
    public void Create_ByNameOrPath_WithOtherPriors()
    {
        Assert.That(TaskCatalog.Names, Does.Contain("pendulum"));
        Assert.That(TaskCatalog.Create("pendulum"), Is.InstanceOf<RigTask>());
        var byPath = TaskCatalog.Create(Path.Combine(Shipped("pendulum"), "rig.json"), new Dictionary<string, ParameterPrior> { ["mass"] = ParameterPrior.FromPaper(2, 0.5) });
        Assert.That(byPath.Parameters[0].Prior, Is.EqualTo(ParameterPrior.FromPaper(2, 0.5)));
        Assert.That(() => TaskCatalog.Create("pendulum", new Dictionary<string, ParameterPrior> { ["weight"] = ParameterPrior.FromPaper(2, 0.5) }),
            Throws.ArgumentException.With.Message.Contains("has no parameter 'weight'; it has: mass, length"));
    }
}
