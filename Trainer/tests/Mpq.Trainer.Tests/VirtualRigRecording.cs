using Mpq.Firmware.VirtualRig;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.Trainer.Tests;

/// <summary>
/// Logs of the firmware's virtual rig (the same driver `firmware --driver virtual:RIG --true ...` runs, native MuJoCo at
/// the device tick) driven by an open-loop excitation, written as the controller writes a rig's log. No serial line and
/// no real time: the HIL suite covers those; this makes many true-parameter sets affordable.
/// </summary>
internal static class VirtualRigRecording
{
    /// <summary>Records <paramref name="seconds"/> of <paramref name="rig"/> under <paramref name="excitation"/> (null: a free
    /// swing from <paramref name="initial"/>) into a new log at <paramref name="path"/>.</summary>
    public static void Record(ITask task, VirtualRigOptions rig, Excitation? excitation, double seconds, string path, double tick = 0.002, double[]? initial = null)
    {
        using var plant = new VirtualRigDriver(task, rig with { InitialState = initial ?? rig.InitialState });
        var n = plant.Joints;
        using var log = TransitionLog.Create(path, TransitionLogHeader.For(task, 2 * n, "rig"));
        var position = new float[n];
        var velocity = new float[n];
        var state = new double[2 * n];
        var next = new double[2 * n];
        var torque = new float[plant.Actuators];
        var action = new double[plant.Actuators];
        var observation = new double[task.ObservationSize];
        var ticks = (int)Math.Round(task.ControlPeriod / tick);
        var steps = (int)Math.Round(seconds / task.ControlPeriod);
        Read(plant, position, velocity, state);
        for (var t = 0; t < steps; t++)
        {
            var u = excitation?.Next() ?? 0;
            for (var a = 0; a < torque.Length; a++)
            {
                torque[a] = (float)u;
                action[a] = torque[a];
            }
            for (var k = 0; k < ticks; k++)
            {
                plant.Apply(torque);
                plant.Advance(tick);
            }
            Read(plant, position, velocity, next);
            log.Add(new Transition(t, observation, action, 0, observation, state, next, false, action));
            next.CopyTo(state, 0);
        }
    }

    private static void Read(VirtualRigDriver plant, float[] position, float[] velocity, double[] state)
    {
        plant.Read(position, velocity);
        for (var j = 0; j < position.Length; j++)
        {
            state[j] = position[j];
            state[position.Length + j] = velocity[j];
        }
    }
}
