using System.Runtime;

namespace Mpq.HilTests;

/// <summary>
/// The test process is the cable: the <see cref="FaultRelay"/> copies every byte between the programs and keeps a record
/// of each frame. A cable does not pause: no blocking full collection while the tests run (a 10-minute soak's records
/// grow to hundreds of thousands, and a relay stall of 61.6 ms was measured on a busy box; one over 125 ms trips the
/// rig's watchdog and the controller's State timeout, and failed a clean-clone CI run).
/// </summary>
[SetUpFixture]
public sealed class HilAssemblySetUp
{
    private GCLatencyMode _before;

    [OneTimeSetUp]
    public void LowLatency()
    {
        _before = GCSettings.LatencyMode;
        GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
    }

    [OneTimeTearDown]
    public void Restore() => GCSettings.LatencyMode = _before;
}
