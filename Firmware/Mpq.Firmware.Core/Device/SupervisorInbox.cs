using System.Diagnostics;
using Mpq.Firmware.Safety;
using Mpq.Protocol.Framing;

namespace Mpq.Firmware.Device;

/// <summary>
/// What the link asks of the safety supervisor (Commands, arm, disarm, estop, clear, handshake, link lost), handed to
/// the device loop through a lock-free ring: the loop applies it at the start of its next tick, so the loop never waits
/// on a lock that a link thread holds (a lower-priority thread preempted while holding the supervisor's lock would
/// otherwise stall the loop for a whole scheduler slice).
/// </summary>
/// <remarks>
/// One producer at a time (the link serialises its threads under its reader lock), one consumer (the loop). A full ring
/// makes the producer wait for the loop, bounded; past the bound the request is dropped and counted (a dropped Command
/// only starves the watchdog, which then stops the rig). Every request but a Command waits until the loop applied it
/// (at most a tick), so the reply that follows it is true ("ok estop latched" means latched); the wait polls: the loop
/// only writes fields, it never signals an event whose internal lock a waiter could hold.
/// </remarks>
public sealed class SupervisorInbox
{
    private const int Capacity = 256;
    private static readonly TimeSpan WaitLimit = TimeSpan.FromMilliseconds(250);

    private enum Kind : byte
    {
        Command,
        Arm,
        Disarm,
        EStop,
        ClearFaults,
        Handshake,
        LinkLost,
        ArmInterlock,
        Pulse,
    }

    private readonly Kind[] _kind = new Kind[Capacity];
    private readonly double[] _time = new double[Capacity];
    private readonly uint[] _answers = new uint[Capacity];
    private readonly double[] _validity = new double[Capacity];
    private readonly int[] _count = new int[Capacity];
    private readonly float[] _torque = new float[Capacity * Frame.MaxJoints];
    private readonly string?[] _text = new string?[Capacity];
    private readonly bool[] _flag = new bool[Capacity];
    private readonly string?[] _result = new string?[Capacity];
    private readonly long[] _done = new long[Capacity];
    private long _head; // next to apply (loop)
    private long _tail; // next to fill (producer)
    private long _dropped;

    /// <summary>Requests dropped because the loop did not take them within the wait limit (it is stopped, or stalled).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Requests not yet applied.</summary>
    public long Pending => Volatile.Read(ref _tail) - Volatile.Read(ref _head);

    /// <summary>A Command that arrived at <paramref name="arrival"/>; judged by the loop at its next tick.</summary>
    public void Command(double arrival, uint answersState, double validitySeconds, ReadOnlySpan<float> torque)
    {
        if (!TryClaim(out var ticket, out var slot))
        {
            return;
        }
        _kind[slot] = Kind.Command;
        _time[slot] = arrival;
        _answers[slot] = answersState;
        _validity[slot] = validitySeconds;
        var n = Math.Min(torque.Length, Frame.MaxJoints); // a decoded Command has at most 16; the supervisor judges the count
        _count[slot] = n;
        torque[..n].CopyTo(_torque.AsSpan(slot * Frame.MaxJoints, Frame.MaxJoints));
        Publish(ticket);
    }

    /// <summary>Arms if allowed; returns null, or why not (waits for the loop, bounded).</summary>
    public string? Arm(double now) => Ask(Kind.Arm, now, null, false) is { } r ? (r.Length == 0 ? null : r) : "the device loop did not answer (stopped?)";

    /// <summary>Clears faults (an estop only with <paramref name="releaseEStop"/>); returns the supervisor's answer.</summary>
    public string ClearFaults(bool releaseEStop) => Ask(Kind.ClearFaults, 0, null, releaseEStop) ?? "refused: the device loop did not answer (stopped?)";

    public void Disarm(string reason) => Post(Kind.Disarm, reason);

    public void EStop(string reason) => Post(Kind.EStop, reason);

    public void Handshake() => Post(Kind.Handshake, null);

    public void LinkLost(string reason) => Post(Kind.LinkLost, reason);

    /// <summary>Holds arming with <paramref name="reason"/>, or (null) releases it.</summary>
    public void ArmInterlock(string? reason) => Post(Kind.ArmInterlock, reason);

