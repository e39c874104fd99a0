namespace Mpq.MuJoCo;

/// <summary>MuJoCo object types (mjtObj) usable in name look-ups.</summary>
public enum MjObjectType
{
    Body = 1,
    Joint = 3,
    Dof = 4,
    Geom = 5,
    Site = 6,
    Tendon = 17,
    Actuator = 18,
    Sensor = 19,
}
