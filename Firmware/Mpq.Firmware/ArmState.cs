namespace Mpq.Firmware;

/// <summary>The rig's safety state. Torque is applied only in <see cref="Armed"/>.</summary>
/// <remarks>Every state but <see cref="Armed"/> means zero torque; <see cref="Faulted"/> and
/// <see cref="EStopped"/> are latched until explicitly cleared.</remarks>
public enum ArmState
{
    Disarmed = 0,
    Armed = 1,
    Faulted = 2,
    EStopped = 3,
}
