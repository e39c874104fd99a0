using Mpq.Firmware.Settings;
using Mpq.Firmware.VirtualRig;
using Mpq.Tasks;

namespace Mpq.Firmware.Tests;

/// <summary>
/// Issue 26: the virtual rig has a real rig's imperfections (friction, a drive's deadband, a motor whose torque falls with
/// speed, other true parameters), in the plant only: checked on the MuJoCo plant through the driver's own interface.
/// </summary>
[TestFixture]
public class VirtualRigImperfectionTests
{
    private const double Tick = 0.002;

    /// <summary>Applies <paramref name="torque"/> for <paramref name="seconds"/>; returns the largest |θ − hanging| seen.</summary>
    private static double LargestSwing(VirtualRigDriver rig, float torque, double seconds)
    {
        var position = new float[1];
        var velocity = new float[1];
        var largest = 0.0;
        for (var t = 0.0; t < seconds; t += Tick)
        {
            rig.Apply([torque]);
            rig.Advance(Tick);
            rig.Read(position, velocity);
            largest = Math.Max(largest, Math.Abs(position[0] - Math.PI));
        }
        return largest;
    }

    // The Furuta never held upright over a pty at the firmware's default slew rate (a reversal of the torque limit in 0.1 s,
    // 1 N·m/s at 0.05 N·m): its rig file declares the direct-drive motor's own, which becomes the parameter's default.
    [Test]
    public void SlewRate_TheRigFileDeclaresIt_TheParameterDefaultsToIt()
    {
        using var furuta = new VirtualRigDriver(TaskCatalog.Create("furuta"));
        Assert.That(FirmwareParameters.Create(furuta.Joints, furuta.TorqueMax, 500, furuta.SlewRate).Get(FirmwareParameters.SlewRate), Is.EqualTo(100));
        using var pendulum = new VirtualRigDriver(TaskCatalog.Create("pendulum"));
        Assert.That(FirmwareParameters.Create(pendulum.Joints, pendulum.TorqueMax, 500, pendulum.SlewRate).Get(FirmwareParameters.SlewRate),
            Is.EqualTo(FirmwareParameters.DefaultSlewPerLimit * Math.Min(1, pendulum.TorqueMax)), "no slew_rate in the file: the firmware's own default");
    }

    [Test]
    public void CoulombFriction_HoldsATorqueBelowIt_IdealRigMoves()
    {
        using var ideal = new VirtualRigDriver(new PendulumSwingup());
        using var rough = new VirtualRigDriver(new PendulumSwingup(), new VirtualRigOptions { Friction = [0.5] });
        Assert.That(LargestSwing(ideal, 0.2f, 0.5), Is.GreaterThan(0.01));
        Assert.That(LargestSwing(rough, 0.2f, 0.5), Is.LessThan(2e-3), "0.2 N·m does not break 0.5 N·m of dry friction");
        Assert.That(LargestSwing(rough, 2f, 0.5), Is.GreaterThan(0.01), "2 N·m does");
    }

    [Test]
    public void Deadband_ACommandInsideItMovesNothing()
    {
        using var rig = new VirtualRigDriver(new PendulumSwingup(), new VirtualRigOptions { Deadband = 0.3 });
        Assert.That(LargestSwing(rig, 0.2f, 0.5), Is.LessThan(1e-6), "no motion (the reading is a float: π to 1e-7)");
        Assert.That(LargestSwing(rig, 0.4f, 0.5), Is.GreaterThan(0.01));
    }

    [Test]
    public void ViscousDamping_AFreeSwingDiesDown()
    {
        double SwingAfter(VirtualRigOptions options)
        {
            using var rig = new VirtualRigDriver(new PendulumSwingup(), options with { InitialState = [Math.PI + 1, 0] });
            LargestSwing(rig, 0, 4);
            return LargestSwing(rig, 0, 1.5);
        }
        var free = SwingAfter(new VirtualRigOptions());
        var damped = SwingAfter(new VirtualRigOptions { Damping = [0.3] });
        Assert.That(free, Is.GreaterThan(0.9), "MuJoCo's Euler pendulum keeps its swing");
        Assert.That(damped, Is.LessThan(0.5 * free));
    }

