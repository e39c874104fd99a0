using System.Device.Gpio;
using Mpq.Firmware.Drivers;
using Mpq.Firmware.Drivers.Gpio;
using Mpq.Firmware.VirtualRig;
using Mpq.Tasks;

namespace Mpq.Firmware.Tests;

/// <summary>What every rig driver must do, run against the GPIO driver (on a fake chip) and the MuJoCo virtual rig.</summary>
public abstract class RigDriverContractTests
{
    protected abstract IRigDriver CreateDriver();

    /// <summary>Torque the hardware is producing right now for actuator 0 (signed, N·m).</summary>
    protected abstract double AppliedTorque(IRigDriver driver);

    /// <summary>Lets the world respond to the applied torque for a while (the virtual plant steps; the fake motor turns its encoder).</summary>
    protected abstract void LetTimePass(IRigDriver driver, double seconds);

    [Test]
    public void Shape_HasJointsActuatorsAndATorqueMaximum()
    {
        using var d = CreateDriver();
        Assert.That(d.Joints, Is.InRange(1, 16));
        Assert.That(d.Actuators, Is.InRange(1, 16));
        Assert.That(d.TorqueMax, Is.GreaterThan(0));
        Assert.That(d.Name, Is.Not.Empty);
    }

    [Test]
    public void Start_TorqueIsZero()
    {
        using var d = CreateDriver();
        Assert.That(AppliedTorque(d), Is.Zero);
    }

    [Test]
    public void Read_GivesFiniteValues()
    {
        using var d = CreateDriver();
        var p = new float[d.Joints];
        var v = new float[d.Joints];
        d.Read(p, v);
        Assert.That(p.Concat(v), Has.All.Matches<float>(float.IsFinite));
    }

    [Test]
    public void Apply_PositiveTorque_MovesJointPositive()
    {
        using var d = CreateDriver();
        var p0 = new float[d.Joints];
        var v = new float[d.Joints];
        d.Read(p0, v);
        var torque = new float[d.Actuators];
        torque[0] = (float)(0.5 * d.TorqueMax);
        d.Apply(torque);
        Assert.That(AppliedTorque(d), Is.GreaterThan(0));
        LetTimePass(d, 0.1);
        var p1 = new float[d.Joints];
        d.Read(p1, v);
        Assert.That(p1[0], Is.GreaterThan(p0[0]), "positive torque must move the joint in the positive direction");
    }

    [Test]
    public void Stop_ZeroesTorqueImmediately_AndIsIdempotent()
    {
        using var d = CreateDriver();
        var torque = new float[d.Actuators];
        torque[0] = (float)(-0.8 * d.TorqueMax);
        d.Apply(torque);
        Assert.That(AppliedTorque(d), Is.LessThan(0));
        d.Stop();
        Assert.That(AppliedTorque(d), Is.Zero);
        Assert.DoesNotThrow(d.Stop);
        Assert.That(AppliedTorque(d), Is.Zero);
    }

    [Test]
    public void Stop_AfterDispose_DoesNotThrow()
    {
        var d = CreateDriver();
        d.Dispose();
        Assert.DoesNotThrow(d.Stop);
    }
}

[TestFixture]
public class VirtualRigDriverContractTests : RigDriverContractTests
{
    protected override IRigDriver CreateDriver() => new VirtualRigDriver(new PendulumSwingup(), new VirtualRigOptions { InitialState = [Math.PI / 2, 0] });

    protected override double AppliedTorque(IRigDriver driver)
    {
        // What reaches the plant on the next advance (the delay line head), as the plant would feel it.
        var rig = (VirtualRigDriver)driver;
        var before = rig.Data.Qvel[0];
        var state = new double[rig.Data.Model.StateSize];
        rig.Data.GetState(state);
        rig.Advance(1e-4);
        var acc = (rig.Data.Qvel[0] - before) / 1e-4;
        rig.Data.SetState(state);
        var gravity = 3 * 10 / 2.0 * Math.Sin(state[0]);
        return Math.Round((acc - gravity) / 3.0, 6); // θ̈ = 3g/(2l) sin θ + 3u/(m l²)
    }

