using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks.Rigs;

/// <summary>
/// A task described by files: a rig folder's MJCF model and its <c>rig.json</c> (<see cref="RigSpec"/>). Everything the
/// planner, the loop, the trainer and the virtual rig need comes from the files, by the model's own names.
/// </summary>
/// <remarks>
/// Loading checks the spec against the model, naming the file and the field: every joint, actuator, body and geom named
/// must exist; an observed joint must be a hinge or a slide (cos and sin only of a hinge); an action's actuator must be
/// limited (its ctrlrange is the action's range); a cost or success term must be computable from the observation (an
/// angle from its joint's cos and sin, or its position); the model's timestep × physics_substeps must be the control
/// period. The cost is the sum of its terms in order, each <c>w·e·e</c>, all ≥ 0 (so no step costs less than 0).
/// Physical parameters scale model fields multiplicatively from the file's values, so a rod's inertia follows both its
/// mass and its length (<see cref="FieldScale"/>).
/// </remarks>
public sealed class RigTask : ITask
{
    private readonly RigSpec _spec;
    private readonly Probe[] _observed;
    private readonly Probe?[] _minus;
    private readonly int[] _holdQpos;
    private readonly double[] _low;
    private readonly double[] _high;
    private readonly Term[] _cost;
    private readonly Term[] _success;
    private readonly (int Qpos, int Dof, StartRange Range)[] _start;
    private readonly (int QposX, int QposY, StartCircle Circle)? _circle;
    private readonly (StartPoint Point, Probe[] Set, int ApartFrom, int Behind, int AwayFrom)[] _points;
    private readonly (int Qpos, double Value)[] _rest;
    private readonly Binding[] _bindings;
    private readonly double[] _trueValues;
    private readonly ConditionalWeakTable<MjModel, double[]> _applied = new();

    /// <summary>How a term reads its quantity: the observation entry (or the cos and sin pair, or a norm's entries), or the action, and how to weigh it.</summary>
    private readonly record struct Term(TermKind Kind, int Index, int SinIndex, double Target, double Value, TermShape Shape = TermShape.Square, int[]? Norm = null);

    /// <summary>One component of one model field that parameters scale, its value in the file, and which parameters scale it how.</summary>
    private sealed record Binding(string Element, int Id, string Field, int Component, double Base, (int Parameter, double Power)[] Factors);