    [Test]
    public void TrueLength_ChangesThePlantOnly_AShorterPoleSwingsFaster()
    {
        double QuarterPeriod(VirtualRigOptions options)
        {
            using var rig = new VirtualRigDriver(new PendulumSwingup(), options with { InitialState = [Math.PI + 0.2, 0] });
            var position = new float[1];
            var velocity = new float[1];
            for (var t = 0.0; t < 5; t += Tick)
            {
                rig.Apply([0f]);
                rig.Advance(Tick);
                rig.Read(position, velocity);
                if (position[0] <= Math.PI)
                {
                    return t;
                }
            }
            return double.NaN;
        }
        var ratio = QuarterPeriod(new VirtualRigOptions { TrueParameters = new Dictionary<string, double> { ["length"] = 0.5 } }) / QuarterPeriod(new VirtualRigOptions());
        Assert.That(ratio, Is.EqualTo(Math.Sqrt(0.5)).Within(0.03), "a rod's period goes with √l");
    }

    [Test]
    public void Motor_TorqueFallsWithSpeed_CappedBySupply()
    {
        var motor = new MotorModel(TorqueConstant: 0.05, Resistance: 2, SupplyVoltage: 12); // stall 0.3 N·m, no load 240 rad/s
        Assert.That(motor.Deliver(0.1, 0), Is.EqualTo(0.1).Within(1e-12), "at rest within the supply: what was asked");
        Assert.That(motor.Deliver(1, 0), Is.EqualTo(0.3).Within(1e-12), "at rest: the stall torque at most");
        Assert.That(motor.Deliver(1, 120), Is.EqualTo(0.15).Within(1e-12), "at half the no-load speed: half the stall torque");
        Assert.That(motor.Deliver(0.1, 240), Is.EqualTo(0).Within(1e-12), "at the no-load speed: nothing left forward");
        Assert.That(motor.Deliver(-1, 120), Is.EqualTo(-0.45).Within(1e-12), "braking against the motion gets the back-EMF's help");
    }

    [Test]
    public void WithTrue_ParsesTheVocabulary()
    {
        var task = new PendulumSwingup();
        var o = new VirtualRigOptions().WithTrue("mass=1.05, friction_0=0.02,damping_0=0.01, deadband=0.03, motor_kt=0.05, motor_ohm=2, motor_volts=12, delay_ms=4, counts_per_rev=2048, sensor_noise=0.001", task, 1, 500);
        Assert.That(o.TrueParameters["mass"], Is.EqualTo(1.05));
        Assert.That((o.Friction![0], o.Damping![0], o.Deadband, o.ActuationDelayTicks, o.CountsPerRevolution), Is.EqualTo((0.02, 0.01, 0.03, 2, 2048)));
        Assert.That(o.Motor, Is.EqualTo(new MotorModel(0.05, 2, 12)));
        Assert.That((o.PositionNoise, o.VelocityNoise), Is.EqualTo((0.001, 0.01)));
        Assert.That(o.Describe(), Does.Contain("Coulomb friction 0.02 N·m").And.Contain("stall torque 0.3 N·m"));
    }

    [TestCase("wheels=4", "'wheels' is not a parameter of the virtual pendulum; known: mass, length, damping_0")]
    [TestCase("friction_1=0.1", "'friction_1' is not a parameter")]
    [TestCase("friction_0=NaN", "friction_0 must be a finite number >= 0")]
    [TestCase("deadband=-0.1", "deadband must be a finite number >= 0")]
    [TestCase("mass=0", "mass must be a finite number > 0")]
    [TestCase("mass", "'mass' is not NAME=NUMBER")]
    [TestCase("mass=1,mass=2", "'mass' is given twice")]
    [TestCase("motor_kt=0.05,motor_ohm=2", "a motor needs motor_kt, motor_ohm and motor_volts")]
    [TestCase("motor_kt=0,motor_ohm=2,motor_volts=12", "must all be above 0")]
    public void WithTrue_BadEntry_RefusedNamingIt(string text, string said)
    {
        var e = Assert.Throws<ArgumentException>(() => new VirtualRigOptions().WithTrue(text, new PendulumSwingup(), 1, 500))!;
        Assert.That(e.Message, Does.Contain(said));
    }
}