    protected override void LetTimePass(IRigDriver driver, double seconds)
    {
        for (var t = 0.0; t < seconds; t += 0.002)
        {
            driver.Advance(0.002);
        }
    }

    [Test]
    public void Default_StartsHangingAtRest()
    {
        using var d = new VirtualRigDriver(new PendulumSwingup());
        var p = new float[1];
        var v = new float[1];
        d.Read(p, v);
        Assert.That((p[0], v[0]), Is.EqualTo(((float)Math.PI, 0f)));
    }

    [Test]
    public void Quantisation_RoundsToEncoderCounts()
    {
        using var d = new VirtualRigDriver(new PendulumSwingup(), new VirtualRigOptions { InitialState = [0.1234, 0], CountsPerRevolution = 100 });
        var p = new float[1];
        d.Read(p, new float[1]);
        Assert.That(p[0], Is.EqualTo((float)(2 * Math.PI / 100 * 2)).Within(1e-6));
    }

    [Test]
    public void ActuationDelay_TorqueArrivesLater()
    {
        using var d = new VirtualRigDriver(new PendulumSwingup(), new VirtualRigOptions { InitialState = [0, 0], ActuationDelayTicks = 3 });
        d.Apply([1f]);
        for (var i = 0; i < 3; i++)
        {
            d.Advance(0.002);
            d.Apply([1f]);
            Assert.That(d.Data.Qvel[0], Is.Zero, $"tick {i}: the delayed torque has not arrived");
        }
        d.Advance(0.002);
        Assert.That(d.Data.Qvel[0], Is.GreaterThan(0));
    }
}

[TestFixture]
public class GpioRigDriverContractTests : RigDriverContractTests
{
    private const int A = 17, B = 27, Dir = 22, Enable = 23;
    private FakeGpioDriver _gpio = null!;
    private FakePwm _pwm = null!;
    private int _phase;

    private static readonly GpioRigConfig Config = GpioRigConfig.Parse("""
        {
          "name": "test rig",
          "joints": [ { "encoderA": 17, "encoderB": 27, "countsPerRevolution": 2048, "velocityFilter": 1.0 } ],
          "actuators": [ { "pwmChip": 0, "pwmChannel": 0, "directionPin": 22, "enablePin": 23, "torqueAtFullDuty": 2.0 } ]
        }
        """);

    [TearDown]
    public void DisposeFakes()
    {
        // The driver disposes them through the controller (shouldDispose: true); this covers a failed test.
        _gpio?.Dispose();
        _pwm?.Dispose();
    }

    protected override IRigDriver CreateDriver()
    {
        _gpio = new FakeGpioDriver();
        _pwm = new FakePwm();
        _phase = 0;
        return new GpioRigDriver(Config, new GpioController(_gpio), shouldDispose: true, _ => _pwm);
    }

    protected override double AppliedTorque(IRigDriver driver)
    {
        var enabled = _gpio.Value(Enable) == PinValue.High;
        var sign = _gpio.Value(Dir) == PinValue.High ? 1 : -1;
        return enabled ? sign * _pwm.DutyCycle * 2.0 : 0;
    }

    protected override void LetTimePass(IRigDriver driver, double seconds)
    {
        // A simple motor: speed proportional to torque; the shaft turns the encoder.
        var counts = (int)Math.Round(AppliedTorque(driver) * 1000 * seconds);
        Quadrature.Turn(_gpio, A, B, ref _phase, counts);
    }

