using Mpq.MuJoCo;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class MjModelTests
{
    [Test]
    public void FromXmlString_Pendulum_HasExpectedSizes()
    {
        using var model = MjModel.FromXmlString(new PendulumSwingup().ModelXml);
        Assert.Multiple(() =>
        {
            Assert.That(model.Nq, Is.EqualTo(1));
            Assert.That(model.Nv, Is.EqualTo(1));
            Assert.That(model.Nu, Is.EqualTo(1));
            Assert.That(model.Timestep, Is.EqualTo(0.05));
            Assert.That(model.Gravity[2], Is.EqualTo(-10));
            Assert.That(model.ActuatorControlRange(0), Is.EqualTo((-2.0, 2.0)));
            Assert.That(model.Id(MjObjectType.Body, "pole"), Is.EqualTo(1));
            Assert.That(model.FindId(MjObjectType.Body, "nope"), Is.EqualTo(-1));
            Assert.That(MuJoCoRuntime.Version, Is.EqualTo(222));
        });
    }

    [Test]
    public void FromXmlString_Malformed_ThrowsWithMuJoCoText()
    {
        var e = Assert.Throws<MuJoCoException>(() => MjModel.FromXmlString("<mujoco><worldbody><body><geom type='sphere'/></body></worldbdy></mujoco>"))!;
        Assert.That(e.Message, Does.Contain("MJCF text").And.Contain("XML").IgnoreCase);
    }

    [Test]
    public void FromXmlString_UnknownAttribute_ThrowsWithMuJoCoText()
    {
        var e = Assert.Throws<MuJoCoException>(() => MjModel.FromXmlString("<mujoco><worldbody><geom type='sphere' size='0.1' bogus='1'/></worldbody></mujoco>"))!;
        Assert.That(e.Message, Does.Contain("bogus"));
    }

    [Test]
    public void FromXmlFile_Missing_Throws()
    {
        var e = Assert.Throws<MuJoCoException>(() => MjModel.FromXmlFile("/nonexistent/model.xml"))!;
        Assert.That(e.Message, Does.Contain("does not exist"));
    }

    [Test]
    public void Id_UnknownName_ThrowsNamingIt()
    {
        using var model = MjModel.FromXmlString(new PendulumSwingup().ModelXml);
        var e = Assert.Throws<MuJoCoException>(() => model.Id(MjObjectType.Joint, "elbow"))!;
        Assert.That(e.Message, Does.Contain("joint named 'elbow'"));
    }

    [TestCase(double.NaN)]
    [TestCase(-1.0)]
    [TestCase(double.PositiveInfinity)]
    public void SetBodyMass_BadValue_Throws(double mass)
    {
        using var model = MjModel.FromXmlString(new PendulumSwingup().ModelXml);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.SetBodyMass(1, mass));
        Assert.That(model.GetBodyMass(1), Is.EqualTo(1.0));
    }

    [Test]
    public void Setters_WriteNativeParameters()
    {
        const string xml = """
            <mujoco>
              <worldbody>
                <body name="b"><joint name="j" type="slide" damping="0.5" frictionloss="0.1"/>
                  <geom name="g" type="box" size="0.1 0.2 0.3" mass="1"/>
                  <site name="s"/>
                </body>
                <body name="c" pos="0 0 1"><joint type="slide"/><geom type="sphere" size="0.1"/><site name="s2"/></body>
              </worldbody>
              <tendon><spatial name="t" stiffness="3"><site site="s"/><site site="s2"/></spatial></tendon>
            </mujoco>
            """;
        using var model = MjModel.FromXmlString(xml);
        var b = model.Id(MjObjectType.Body, "b");
        var g = model.Id(MjObjectType.Geom, "g");
        var t = model.Id(MjObjectType.Tendon, "t");
        var dof = model.JointDofAddress(model.Id(MjObjectType.Joint, "j"));
        Assert.That(model.GetDofDamping(dof), Is.EqualTo(0.5));
        Assert.That(model.GetDofFrictionLoss(dof), Is.EqualTo(0.1));
        Assert.That(model.GetTendonStiffness(t), Is.EqualTo(3));
        Assert.That(model.GetGeomSize(g).ToArray(), Is.EqualTo(new[] { 0.1, 0.2, 0.3 }));
        model.SetDofDamping(dof, 2);
        model.SetDofFrictionLoss(dof, 0.7);
        model.SetTendonStiffness(t, 9);
        model.SetGeomSize(g, 0.2, 0.2, 0.2);
        model.SetBodyInertia(b, 1, 2, 3);
        model.SetGeomFriction(g, 0.5, 0.01, 0.001);
        Assert.Multiple(() =>
        {
            Assert.That(model.GetDofDamping(dof), Is.EqualTo(2));
            Assert.That(model.GetDofFrictionLoss(dof), Is.EqualTo(0.7));
            Assert.That(model.GetTendonStiffness(t), Is.EqualTo(9));
            Assert.That(model.GetGeomSize(g)[0], Is.EqualTo(0.2));
            Assert.That(model.GetBodyInertia(b).ToArray(), Is.EqualTo(new[] { 1.0, 2, 3 }));
            Assert.That(model.GetGeomFriction(g)[0], Is.EqualTo(0.5));
        });
    }

    [Test]
    public void Damping_SlowsTheJoint_InSimulation()
    {
        const string xml = """
            <mujoco><option gravity="0 0 0"/><worldbody><body name="b"><joint name="j" type="slide" axis="1 0 0"/>
              <geom type="sphere" size="0.1" mass="1"/></body></worldbody></mujoco>
            """;
        using var model = MjModel.FromXmlString(xml);
        using var free = MjData.Create(model);
        free.Qvel[0] = 1;
        for (var i = 0; i < 100; i++)
        {
            free.Step();
        }
        model.SetDofDamping(0, 5);
        using var damped = MjData.Create(model);
        damped.Qvel[0] = 1;
        for (var i = 0; i < 100; i++)
        {
            damped.Step();
        }
        Assert.That(free.Qvel[0], Is.EqualTo(1).Within(1e-9));
        Assert.That(damped.Qvel[0], Is.LessThan(0.5));
    }
}