    /// <summary>Starts a bring-up pulse (<see cref="SafetySupervisor.StartPulse"/>); returns null, or why not.</summary>
    public string? Pulse(double now, int actuator, double torque, double seconds)
    {
        if (!TryClaim(out var ticket, out var slot))
        {
            return "the device loop did not answer (stopped?)";
        }
        _count[slot] = actuator;
        _validity[slot] = seconds;
        _torque[slot * Frame.MaxJoints] = (float)torque;
        return Ask(Kind.Pulse, now, null, false, ticket, slot) is { } r ? (r.Length == 0 ? null : r) : "the device loop did not answer (stopped?)";
    }

    /// <summary>The loop: applies every pending request to <paramref name="supervisor"/>, in order. Allocation-free for Commands.</summary>
    /// <returns>Whether a Command was among them (lockstep waits for one).</returns>
    public bool Drain(SafetySupervisor supervisor)
    {
        var command = false;
        var tail = Volatile.Read(ref _tail);
        for (var head = _head; head < tail; head++)
        {
            var slot = (int)(head % Capacity);
            string? result = null;
            switch (_kind[slot])
            {
                case Kind.Command:
                    supervisor.OnCommand(_time[slot], _answers[slot], _validity[slot], _torque.AsSpan(slot * Frame.MaxJoints, _count[slot]));
                    command = true;
                    break;
                case Kind.Arm:
                    result = supervisor.RequestArm(_time[slot]) ?? "";
                    break;
                case Kind.Disarm:
                    supervisor.RequestDisarm(_text[slot]!);
                    break;
                case Kind.EStop:
                    supervisor.EStop(_text[slot]!);
                    break;
                case Kind.ClearFaults:
                    result = supervisor.ClearFaults(_flag[slot]);
                    break;
                case Kind.Handshake:
                    supervisor.OnHandshake();
                    break;
                case Kind.LinkLost:
                    supervisor.OnLinkLost(_text[slot]!);
                    break;
                case Kind.ArmInterlock:
                    supervisor.SetArmInterlock(_text[slot]);
                    break;
                case Kind.Pulse:
                    result = supervisor.StartPulse(_time[slot], _count[slot], _torque[slot * Frame.MaxJoints], _validity[slot]) ?? "";
                    break;
            }
            _text[slot] = null;
            _result[slot] = result;
            Volatile.Write(ref _done[slot], head + 1);
            Volatile.Write(ref _head, head + 1);
        }
        return command;
    }

    /// <summary>Hands a request over and waits (bounded) until the loop applied it, so a reply sent after it is true.</summary>
    private void Post(Kind kind, string? text) => Ask(kind, 0, text, false);

    private string? Ask(Kind kind, double time, string? text, bool flag)
    {
        if (!TryClaim(out var ticket, out var slot))
        {
            return null;
        }
        return Ask(kind, time, text, flag, ticket, slot);
    }

    /// <summary>Fills a claimed slot, publishes it and waits (bounded) for the loop's answer.</summary>
    private string? Ask(Kind kind, double time, string? text, bool flag, long ticket, int slot)
    {
        _kind[slot] = kind;
        _time[slot] = time;
        _text[slot] = text;
        _flag[slot] = flag;
        Publish(ticket);
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref _done[slot]) != ticket + 1)
        {
            if (clock.Elapsed > WaitLimit)
            {
                return null;
            }
            Thread.Sleep(0);
        }
        return _result[slot];
    }

    private bool TryClaim(out long ticket, out int slot)
    {
        ticket = _tail;
        slot = (int)(ticket % Capacity);
        if (ticket - Volatile.Read(ref _head) >= Capacity)
        {
            var clock = Stopwatch.StartNew();
            while (ticket - Volatile.Read(ref _head) >= Capacity)
            {
                if (clock.Elapsed > WaitLimit)
                {
                    Interlocked.Increment(ref _dropped);
                    return false;
                }
                Thread.Sleep(0);
            }
        }
        return true;
    }

    private void Publish(long ticket) => Volatile.Write(ref _tail, ticket + 1);
}