    [Test]
    public void Encoder_CountsBothDirections_AndFlagsMissedEdges()
    {
        using var d = (GpioRigDriver)CreateDriver();
        Quadrature.Turn(_gpio, A, B, ref _phase, 512);
        var p = new float[1];
        var v = new float[1];
        d.Read(p, v);
        Assert.That(p[0], Is.EqualTo((float)(Math.PI / 2)).Within(1e-5), "512 of 2048 counts is a quarter turn");
        Quadrature.Turn(_gpio, A, B, ref _phase, -1024);
        d.Read(p, v);
        Assert.That(p[0], Is.EqualTo((float)(-Math.PI / 2)).Within(1e-5));
        Assert.That(d.EncoderErrors, Is.Zero);
        _gpio.SetSilently(A, _gpio.Value(A) == PinValue.High ? PinValue.Low : PinValue.High); // edge on A missed
        _gpio.SetInput(B, _gpio.Value(B) == PinValue.High ? PinValue.Low : PinValue.High);
        Assert.That(d.EncoderErrors, Is.EqualTo(1), "a transition that skips a state is an error, not a guess");
        Assert.That(((IRigDriver)d).Health, Does.Contain("j0 count -512 missed edges 1"), "the console's status shows it (issue 29)");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Dispose_EitherOwnership_MotorStoppedAndPinsClosed(bool shouldDispose)
    {
        // As dotnet/iot's DCMotor tests: a driver that does not own the controller leaves it usable, pins closed.
        using var gpio = new FakeGpioDriver();
        var pwm = new FakePwm();
        var controller = new GpioController(gpio);
        var d = new GpioRigDriver(Config, controller, shouldDispose, _ => pwm);
        d.Apply([1f]);
        Assert.That(controller.IsPinOpen(Dir) && controller.IsPinOpen(A), Is.True);
        d.Dispose();
        Assert.That(pwm.DutyCycle, Is.Zero, "the motor is stopped before its pins are given back");
        if (shouldDispose)
        {
            Assert.That(() => controller.OpenPin(Dir, PinMode.Output), Throws.InstanceOf<ObjectDisposedException>(), "an owned controller is disposed with the driver");
            return;
        }
        Assert.That(new[] { A, B, Dir, Enable }.Select(controller.IsPinOpen), Is.All.False, "every pin the driver opened is closed");
        controller.OpenPin(Dir, PinMode.Output); // and the caller's controller still works
        Assert.That(controller.IsPinOpen(Dir), Is.True);
        controller.Dispose();
    }

    [Test]
    public void Apply_OverMaximum_SaturatesAtFullDuty()
    {
        using var d = (GpioRigDriver)CreateDriver();
        d.Apply([5f]);
        Assert.That(d.Duty(0), Is.EqualTo(1.0));
    }

    [Test]
    public void Apply_NaN_StopsTheMotor()
    {
        using var d = (GpioRigDriver)CreateDriver();
        d.Apply([1f]);
        d.Apply([float.NaN]);
        Assert.That(AppliedTorque(d), Is.Zero);
    }

    [TestCase("""{ "joints": [], "actuators": [] }""", "needs 1-16 joints")]
    [TestCase("""{ "joints": [ { "encoderA": 1, "encoderB": 1, "countsPerRevolution": 10 } ], "actuators": [ { "directionPin": 3, "torqueAtFullDuty": 1 } ] }""", "pin 1 is used twice")]
    [TestCase("""{ "joints": [ { "encoderA": 1, "encoderB": 2, "countsPerRevolution": 0 } ], "actuators": [ { "directionPin": 3, "torqueAtFullDuty": 1 } ] }""", "countsPerRevolution must be positive")]
    [TestCase("""{ "joints": [ { "encoderA": 1, "encoderB": 2, "countsPerRevolution": 8 } ], "actuators": [ { "directionPin": 3, "torqueAtFullDuty": 0 } ] }""", "torqueAtFullDuty must be a positive number")]
    [TestCase("""{ "joints": [ { "encoderA": 1, "encoderB": 2, "countsPerRevolution": 8, "bogus": 1 } ], "actuators": [] }""", "bogus")]
    [TestCase("""{ not json""", "GPIO config")]
    public void Config_Invalid_ClearError(string json, string message)
    {
        var e = Assert.Throws<FormatException>(() => GpioRigConfig.Parse(json))!;
        Assert.That(e.Message, Does.Contain(message));
    }
}