    private RigTask(RigSpec spec, string folder, string modelXml, string fingerprint, MjModel model, string file)
    {
        _spec = spec;
        Folder = folder;
        ModelXml = modelXml;
        Fingerprint = fingerprint;
        var where = new Locator(model, file);
        _observed = new Probe[spec.Observation.Count];
        _minus = new Probe?[spec.Observation.Count];
        for (var i = 0; i < spec.Observation.Count; i++)
        {
            var o = spec.Observation[i];
            _observed[i] = Probe.Resolve(model, o.Source, o.Of, file, $"observation[{i}]");
            if (o.Minus is { } minus)
            {
                var m = Probe.Resolve(model, minus, o.Of, file, $"observation[{i}].minus");
                _minus[i] = m.Linear == _observed[i].Linear ? m
                    : throw new RigFileException(file, $"observation[{i}].minus", $"{minus} is {(m.Linear ? "a length" : "an angle")} and {o.Source} {(_observed[i].Linear ? "a length" : "an angle")}: a relative position needs two of a kind");
            }
        }
        _low = new double[spec.Actions.Count];
        _high = new double[spec.Actions.Count];
        for (var a = 0; a < spec.Actions.Count; a++)
        {
            var id = where.Find(MjObjectType.Actuator, spec.Actions[a].Actuator, $"actions[{a}].actuator");
            var (low, high) = model.ActuatorControlRange(id);
            if (!double.IsFinite(low) || !double.IsFinite(high) || low >= high)
            {
                throw new RigFileException(file, $"actions[{a}]", $"actuator '{spec.Actions[a].Actuator}' has no finite ctrlrange in the model (ctrllimited=\"true\" ctrlrange=\"LOW HIGH\"): its range is the action's");
            }
            (_low[a], _high[a]) = (low, high);
        }
        _holdQpos = new int[spec.Actions.Count];
        for (var a = 0; a < spec.Actions.Count; a++)
        {
            _holdQpos[a] = -1;
            if (spec.Actions[a].Hold == HoldKind.Position)
            {
                var joint = model.ActuatorJoint(where.Find(MjObjectType.Actuator, spec.Actions[a].Actuator, $"actions[{a}].actuator"));
                if (joint < 0 || model.JointType(joint) is not (2 or 3))
                {
                    throw new RigFileException(file, $"actions[{a}].hold", $"actuator '{spec.Actions[a].Actuator}' does not drive a hinge or a slide: only a joint's servo holds at the joint's position");
                }
                _holdQpos[a] = model.JointQposAddress(joint);
            }
        }
        if (model.Nu != spec.Actions.Count)
        {
            throw new RigFileException(file, "actions", $"the model has {model.Nu} actuator(s), the file lists {spec.Actions.Count}: every actuator is an action, in the model's order");
        }
        for (var a = 0; a < spec.Actions.Count; a++)
        {
            if (where.Find(MjObjectType.Actuator, spec.Actions[a].Actuator, $"actions[{a}].actuator") != a)
            {
                throw new RigFileException(file, $"actions[{a}]", $"actuator '{spec.Actions[a].Actuator}' is not the model's actuator {a}: list the actions in the model's order");
            }
        }
        _cost = [.. spec.Cost.Select((t, i) => Resolve(t.Kind, t.Of, t.Target, t.Weight, t.Entries, $"cost[{i}]", file) with { Shape = t.Shape })];
        _success = [.. spec.Success.Select((t, i) => Resolve(t.Kind, t.Of, t.Target, t.Within, t.Entries, $"success.all[{i}]", file))];
        _start = [.. spec.Start.Select(s =>
        {
            var joint = where.Joint(s.Joint, $"start.{s.Joint}");
            return (model.JointQposAddress(joint), model.JointDofAddress(joint), s);
        })];
        if (spec.StartCircle is { } circle)
        {
            int Slide(string name, int k)
            {
                var joint = where.Joint(name, $"start_circle.joints[{k}]");
                return model.JointType(joint) == 2 ? model.JointQposAddress(joint)
                    : throw new RigFileException(file, $"start_circle.joints[{k}]", $"joint '{name}' is a {TypeName(model.JointType(joint))}: the circle lies in the plane of two slides");
            }
            _circle = (Slide(circle.JointX, 0), Slide(circle.JointY, 1), circle);
            foreach (var s in spec.Start.Where(s => s.Position is not null && (s.Joint == circle.JointX || s.Joint == circle.JointY)))
            {
                throw new RigFileException(file, $"start.{s.Joint}.position", "the joint's start position is on start_circle: give only its velocity here");
            }
        }
        _points = [.. spec.StartPoints.Select((p, i) => ResolvePoint(spec, p, i, model, file))];
        var placed = new Dictionary<Probe, string>();
        if (_circle is var (cx, cy, _))
        {
            placed[new Probe(ProbeKind.Qpos, cx, 0, true)] = "start_circle";
            placed[new Probe(ProbeKind.Qpos, cy, 0, true)] = "start_circle";
        }
        for (var i = 0; i < _points.Length; i++)
        {
            for (var k = 0; k < _points[i].Set.Length; k++)
            {
                if (!placed.TryAdd(_points[i].Set[k] with { Linear = true }, $"start_points[{i}]"))
                {
                    throw new RigFileException(file, $"start_points[{i}].set[{k}]", $"{spec.StartPoints[i].Set[k]} is already placed by {placed[_points[i].Set[k] with { Linear = true }]}");
                }
            }
        }
        foreach (var (q, _, range) in _start.Where(s => s.Range.Position is not null))
        {
            if (placed.TryGetValue(new Probe(ProbeKind.Qpos, q, 0, true), out var by) && by != "start_circle")
            {
                throw new RigFileException(file, $"start.{range.Joint}.position", $"the joint's start position is set by {by}: give only its velocity here");
            }
        }
        _rest = [.. spec.Rest.Select(r => (model.JointQposAddress(where.Joint(r.Key, $"rest.{r.Key}")), r.Value))];
        _trueValues = [.. spec.Parameters.Select(p => p.TrueValue)];
        _bindings = Bind(spec, model, where, file);
        Parameters = [.. spec.Parameters.Select((p, i) => new TaskParameter(p.Name, p.TrueValue, p.Prior, (m, v) => ApplyParameter(m, i, v)))];
        var layout = spec.Observation.Select(o => o.Name).ToArray();
        ObservationLayout = layout;
        ObservationUnits = [.. spec.Observation.Select(o => o.Unit)];
        ActionLayout = [.. spec.Actions.Select(a => a.Actuator)];
        ActionUnit = spec.Actions.Count == 0 ? "" : spec.Actions[0].Unit;
        var steps = spec.ControlPeriod / model.Timestep;
        if (Math.Abs(steps - spec.PhysicsSubsteps) > 1e-6 * spec.PhysicsSubsteps)
        {
            throw new RigFileException(file, "timing", string.Create(CultureInfo.InvariantCulture,
                $"the model's timestep {model.Timestep} × physics_substeps {spec.PhysicsSubsteps} is not the control_period {spec.ControlPeriod} (set <option timestep=\"{spec.ControlPeriod / spec.PhysicsSubsteps:R}\"/>)"));
        }
    }

