using Mpq.MuJoCo;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

[TestFixture]
public class MjDataTests
{
    private MjModel _model = null!;

    [SetUp]
    public void SetUp() => _model = MjModel.FromXmlString(new PendulumSwingup().ModelXml);

    [TearDown]
    public void TearDown() => _model.Dispose();

    [Test]
    public void SetState_ThenStep_MatchesPendulumEquations()
    {
        using var data = MjData.Create(_model);
        data.SetState([0.3, -0.5]);
        data.Ctrl[0] = 1.5;
        data.Step();
        // θ̈ = 3g/(2l) sin θ + 3u/(m l²), semi-implicit Euler with dt = 0.05.
        var acc = 3 * 10 / 2.0 * Math.Sin(0.3) + 3 * 1.5;
        var v = -0.5 + 0.05 * acc;
        Assert.That(data.Qvel[0], Is.EqualTo(v).Within(1e-9));
        Assert.That(data.Qpos[0], Is.EqualTo(0.3 + 0.05 * v).Within(1e-9));
    }

    [Test]
    public void GetState_RoundTrips()
    {
        using var data = MjData.Create(_model);
        data.SetState([1.25, 2.5]);
        var state = new double[_model.StateSize];
        data.GetState(state);
        Assert.That(state, Is.EqualTo(new[] { 1.25, 2.5 }));
    }

    [Test]
    public void CopyStateFrom_CopiesStateAndTime()
    {
        using var a = MjData.Create(_model);
        using var b = MjData.Create(_model);
        a.SetState([0.7, 0.1]);
        a.Time = 3;
        b.CopyStateFrom(a);
        Assert.That((b.Qpos[0], b.Qvel[0], b.Time), Is.EqualTo((0.7, 0.1, 3.0)));
    }

    [TestCase(double.NaN)]
    [TestCase(double.NegativeInfinity)]
    public void SetState_NonFinite_ThrowsAndKeepsState(double bad)
    {
        using var data = MjData.Create(_model);
        data.SetState([0.1, 0.2]);
        var e = Assert.Throws<ArgumentException>(() => data.SetState([bad, 0]))!;
        Assert.That(e.Message, Does.Contain("NaN or infinity"));
        Assert.That(data.Qpos[0], Is.EqualTo(0.1));
    }

    [Test]
    public void SetState_WrongLength_Throws()
    {
        using var data = MjData.Create(_model);
        Assert.Throws<ArgumentException>(() => data.SetState([0.1, 0.2, 0.3]));
    }

    [Test]
    public void Step_DisposedData_Throws()
    {
        var data = MjData.Create(_model);
        data.Dispose();
        Assert.That(data.IsClosed, Is.True);
        Assert.Throws<ObjectDisposedException>(data.Step);
        Assert.Throws<ObjectDisposedException>(() => MjData.Create(DisposedModel()));
    }

    private static MjModel DisposedModel()
    {
        var m = MjModel.FromXmlString(new PendulumSwingup().ModelXml);
        m.Dispose();
        return m;
    }
}
