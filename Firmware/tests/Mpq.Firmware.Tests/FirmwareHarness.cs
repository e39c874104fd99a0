using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Mpq.Firmware.Bench;
using Mpq.Firmware.Device;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Firmware.VirtualRig;
using Mpq.Protocol.Console;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;
using Mpq.Tasks;

namespace Mpq.Firmware.Tests;

/// <summary>
/// The firmware (virtual pendulum rig, real tty transport, real loop) in this process on one end of a socat pty pair,
/// and a test peer (<see cref="FirmwarePeer"/>) on the other: it sends frames or typed text and records what comes back.
/// </summary>
internal sealed class FirmwareHarness : FirmwarePeer
{
    private readonly TtyTransport _firmwarePort;

    /// <param name="log">Where the firmware's log lines go besides <see cref="Log"/> (e.g. a slow sink).</param>
    /// <param name="paramsPath">Where parameters persist (none by default).</param>
    /// <param name="rig">The virtual rig's options (its imperfections, bring-up required, a reversed motor).</param>
    public FirmwareHarness(int rateHz = 500, bool lockstep = false, Action<string>? log = null, string? paramsPath = null, VirtualRigOptions? rig = null)
    {
        Action<string> sink = log is null ? Log.Enqueue : line => { Log.Enqueue(line); log(line); };
        Driver = new VirtualRigDriver(new PendulumSwingup(), rig);
        Parameters = FirmwareParameters.Create(Driver.Joints, Driver.TorqueMax, rateHz, Driver.SlewRate, bringUpDone: !Driver.NeedsBringUp);
        Supervisor = new SafetySupervisor(Driver.Joints, Driver.Actuators);
        _firmwarePort = TtyTransport.Open(FirmwarePort);
        var store = paramsPath is null ? null : new ParameterStore(paramsPath, sink);
        var keeper = new ParameterKeeper(store, store?.Load(Parameters) ?? new ParameterFileCheck(0, null), sink);
        Link = new RigLink(_firmwarePort, Supervisor, Parameters, keeper, new RigInfo(Driver.Name, 1, 1, Driver.TorqueMax, Driver.NeedsBringUp), sink);
        Loop = new DeviceLoop(Driver, Supervisor, Parameters, Link, lockstep, sink);
        StartReading();
        Link.Start();
        Loop.Start();
    }

    public VirtualRigDriver Driver { get; }
    public ParameterTable Parameters { get; }
    public SafetySupervisor Supervisor { get; }
    public RigLink Link { get; }
    public DeviceLoop Loop { get; }
    public ConcurrentQueue<string> Log { get; } = new();

    protected override void DisposeFirmware()
    {
        Loop.Dispose();
        Link.Dispose();
        _firmwarePort.Dispose();
        Driver.Dispose();
    }
}