    /// <summary>
    /// Loads the rig in <paramref name="path"/>: a folder holding <c>rig.json</c>, or the <c>rig.json</c> itself; the model
    /// file it names is beside it.
    /// </summary>
    /// <exception cref="RigFileException">A file is missing or cannot describe the rig (the message names file, field and problem), or MuJoCo refuses the model.</exception>
    public static RigTask Load(string path) => Load(path, null);

    /// <summary>As <see cref="Load(string)"/>, with other biased priors for some parameters (by name).</summary>
    /// <exception cref="ArgumentException">A prior names a parameter the rig does not have.</exception>
    public static RigTask Load(string path, IReadOnlyDictionary<string, ParameterPrior>? priors)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "rig.json") : path;
        if (!File.Exists(file))
        {
            throw new RigFileException(file, "", Directory.Exists(path) ? "does not exist: a rig folder holds rig.json and its model" : "does not exist");
        }
        var spec = RigSpec.Read(file);
        foreach (var name in priors?.Keys ?? [])
        {
            if (!spec.Parameters.Any(p => p.Name == name))
            {
                throw new ArgumentException($"rig '{spec.Name}' has no parameter '{name}'; it has: {string.Join(", ", spec.Parameters.Select(p => p.Name))}");
            }
        }
        if (priors is not null)
        {
            spec = spec with { Parameters = [.. spec.Parameters.Select(p => priors.TryGetValue(p.Name, out var prior) ? p with { Prior = prior } : p)] };
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var modelPath = Path.Combine(folder, spec.ModelFile);
        if (!File.Exists(modelPath))
        {
            throw new RigFileException(file, "model", $"'{modelPath}' does not exist");
        }
        var specBytes = File.ReadAllBytes(file);
        var modelBytes = File.ReadAllBytes(modelPath);
        MjModel model;
        try
        {
            model = MjModel.FromXmlFile(modelPath);
        }
        catch (MuJoCoException e)
        {
            throw new RigFileException(file, "model", $"MuJoCo refuses '{spec.ModelFile}': {e.Message}");
        }
        using (model)
        {
            var fingerprint = Convert.ToHexStringLower(SHA256.HashData([.. specBytes, 0, .. modelBytes]))[..16];
            return new RigTask(spec, folder, System.Text.Encoding.UTF8.GetString(modelBytes), fingerprint, model, file);
        }
    }

    /// <summary>The rig folder the task was loaded from.</summary>
    public string Folder { get; }

    /// <summary>A short hash of the rig's files (rig.json and the model): a Q learned for another version of the rig is not this one's.</summary>
    public string Fingerprint { get; }

    public string Name => _spec.Name;
    public string ModelXml { get; }
    public double ControlPeriod => _spec.ControlPeriod;
    public int EpisodeSteps => _spec.EpisodeSteps;
    public int ObservationSize => _spec.Observation.Count;
    public IReadOnlyList<string> ObservationLayout { get; }
    public IReadOnlyList<string> ObservationUnits { get; }
    public IReadOnlyList<string> ActionLayout { get; }
    public string ActionUnit { get; }
    public int ActionSize => _spec.Actions.Count;
    public ReadOnlySpan<double> ActionLow => _low;
    public ReadOnlySpan<double> ActionHigh => _high;
    public IReadOnlyList<TaskParameter> Parameters { get; }
    public int SuccessWindow => _spec.SuccessWindow;
    public MppiDefaults PlannerDefaults => _spec.Planner;
    public string LearnerDefaults => _spec.Learner;
    public double? SlewRate => _spec.Actions.Select(a => a.SlewRate).Where(s => s is not null).Min();

    /// <summary>Every term is a weighted square with a weight ≥ 0.</summary>
    public double MinimumStepCost => 0;

    public void Observe(MjData data, Span<double> observation)
    {
        for (var i = 0; i < observation.Length; i++)
        {
            var value = _observed[i].Read(data);
            observation[i] = _spec.Observation[i].Of switch
            {
                JointQuantity.Cos => Math.Cos(value),
                JointQuantity.Sin => Math.Sin(value),
                JointQuantity.Position => (_minus[i] is { } m ? value - m.Read(data) : value) + _spec.Observation[i].Offset,
                _ => _minus[i] is { } mv ? value - mv.Read(data) : value,
            };
        }
    }

    public double Cost(ReadOnlySpan<double> observation, ReadOnlySpan<double> action)
    {
        var cost = 0.0;
        foreach (var term in _cost)
        {
            if (term.Kind == TermKind.UnlessSuccess)
            {
                cost += IsSuccess(observation) ? 0 : term.Value;
                continue;
            }
            if (term.Kind == TermKind.Norm)
            {
                cost += term.Value * Norm(term, observation);
                continue;
            }
            var e = Error(term, observation, action);
            cost += term.Shape == TermShape.Abs ? term.Value * Math.Abs(e) : term.Value * e * e;
        }
        return cost;
    }

    public bool IsSuccess(ReadOnlySpan<double> observation)
    {
        foreach (var term in _success)
        {
            if (!((term.Kind == TermKind.Norm ? Norm(term, observation) : Math.Abs(Error(term, observation, default))) <= term.Value))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The model's reset state (qpos0: a free body where the model puts it; mocap bodies at their place in the model), then
    /// start_circle, start_points and the joints' ranges in that order; each position servo's command is where its joint
    /// starts, so nothing jumps at the first step; positions of sites are computed for the first observation.
    /// </summary>
    public void SampleInitialState(MjData data, ref SplitMix64 rng)
    {
        data.Reset();
        var qpos = data.Qpos;
        var qvel = data.Qvel;
        if (_circle is var (x, y, circle))
        {
            var (s, c) = Math.SinCos(rng.Uniform(circle.AngleLow, circle.AngleHigh));
            qpos[x] = circle.CenterX + circle.Radius * s;
            qpos[y] = circle.CenterY - circle.Radius * c;
        }
        if (_points.Length > 0)
        {
            DrawPoints(data, ref rng);
        }
        foreach (var (q, dof, range) in _start)
        {
            if (range.Position is var (pl, ph))
            {
                qpos[q] = rng.Uniform(pl, ph);
            }
            if (range.Velocity is var (vl, vh))
            {
                qvel[dof] = rng.Uniform(vl, vh);
            }
        }
        HoldAction(data, data.Ctrl);
        data.Kinematics();
    }

    /// <summary>The most draws a point apart from another gets before the rig is called unusable (it loops forever otherwise).</summary>
    private const int MaxDraws = 10_000;

    private void DrawPoints(MjData data, ref SplitMix64 rng)
    {
        var drawn = new double[_points.Length][];
        for (var p = 0; p < _points.Length; p++)
        {
            var (point, set, apartFrom, behind, awayFrom) = _points[p];
            var at = drawn[p] = new double[set.Length];
            if (point.Box is { } box)
            {
                var tries = 0;
                do
                {
                    if (++tries > MaxDraws)
                    {
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"rig '{Name}': start_points[{p}] ('{point.Name}') was never {point.MinDistance} from '{point.ApartFrom}' in {MaxDraws} draws: widen its box"));
                    }
                    for (var k = 0; k < at.Length; k++)
                    {
                        at[k] = rng.Uniform(box[k].Low, box[k].High);
                    }
                }
                while (apartFrom >= 0 && Distance(at, drawn[apartFrom]) < point.MinDistance);
            }
            else
            {
                // Behind: from the point, away from the other, at the given distance (on the point itself if they coincide).
                var (from, away) = (drawn[behind], drawn[awayFrom]);
                var d = Distance(away, from);
                for (var k = 0; k < at.Length; k++)
                {
                    at[k] = d > 0 ? from[k] - point.Distance * (away[k] - from[k]) / d : from[k];
                }
            }
            for (var k = 0; k < at.Length; k++)
            {
                set[k].Write(data, at[k]);
            }
        }
    }

    private static double Distance(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var k = 0; k < a.Length; k++)
        {
            sum += (a[k] - b[k]) * (a[k] - b[k]);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>A start point's coordinates as writable probes (joint positions, mocap positions) and its references as indices.</summary>
    private static (StartPoint, Probe[], int, int, int) ResolvePoint(RigSpec spec, StartPoint point, int i, MjModel model, string file)
    {
        var set = point.Set.Select((r, k) =>
        {
            var probe = Probe.Resolve(model, r, JointQuantity.Position, file, $"start_points[{i}].set[{k}]");
            return probe.Kind is ProbeKind.Qpos or ProbeKind.Mocap ? probe
                : throw new RigFileException(file, $"start_points[{i}].set[{k}]", $"{r} cannot be placed: a start point sets joint positions or mocap bodies (a site moves with its body's joints)");
        }).ToArray();
        int Index(string? name) => name is null ? -1 : spec.StartPoints.Select(p => p.Name).ToList().IndexOf(name);
        return (point, set, Index(point.ApartFrom), Index(point.Behind), Index(point.AwayFrom));
    }

    /// <summary>Zero for a torque or velocity actuator, its joint's position for a servo declared <c>"hold": "position"</c>.</summary>
    public void HoldAction(MjData data, Span<double> action)
    {
        var qpos = data.Qpos;
        for (var a = 0; a < action.Length; a++)
        {
            action[a] = _holdQpos[a] < 0 ? 0 : qpos[_holdQpos[a]];
        }
    }

    public void RestState(MjData data)
    {
        var qpos = data.Qpos;
        foreach (var (q, value) in _rest)
        {
            qpos[q] = value;
        }
    }

    /// <summary>The Euclidean length of a norm term's entries.</summary>
    private static double Norm(in Term term, ReadOnlySpan<double> observation)
    {
        var sum = 0.0;
        foreach (var i in term.Norm!)
        {
            sum += observation[i] * observation[i];
        }
        return Math.Sqrt(sum);
    }

    /// <summary>A term's quantity minus its target; an angle wrapped to (−π, π].</summary>
    private static double Error(in Term term, ReadOnlySpan<double> observation, ReadOnlySpan<double> action)
    {
        switch (term.Kind)
        {
            case TermKind.Angle:
                var angle = term.SinIndex >= 0 ? Math.Atan2(observation[term.SinIndex], observation[term.Index]) : observation[term.Index];
                var d = angle - term.Target;
                return term.Target == 0 && term.SinIndex >= 0 ? angle : Math.Atan2(Math.Sin(d), Math.Cos(d));
            case TermKind.Action:
                return action[term.Index] - term.Target;
            default:
                return observation[term.Index] - term.Target;
        }
    }

    private Term Resolve(TermKind kind, string of, double target, double value, IReadOnlyList<string>? entries, string field, string file)
    {
        int Entry(JointQuantity q) => _spec.Observation.Select((o, i) => (o, i))
            .Where(x => x.o.Source == new Reference(ElementKind.Joint, of) && x.o.Of == q && x.o.Minus is null && x.o.Offset == 0).Select(x => x.i).DefaultIfEmpty(-1).First();
        int Named(string name, string at) => _spec.Observation.Select((x, i) => (x, i)).Where(x => x.x.Name == name).Select(x => x.i).DefaultIfEmpty(-1).First() is var i and >= 0 ? i
            : throw new RigFileException(file, at, $"'{name}' is not one of the observation's entries ({string.Join(", ", _spec.Observation.Select(x => x.Name))})");
        switch (kind)
        {
            case TermKind.UnlessSuccess:
                return new Term(kind, -1, -1, 0, value);
            case TermKind.Norm:
                return new Term(kind, -1, -1, 0, value, Norm: [.. entries!.Select((n, k) => Named(n, $"{field}.norm[{k}]"))]);
            case TermKind.Observation:
                return new Term(kind, Named(of, $"{field}.observation"), -1, target, value);
            case TermKind.Action:
                var a = _spec.Actions.Select((x, i) => (x, i)).Where(x => x.x.Actuator == of).Select(x => x.i).DefaultIfEmpty(-1).First();
                return a >= 0 ? new Term(kind, a, -1, target, value) : throw new RigFileException(file, $"{field}.action", $"'{of}' is not one of the actions ({string.Join(", ", ActionNames())})");
            case TermKind.Angle:
                var (cos, sin, position) = (Entry(JointQuantity.Cos), Entry(JointQuantity.Sin), Entry(JointQuantity.Position));
                if (cos >= 0 && sin >= 0)
                {
                    return new Term(kind, cos, sin, target, value);
                }
                return position >= 0 ? new Term(kind, position, -1, target, value)
                    : throw new RigFileException(file, $"{field}.angle", $"joint '{of}' is not observed as cos and sin, nor as a position: a term is computed from the observation");
            case TermKind.Velocity:
                var v = Entry(JointQuantity.Velocity);
                return v >= 0 ? new Term(kind, v, -1, target, value) : throw new RigFileException(file, $"{field}.velocity", $"joint '{of}''s velocity is not observed: a term is computed from the observation");
            default:
                var p = Entry(JointQuantity.Position);
                return p >= 0 ? new Term(kind, p, -1, target, value) : throw new RigFileException(file, $"{field}.position", $"joint '{of}''s position is not observed: a term is computed from the observation");
        }
    }

    private IEnumerable<string> ActionNames() => _spec.Actions.Select(a => a.Actuator);

    /// <summary>Resolves every scaled field component, with its value in the file as the base.</summary>
    private static Binding[] Bind(RigSpec spec, MjModel model, Locator where, string file)
    {
        var bindings = new Dictionary<(string, int, string, int), (double Base, List<(int, double)> Factors)>();
        for (var p = 0; p < spec.Parameters.Count; p++)
        {
            for (var s = 0; s < spec.Parameters[p].Scales.Count; s++)
            {
                var scale = spec.Parameters[p].Scales[s];
                var field = $"parameters[{p}].scales[{s}]";
                var type = scale.Element switch
                {
                    "body" => MjObjectType.Body,
                    "geom" => MjObjectType.Geom,
                    "joint" => MjObjectType.Joint,
                    "tendon" => MjObjectType.Tendon,
                    _ => MjObjectType.Actuator,
                };
                var id = where.Find(type, scale.Name, $"{field}.{scale.Element}");
                var width = scale.Field is "inertia" or "ipos" or "pos" or "size" or "friction" ? 3 : 1;
                var components = scale.Indices.Length == 0 ? Enumerable.Range(0, width).ToArray() : scale.Indices;
                foreach (var c in components)
                {
                    if (c >= width)
                    {
                        throw new RigFileException(file, $"{field}.index", $"'{scale.Field}' has {width} component(s); {c} is out of range");
                    }
                    var key = (scale.Element, id, scale.Field, c);
                    if (!bindings.TryGetValue(key, out var b))
                    {
                        b = (Read(model, scale.Element, id, scale.Field, c), []);
                        bindings[key] = b;
                    }
                    b.Factors.Add((p, scale.Power));
                }
            }
        }
        return [.. bindings.Select(kv => new Binding(kv.Key.Item1, kv.Key.Item2, kv.Key.Item3, kv.Key.Item4, kv.Value.Base, [.. kv.Value.Factors]))];
    }

    /// <summary>Writes parameter <paramref name="index"/> = <paramref name="value"/> into <paramref name="model"/>: every field it scales
    /// becomes its file value times each of its parameters' (value / true)^power, the others' as last applied to this model.</summary>
    private void ApplyParameter(MjModel model, int index, double value)
    {
        var values = _applied.GetValue(model, _ => (double[])_trueValues.Clone());
        values[index] = value;
        foreach (var b in _bindings)
        {
            if (!b.Factors.Any(f => f.Parameter == index))
            {
                continue;
            }
            var scaled = b.Base;
            foreach (var (p, power) in b.Factors)
            {
                scaled *= Math.Pow(values[p] / _trueValues[p], power);
            }
            Write(model, b.Element, b.Id, b.Field, b.Component, scaled);
        }
    }

    private static double Read(MjModel model, string element, int id, string field, int c) => (element, field) switch
    {
        ("body", "mass") => model.GetBodyMass(id),
        ("body", "inertia") => model.GetBodyInertia(id)[c],
        ("body", "ipos") => model.BodyIpos(id)[c],
        ("geom", "pos") => model.GeomPos(id)[c],
        ("geom", "size") => model.GetGeomSize(id)[c],
        ("geom", "friction") => model.GetGeomFriction(id)[c],
        ("tendon", "stiffness") => model.GetTendonStiffness(id),
        ("joint", "damping") => model.GetDofDamping(model.JointDofAddress(id)),
        ("joint", "frictionloss") => model.GetDofFrictionLoss(model.JointDofAddress(id)),
        _ => model.ActuatorGear(id),
    };

    private static void Write(MjModel model, string element, int id, string field, int c, double value)
    {
        switch ((element, field))
        {
            case ("body", "mass"):
                model.SetBodyMass(id, value);
                break;
            case ("body", "inertia"):
                var i = model.GetBodyInertia(id).ToArray();
                i[c] = value;
                model.SetBodyInertia(id, i[0], i[1], i[2]);
                break;
            case ("body", "ipos"):
                model.BodyIpos(id)[c] = value;
                break;
            case ("geom", "pos"):
                model.GeomPos(id)[c] = value;
                break;
            case ("geom", "size"):
                var s = model.GetGeomSize(id).ToArray();
                s[c] = value;
                model.SetGeomSize(id, s[0], s[1], s[2]);
                break;
            case ("geom", "friction"):
                var f = model.GetGeomFriction(id).ToArray();
                f[c] = value;
                model.SetGeomFriction(id, f[0], f[1], f[2]);
                break;
            case ("tendon", "stiffness"):
                model.SetTendonStiffness(id, value);
                break;
            case ("joint", "damping"):
                model.SetDofDamping(model.JointDofAddress(id), value);
                break;
            case ("joint", "frictionloss"):
                model.SetDofFrictionLoss(model.JointDofAddress(id), value);
                break;
            default:
                model.SetActuatorGear(id, value);
                break;
        }
    }

    private static string TypeName(int type) => Probe.TypeName(type);

    /// <summary>Finds the model's elements by name, or says which field named one the model lacks.</summary>
    private sealed class Locator(MjModel model, string file)
    {
        public int Find(MjObjectType type, string name, string field)
        {
            var id = model.FindId(type, name);
            return id >= 0 ? id : throw new RigFileException(file, field, $"the model has no {type.ToString().ToLowerInvariant()} named '{name}'");
        }

        public int Joint(string name, string field) => Find(MjObjectType.Joint, name, field);
    }
}
