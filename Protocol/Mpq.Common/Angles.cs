namespace Mpq.Common;

/// <summary>Angles as people read them.</summary>
public static class Angles
{
    /// <summary>
    /// An angle in [−π, π): a rig's encoder counts whole turns (−18.896 rad is three turns and a bit), while a person,
    /// a plot or a CSV column wants where the joint points.
    /// </summary>
    public static double Wrap(double angle) => angle - 2 * Math.PI * Math.Floor((angle + Math.PI) / (2 * Math.PI));
}
