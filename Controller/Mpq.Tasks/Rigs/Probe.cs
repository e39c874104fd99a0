using Mpq.MuJoCo;

namespace Mpq.Tasks.Rigs;

/// <summary>Where in MjData one number of the state lives.</summary>
internal enum ProbeKind
{
    Qpos,
    Qvel,
    SitePosition,
    SiteZAxis,
    Mocap,
}

/// <summary>
/// One number of a MuJoCo state, resolved once from a rig file's <see cref="Reference"/> so that reading it on every
/// step is an index, not a name lookup: a joint's qpos or qvel entry, a site's world position or z axis, a mocap body's
/// position.
/// </summary>
/// <param name="Kind">Which array of MjData it reads.</param>
/// <param name="Address">qpos or qvel index, site id or mocap id.</param>
/// <param name="Component">The component of a site's or mocap body's 3-vector.</param>
/// <param name="Linear">A length (m, m/s) rather than an angle: only two of a kind are subtracted.</param>
internal readonly record struct Probe(ProbeKind Kind, int Address, int Component, bool Linear)
{
    public double Read(MjData data) => Kind switch
    {
        ProbeKind.Qpos => data.Qpos[Address],
        ProbeKind.Qvel => data.Qvel[Address],
        ProbeKind.SitePosition => data.SiteXpos(Address)[Component],
        // xmat is row-major: column 2 is the site's z axis in world coordinates.
        ProbeKind.SiteZAxis => data.SiteXmat(Address)[3 * Component + 2],
        _ => data.MocapPos[3 * Address + Component],
    };

    /// <summary>Sets a joint's position or a mocap body's (a start state); the other kinds are not state to set.</summary>
    public void Write(MjData data, double value)
    {
        if (Kind == ProbeKind.Qpos)
        {
            data.Qpos[Address] = value;
        }
        else if (Kind == ProbeKind.Mocap)
        {
            data.MocapPos[3 * Address + Component] = value;
        }
        else
        {
            throw new InvalidOperationException($"a {Kind} is not a state that can be set");
        }
    }

    /// <summary>
    /// Resolves <paramref name="reference"/> for <paramref name="of"/>, or says in the file's terms why the model cannot
    /// give it: a hinge or a slide has one component, a free joint x, y, z (position) or six (velocity), a site a position or
    /// a z axis, a mocap body a position; cos and sin only of a hinge.
    /// </summary>
    public static Probe Resolve(MjModel model, Reference reference, JointQuantity of, string file, string field)
    {
        RigFileException Refused(string problem) => new(file, field, $"{reference} {problem}");
        int Find(MjObjectType type, string key)
        {
            var id = model.FindId(type, reference.Name);
            return id >= 0 ? id : throw new RigFileException(file, $"{field}.{key}", $"the model has no {type.ToString().ToLowerInvariant()} named '{reference.Name}'");
        }
        void Within(int count, string what)
        {
            if (reference.Index >= count)
            {
                throw new RigFileException(file, $"{field}.index", $"{reference} is out of range: {what}");
            }
        }
        switch (reference.Element)
        {
            case ElementKind.Site:
                var site = Find(MjObjectType.Site, "site");
                Within(3, "a site's position and axes have components 0, 1, 2 (x, y, z)");
                return of switch
                {
                    JointQuantity.Position => new Probe(ProbeKind.SitePosition, site, reference.Index, Linear: true),
                    JointQuantity.ZAxis => new Probe(ProbeKind.SiteZAxis, site, reference.Index, Linear: false),
                    _ => throw Refused("is a site: it has a position and a z_axis, not a velocity, cos or sin"),
                };
            case ElementKind.Mocap:
                var body = Find(MjObjectType.Body, "mocap");
                var mocap = model.BodyMocapId(body);
                if (mocap < 0)
                {
                    throw Refused("is not a mocap body (mocap=\"true\" in the model)");
                }
                Within(3, "a position has components 0, 1, 2 (x, y, z)");
                return of == JointQuantity.Position ? new Probe(ProbeKind.Mocap, mocap, reference.Index, Linear: true)
                    : throw Refused("is a mocap body: only its position is observed");
            default:
                var joint = Find(MjObjectType.Joint, "joint");
                var type = model.JointType(joint);
                if (of == JointQuantity.ZAxis)
                {
                    throw Refused("is a joint: z_axis is a site's");
                }
                if (of is JointQuantity.Cos or JointQuantity.Sin && type != 3)
                {
                    throw Refused($"is a {TypeName(type)}: cos and sin need a hinge");
                }
                switch (type)
                {
                    case 2 or 3:
                        Within(1, $"a {TypeName(type)} has one component (index 0)");
                        return of == JointQuantity.Velocity
                            ? new Probe(ProbeKind.Qvel, model.JointDofAddress(joint), 0, Linear: type == 2)
                            : new Probe(ProbeKind.Qpos, model.JointQposAddress(joint), 0, Linear: type == 2);
                    case 0:
                        if (of == JointQuantity.Velocity)
                        {
                            Within(6, "a free joint's velocity has components 0–5 (linear x, y, z, then angular)");
                            return new Probe(ProbeKind.Qvel, model.JointDofAddress(joint) + reference.Index, 0, Linear: reference.Index < 3);
                        }
                        Within(3, "a free joint's position has components 0, 1, 2 (x, y, z; its quaternion is not observed)");
                        return new Probe(ProbeKind.Qpos, model.JointQposAddress(joint) + reference.Index, 0, Linear: true);
                    default:
                        throw Refused($"is a {TypeName(type)}: only hinges, slides and free joints are observed");
                }
        }
    }

    /// <summary>A joint type's name as MJCF spells it.</summary>
    public static string TypeName(int type) => type switch
    {
        0 => "free joint",
        1 => "ball joint",
        2 => "slide",
        _ => "hinge",
    };
}
