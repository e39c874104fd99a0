using System.Globalization;
using System.Text.Json;

namespace Mpq.Tasks.Rigs;

/// <summary>What an observation entry reads of a joint.</summary>
public enum JointQuantity
{
    /// <summary>The joint's position (rad for a hinge, m for a slide).</summary>
    Position,

    /// <summary>cos of a hinge's angle (an angle without its wrap-around seam).</summary>
    Cos,

    /// <summary>sin of a hinge's angle.</summary>
    Sin,

    /// <summary>The joint's velocity (rad/s or m/s).</summary>
    Velocity,

    /// <summary>A site's z axis in world coordinates (component <see cref="Reference.Index"/>): where a tool points.</summary>
    ZAxis,
}

/// <summary>The kind of model element an observation entry reads.</summary>
public enum ElementKind
{
    /// <summary>A joint's position or velocity (a hinge, a slide, or a component of a free joint).</summary>
    Joint,

    /// <summary>A site's world position (or its z axis), as of the last step's kinematics.</summary>
    Site,

    /// <summary>A mocap body's position (a goal marker that the start state places).</summary>
    Mocap,
}

/// <summary>One number of the model's state: component <paramref name="Index"/> of element <paramref name="Name"/>
/// (0 for a hinge or a slide; x, y, z = 0, 1, 2 for a free joint's, a site's or a mocap body's position, 0–5 for a free
/// joint's velocity, linear then angular).</summary>
public sealed record Reference(ElementKind Element, string Name, int Index = 0)
{
    public override string ToString() => Index == 0 && Element == ElementKind.Joint ? $"joint '{Name}'" : $"{Element.ToString().ToLowerInvariant()} '{Name}'[{Index}]";
}

/// <summary>One entry of the observation: a named quantity of a joint, a site or a mocap body.</summary>
/// <param name="Name">The entry's name (Q files, logs, cost and success terms by <c>observation</c>).</param>
/// <param name="Source">The element (and component) it reads.</param>
/// <param name="Of">What it reads of it.</param>
/// <param name="Unit">Its unit, for people.</param>
/// <param name="Minus">Another element whose same quantity is subtracted: a ball relative to the cup that moves it, a
/// finger tip relative to a handle, a goal relative to a block; null: none.</param>
/// <param name="Offset">Added to a position (the two elements' zero points apart).</param>
public sealed record ObservationEntry(string Name, Reference Source, JointQuantity Of, string Unit, Reference? Minus = null, double Offset = 0);

/// <summary>What a plan's neutral action is for an actuator (<see cref="ITask.HoldAction"/>).</summary>
public enum HoldKind
{
    /// <summary>0: a torque or velocity actuator holds by doing nothing.</summary>
    Zero,

    /// <summary>The position of the joint the actuator drives: a position servo holds where it is.</summary>
    Position,
}

/// <summary>One actuator the planner commands (its limits are the MJCF's ctrlrange).</summary>
/// <param name="Actuator">The model's actuator name.</param>
/// <param name="Unit">Its command's unit (N·m, N, m for a position servo), for people.</param>
/// <param name="SlewRate">The hardware's largest change of torque per second (N·m/s), the firmware's default slew_rate for
/// this rig; null: the firmware's own default (a reversal of the torque limit in 0.1 s, for a small gearmotor).</param>
/// <param name="Hold">The action that holds the state still (a plan's neutral start).</param>
public sealed record ActionEntry(string Actuator, string Unit, double? SlewRate = null, HoldKind Hold = HoldKind.Zero);

/// <summary>What a cost term or success test measures.</summary>
public enum TermKind
{
    /// <summary>A hinge's angle from a target, wrapped to (−π, π].</summary>
    Angle,

    /// <summary>A joint's position from a target.</summary>
    Position,

    /// <summary>A joint's velocity from a target.</summary>
    Velocity,

    /// <summary>An actuator's action (cost terms only).</summary>
    Action,

    /// <summary>An observation entry by name (a relative position, say) from a target.</summary>
    Observation,

    /// <summary>A sparse cost: the weight on every step the success test fails (cost terms only).</summary>
    UnlessSuccess,

    /// <summary>The Euclidean length of several observation entries (a distance from their relative positions).</summary>
    Norm,
}

/// <summary>How a cost term weighs its error e = quantity − target.</summary>
public enum TermShape
{
    /// <summary>w·e² (smooth near the target).</summary>
    Square,

    /// <summary>w·|e| (as strong far from the target as near it).</summary>
    Abs,
}

/// <summary>
/// A cost term: <c>Weight × (quantity − Target)²</c> (or <c>× |quantity − Target|</c>), for <see cref="TermKind.Norm"/>
/// <c>Weight × ‖entries‖</c>, for <see cref="TermKind.UnlessSuccess"/> the weight itself on a step that is not a success.
/// </summary>
/// <param name="Kind">What it measures.</param>
/// <param name="Of">The joint, observation entry, actuator (or "success", or a norm's entries joined) it measures.</param>
/// <param name="Target">The quantity's target.</param>
/// <param name="Weight">w.</param>
/// <param name="Shape">Square or absolute error.</param>
/// <param name="Entries">The observation entries of a norm (null otherwise).</param>
public sealed record CostTerm(TermKind Kind, string Of, double Target, double Weight, TermShape Shape = TermShape.Square, IReadOnlyList<string>? Entries = null);

/// <summary>A success test: <c>|quantity − Target| ≤ Within</c>, for a norm <c>‖entries‖ ≤ Within</c>.</summary>
public sealed record SuccessTerm(TermKind Kind, string Of, double Target, double Within, IReadOnlyList<string>? Entries = null);

/// <summary>Where an episode starts for one joint: position and velocity each uniform in [low, high]; null: not drawn
/// (0, or where <see cref="StartCircle"/> puts it).</summary>
public sealed record StartRange(string Joint, (double Low, double High)? Position, (double Low, double High)? Velocity);

/// <summary>
/// A start on an arc of a circle in the plane of two slides (a ball hanging from a string):
/// <c>(X, Y) = Center + Radius × (sin a, −cos a)</c>, a uniform in [AngleLow, AngleHigh] rad from straight down, in the
/// joints' own coordinates. Drawn before the joints' ranges.
/// </summary>
public sealed record StartCircle(string JointX, string JointY, double CenterX, double CenterY, double Radius, double AngleLow, double AngleHigh);

/// <summary>
/// A point drawn for the start (a block's place on a table, a goal's, a pusher's behind the block), written to the
/// model's joints or mocap bodies by <see cref="Set"/> (one element component per coordinate). Either uniform in
/// <see cref="Box"/> (redrawn until at least <see cref="MinDistance"/> from point <see cref="ApartFrom"/>), or at
/// <see cref="Distance"/> behind point <see cref="Behind"/>, on the side away from point <see cref="AwayFrom"/>.
/// Points are drawn in the file's order, after start_circle and before the joints' ranges.
/// </summary>
public sealed record StartPoint(string Name, IReadOnlyList<Reference> Set, IReadOnlyList<(double Low, double High)>? Box,
    string? ApartFrom, double MinDistance, string? Behind, string? AwayFrom, double Distance);

/// <summary>One model field a physical parameter scales: <c>field = base × (value / true)^Power</c> for each listed index.</summary>
/// <param name="Element">body, geom, joint, actuator or tendon.</param>
/// <param name="Name">The element's name in the model.</param>
/// <param name="Field">mass, inertia, ipos (body); pos, size, friction (geom); damping, frictionloss (joint); gear (actuator); stiffness (tendon).</param>
/// <param name="Indices">Which components (empty: all of the field's).</param>
/// <param name="Power">How the field goes with the parameter (a rod's inertia: mass¹, length²).</param>
public sealed record FieldScale(string Element, string Name, string Field, int[] Indices, double Power);

/// <summary>A physical parameter: its true value, the controller's biased prior, and the model fields it scales.</summary>
public sealed record ParameterSpec(string Name, double TrueValue, ParameterPrior Prior, IReadOnlyList<FieldScale> Scales);

/// <summary>
/// A rig file (<c>rig.json</c>) as read: everything a task is, by the model's own names. The MJCF beside it is checked
/// against these names when the rig is loaded (<see cref="RigTask.Load(string)"/>).
/// </summary>
/// <remarks>
/// Reading refuses, naming the file, the field and the problem: a missing or mistyped field, a number that is not finite or
/// out of range (a NaN weight, a period ≤ 0, a prior with σ ≤ 0 or σ ≥ bias), an unknown kind, a name given twice.
/// Rigs/README.md documents every field with the pendulum and the Furuta pendulum as worked examples.
/// </remarks>
public sealed record RigSpec
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public required string ModelFile { get; init; }
    public required double ControlPeriod { get; init; }
    public required int PhysicsSubsteps { get; init; }
    public required int EpisodeSteps { get; init; }
    public required IReadOnlyList<ObservationEntry> Observation { get; init; }
    public required IReadOnlyList<ActionEntry> Actions { get; init; }
    public required IReadOnlyList<CostTerm> Cost { get; init; }
    public required IReadOnlyList<SuccessTerm> Success { get; init; }
    public required int SuccessWindow { get; init; }
    public required IReadOnlyList<StartRange> Start { get; init; }
    public StartCircle? StartCircle { get; init; }
    public IReadOnlyList<StartPoint> StartPoints { get; init; } = [];
    public required IReadOnlyDictionary<string, double> Rest { get; init; }
    public required IReadOnlyList<ParameterSpec> Parameters { get; init; }
    public required MppiDefaults Planner { get; init; }
    public required string Learner { get; init; }

    /// <summary>Reads and checks <paramref name="path"/> (a <c>rig.json</c>).</summary>
    /// <exception cref="RigFileException">The file cannot describe a rig; the message says where and why.</exception>
    public static RigSpec Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RigFileException(path, "", $"cannot be read ({e.Message})");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new RigFileException(path, "", $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        using (document)
        {
            return new Reader(path).Spec(document.RootElement);
        }
    }

    /// <summary>Field-by-field reading with the JSON path of each field for the error message.</summary>
    private sealed class Reader(string file)
    {
        private RigFileException Error(string field, string problem) => new(file, field, problem);

        public RigSpec Spec(JsonElement root)
        {
            Expect(root, JsonValueKind.Object, "", "the file");
            Known(root, "", "$schema", "name", "description", "model", "timing", "observation", "actions", "cost", "success", "start", "start_circle", "start_points", "rest", "parameters", "planner", "learner");
            var timing = Member(root, "timing", "", JsonValueKind.Object);
            Known(timing, "timing", "control_period", "physics_substeps", "episode_steps");
            var success = Member(root, "success", "", JsonValueKind.Object);
            Known(success, "success", "all", "window_steps");
            var spec = new RigSpec
            {
                Name = Name(root, "name", ""),
                Description = OptionalString(root, "description", "") ?? "",
                ModelFile = Name(root, "model", ""),
                ControlPeriod = Number(timing, "control_period", "timing", min: 1e-5, max: 10, exclusiveMin: false),
                PhysicsSubsteps = Integer(timing, "physics_substeps", "timing", 1, 10_000),
                EpisodeSteps = Integer(timing, "episode_steps", "timing", 1, 1_000_000),
                Observation = List(root, "observation", Observation),
                Actions = List(root, "actions", Action),
                Cost = List(root, "cost", Cost),
                Success = List(success, "all", Success, "success"),
                SuccessWindow = Integer(success, "window_steps", "success", 0, 1_000_000),
                Start = Starts(Member(root, "start", "", JsonValueKind.Object)),
                StartCircle = root.TryGetProperty("start_circle", out _) ? Circle(Member(root, "start_circle", "", JsonValueKind.Object)) : null,
                StartPoints = root.TryGetProperty("start_points", out _) ? List(root, "start_points", Point) : [],
                Rest = Rest(root),
                Parameters = List(root, "parameters", Parameter),
                Planner = Planner(Member(root, "planner", "", JsonValueKind.Object)),
                Learner = OptionalString(root, "learner", "") ?? "",
            };
            Unique(spec.Observation.Select(o => o.Name), "observation", "name");
            Unique(spec.Actions.Select(a => a.Actuator), "actions", "actuator");
            Unique(spec.Parameters.Select(p => p.Name), "parameters", "name");
            Unique(spec.StartPoints.Select(p => p.Name), "start_points", "name");
            for (var i = 0; i < spec.StartPoints.Count; i++)
            {
                var point = spec.StartPoints[i];
                foreach (var (key, other) in (ReadOnlySpan<(string, string?)>)[("apart_from", point.ApartFrom), ("behind", point.Behind), ("away_from", point.AwayFrom)])
                {
                    var j = other is null ? -2 : spec.StartPoints.Take(i).Select(p => p.Name).ToList().IndexOf(other);
                    if (j == -1)
                    {
                        throw Error($"start_points[{i}].{key}", $"'{other}' is not a point drawn before this one");
                    }
                    if (j >= 0 && spec.StartPoints[j].Set.Count != point.Set.Count)
                    {
                        throw Error($"start_points[{i}].{key}", $"'{other}' has {spec.StartPoints[j].Set.Count} coordinate(s), this point {point.Set.Count}");
                    }
                }
            }
            if (spec.SuccessWindow > spec.EpisodeSteps)
            {
                throw Error("success.window_steps", $"{spec.SuccessWindow} is longer than an episode ({spec.EpisodeSteps} steps)");
            }
            return spec;
        }

        private ObservationEntry Observation(JsonElement e, string at)
        {
            Known(e, at, "name", "joint", "site", "mocap", "index", "of", "unit", "minus", "offset");
            var of = OptionalString(e, "of", at) ?? "";
            var quantity = of switch
            {
                "position" => JointQuantity.Position,
                "cos" => JointQuantity.Cos,
                "sin" => JointQuantity.Sin,
                "velocity" => JointQuantity.Velocity,
                "z_axis" => JointQuantity.ZAxis,
                _ => throw Error($"{at}.of", $"'{of}' is not position, cos, sin, velocity or z_axis"),
            };
            Reference? minus = null;
            if (e.TryGetProperty("minus", out var m) && m.ValueKind != JsonValueKind.Null)
            {
                if (quantity is not (JointQuantity.Position or JointQuantity.Velocity))
                {
                    throw Error($"{at}.minus", "only a position or a velocity is taken relative to another element");
                }
                minus = m.ValueKind == JsonValueKind.String ? new Reference(ElementKind.Joint, Name(e, "minus", at))
                    : m.ValueKind == JsonValueKind.Object ? Element(m, $"{at}.minus", alone: true)
                    : throw Error($"{at}.minus", "must be a joint's name or {\"joint\"|\"site\"|\"mocap\": NAME, \"index\": K}");
            }
            var offset = OptionalNumber(e, "offset", at);
            if (offset is not null && quantity != JointQuantity.Position)
            {
                throw Error($"{at}.offset", "only a position has an offset");
            }
            return new ObservationEntry(Name(e, "name", at), Element(e, at, alone: false), quantity, OptionalString(e, "unit", at) ?? "", minus, offset ?? 0);
        }

        /// <summary>Exactly one of joint, site or mocap names the element; index (0–5, default 0) its component.</summary>
        /// <param name="e">The object naming the element.</param>
        /// <param name="at">Its JSON path, for errors.</param>
        /// <param name="alone">The object is only the reference (a minus, a start point's target): nothing else is known in it.</param>
        private Reference Element(JsonElement e, string at, bool alone)
        {
            if (alone)
            {
                Known(e, at, "joint", "site", "mocap", "index");
            }
            var kinds = ((string[])["joint", "site", "mocap"]).Where(k => e.TryGetProperty(k, out _)).ToArray();
            if (kinds.Length != 1)
            {
                throw Error(at, "needs exactly one of joint, site or mocap (the element it reads)");
            }
            var index = 0;
            if (e.TryGetProperty("index", out var i))
            {
                index = i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var k) && k is >= 0 and <= 5 ? k : throw Error($"{at}.index", "must be a whole number 0–5 (x, y, z of a position; a free joint's velocity: linear 0–2, angular 3–5)");
            }
            var kind = kinds[0] switch
            {
                "joint" => ElementKind.Joint,
                "site" => ElementKind.Site,
                _ => ElementKind.Mocap,
            };
            return new Reference(kind, Name(e, kinds[0], at), index);
        }

        private ActionEntry Action(JsonElement e, string at)
        {
            Known(e, at, "actuator", "unit", "slew_rate", "hold");
            double? slew = e.TryGetProperty("slew_rate", out _) ? Number(e, "slew_rate", at, min: 0.1, max: 1e6, exclusiveMin: false) : null;
            var hold = (OptionalString(e, "hold", at) ?? "zero") switch
            {
                "zero" => HoldKind.Zero,
                "position" => HoldKind.Position,
                var h => throw Error($"{at}.hold", $"'{h}' is not zero (a torque or velocity actuator) or position (a position servo holds where its joint is)"),
            };
            return new ActionEntry(Name(e, "actuator", at), OptionalString(e, "unit", at) ?? "", slew, hold);
        }

        private CostTerm Cost(JsonElement e, string at)
        {
            Known(e, at, "angle", "position", "velocity", "action", "observation", "unless", "norm", "target", "weight", "shape");
            var weight = Number(e, "weight", at, min: 0, max: 1e9, exclusiveMin: false);
            if (e.TryGetProperty("norm", out _))
            {
                var (of, entries) = Norm(e, at, exclusive: ["angle", "position", "velocity", "action", "observation", "unless", "target", "shape"]);
                return new CostTerm(TermKind.Norm, of, 0, weight, TermShape.Square, entries);
            }
            var (kind, name) = Kind(e, at, allowAction: true);
            if (kind == TermKind.UnlessSuccess && (name != "success" || e.TryGetProperty("target", out _) || e.TryGetProperty("shape", out _)))
            {
                throw Error($"{at}.unless", "a sparse term reads \"unless\": \"success\" (the weight on each step the success test fails) and has no target or shape");
            }
            var shape = (OptionalString(e, "shape", at) ?? "square") switch
            {
                "square" => TermShape.Square,
                "abs" => TermShape.Abs,
                var x => throw Error($"{at}.shape", $"'{x}' is not square (w·e²) or abs (w·|e|)"),
            };
            return new CostTerm(kind, name, OptionalNumber(e, "target", at) ?? 0, weight, shape);
        }

        private SuccessTerm Success(JsonElement e, string at)
        {
            Known(e, at, "angle", "position", "velocity", "observation", "norm", "target", "within");
            var within = Number(e, "within", at, min: 0, max: 1e9, exclusiveMin: true);
            if (e.TryGetProperty("norm", out _))
            {
                var (of, entries) = Norm(e, at, exclusive: ["angle", "position", "velocity", "observation", "target"]);
                return new SuccessTerm(TermKind.Norm, of, 0, within, entries);
            }
            var (kind, name) = Kind(e, at, allowAction: false);
            return new SuccessTerm(kind, name, OptionalNumber(e, "target", at) ?? 0, within);
        }

        /// <summary>A norm's entries: a non-empty list of observation entries' names; it has no target (its entries are already relative).</summary>
        private (string Of, string[] Entries) Norm(JsonElement e, string at, string[] exclusive)
        {
            if (exclusive.FirstOrDefault(k => e.TryGetProperty(k, out _)) is { } other)
            {
                throw Error($"{at}.{other}", "a norm term names only its entries (observation entries already relative to their target)");
            }
            var list = e.GetProperty("norm");
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                throw Error($"{at}.norm", "must be a non-empty list of observation entries' names");
            }
            var entries = list.EnumerateArray().Select((x, i) => x.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(x.GetString()) ? x.GetString()! : throw Error($"{at}.norm[{i}]", "must be an observation entry's name")).ToArray();
            return (string.Join(", ", entries), entries);
        }

        /// <summary>Exactly one of angle, position, velocity, observation (or, in a cost, action or unless) names what the term measures.</summary>
        private (TermKind, string) Kind(JsonElement e, string at, bool allowAction)
        {
            var kinds = (allowAction ? (string[])["angle", "position", "velocity", "observation", "action", "unless"] : ["angle", "position", "velocity", "observation"]).Where(k => e.TryGetProperty(k, out _)).ToArray();
            if (kinds.Length != 1)
            {
                throw Error(at, $"needs exactly one of {(allowAction ? "angle, position, velocity, observation, norm, action or unless" : "angle, position, velocity, observation or norm")} (the joint, observation entry{(allowAction ? ", actuator or sparse test" : "")} it measures)");
            }
            var kind = kinds[0] switch
            {
                "angle" => TermKind.Angle,
                "position" => TermKind.Position,
                "velocity" => TermKind.Velocity,
                "observation" => TermKind.Observation,
                "unless" => TermKind.UnlessSuccess,
                _ => TermKind.Action,
            };
            return (kind, Name(e, kinds[0], at));
        }

        private StartPoint Point(JsonElement e, string at)
        {
            Known(e, at, "name", "set", "box", "apart_from", "min_distance", "behind", "away_from", "distance");
            var set = List(e, "set", (x, here) => Element(x, here, alone: true), at);
            if (set.Count == 0)
            {
                throw Error($"{at}.set", "must list at least one coordinate's element");
            }
            var behind = OptionalString(e, "behind", at);
            var hasBox = e.TryGetProperty("box", out var box);
            if (hasBox == (behind is not null))
            {
                throw Error(at, "needs exactly one of box (drawn uniformly) or behind (placed behind another point)");
            }
            if (behind is not null)
            {
                if (e.TryGetProperty("apart_from", out _) || e.TryGetProperty("min_distance", out _))
                {
                    throw Error($"{at}.apart_from", "only a point drawn in a box is redrawn apart from another");
                }
                return new StartPoint(Name(e, "name", at), set, null, null, 0, behind, Name(e, "away_from", at), Number(e, "distance", at, min: 0, max: 1e6, exclusiveMin: false));
            }
            if (box.ValueKind != JsonValueKind.Array || box.GetArrayLength() != set.Count)
            {
                throw Error($"{at}.box", $"must be [[low, high], ...], one range per coordinate in set ({set.Count})");
            }
            var ranges = new List<(double, double)>();
            for (var k = 0; k < set.Count; k++)
            {
                var r = box[k];
                if (r.ValueKind != JsonValueKind.Array || r.GetArrayLength() != 2)
                {
                    throw Error($"{at}.box[{k}]", "must be [low, high]");
                }
                var (low, high) = (Finite(r[0], $"{at}.box[{k}][0]"), Finite(r[1], $"{at}.box[{k}][1]"));
                ranges.Add(low <= high ? (low, high) : throw Error($"{at}.box[{k}]", string.Create(CultureInfo.InvariantCulture, $"low {low} is above high {high}")));
            }
            if (e.TryGetProperty("away_from", out _) || e.TryGetProperty("distance", out _))
            {
                throw Error($"{at}.away_from", "only a point placed behind another has away_from and distance");
            }
            var apart = OptionalString(e, "apart_from", at);
            if ((apart is null) != !e.TryGetProperty("min_distance", out _))
            {
                throw Error($"{at}.min_distance", "apart_from and min_distance come together");
            }
            var minDistance = apart is null ? 0 : Number(e, "min_distance", at, min: 0, max: 1e6, exclusiveMin: true);
            if (apart is not null && minDistance >= Math.Sqrt(ranges.Sum(r => (r.Item2 - r.Item1) * (r.Item2 - r.Item1))))
            {
                throw Error($"{at}.min_distance", string.Create(CultureInfo.InvariantCulture, $"{minDistance} is not less than the box's diagonal: no draw could be that far"));
            }
            return new StartPoint(Name(e, "name", at), set, ranges, apart, minDistance, null, null, 0);
        }

        private IReadOnlyList<StartRange> Starts(JsonElement start)
        {
            var list = new List<StartRange>();
            foreach (var joint in start.EnumerateObject())
            {
                var at = $"start.{joint.Name}";
                Expect(joint.Value, JsonValueKind.Object, at, "a joint's start");
                Known(joint.Value, at, "position", "velocity");
                list.Add(new StartRange(joint.Name, Range(joint.Value, "position", at), Range(joint.Value, "velocity", at)));
            }
            return list;
        }

        private StartCircle Circle(JsonElement e)
        {
            const string at = "start_circle";
            Known(e, at, "joints", "center", "radius", "angle");
            var joints = Member(e, "joints", at, JsonValueKind.Array);
            if (joints.GetArrayLength() != 2 || joints.EnumerateArray().Any(j => j.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(j.GetString())))
            {
                throw Error($"{at}.joints", "must be [\"SLIDE_X\", \"SLIDE_Y\"]: the two slides the circle lies in");
            }
            var center = Member(e, "center", at, JsonValueKind.Array);
            if (center.GetArrayLength() != 2)
            {
                throw Error($"{at}.center", "must be [x, y] in the joints' coordinates");
            }
            var angle = Range(e, "angle", at) ?? throw Error($"{at}.angle", "is missing");
            return new StartCircle(joints[0].GetString()!, joints[1].GetString()!, Finite(center[0], $"{at}.center[0]"), Finite(center[1], $"{at}.center[1]"),
                Number(e, "radius", at, min: 0, max: 1e6, exclusiveMin: true), angle.Low, angle.High);
        }

        private (double Low, double High)? Range(JsonElement e, string name, string at)
        {
            if (!e.TryGetProperty(name, out var value))
            {
                return null;
            }
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
            {
                throw Error($"{at}.{name}", "must be [low, high]");
            }
            var low = Finite(value[0], $"{at}.{name}[0]");
            var high = Finite(value[1], $"{at}.{name}[1]");
            if (low > high)
            {
                throw Error($"{at}.{name}", string.Create(CultureInfo.InvariantCulture, $"low {low} is above high {high}"));
            }
            return (low, high);
        }

        private Dictionary<string, double> Rest(JsonElement root)
        {
            var rest = new Dictionary<string, double>(StringComparer.Ordinal);
            if (root.TryGetProperty("rest", out var e))
            {
                Expect(e, JsonValueKind.Object, "rest", "the rest state");
                foreach (var joint in e.EnumerateObject())
                {
                    rest[joint.Name] = Finite(joint.Value, $"rest.{joint.Name}");
                }
            }
            return rest;
        }

        private ParameterSpec Parameter(JsonElement e, string at)
        {
            Known(e, at, "name", "true", "prior", "scales", "unit", "description");
            var prior = Member(e, "prior", at, JsonValueKind.Object);
            Known(prior, $"{at}.prior", "bias", "sigma");
            var bias = Number(prior, "bias", $"{at}.prior", min: 0, max: 1e6, exclusiveMin: true);
            var sigma = Number(prior, "sigma", $"{at}.prior", min: 0, max: 1e6, exclusiveMin: true);
            if (sigma >= bias)
            {
                throw Error($"{at}.prior", string.Create(CultureInfo.InvariantCulture, $"sigma {sigma} must be below bias {bias} (the prior's range bias ± sigma times the true value must stay above 0)"));
            }
            var scales = List(e, "scales", Scale, at);
            if (scales.Count == 0)
            {
                throw Error($"{at}.scales", "a parameter must scale at least one model field");
            }
            return new ParameterSpec(Name(e, "name", at), Number(e, "true", at, min: 0, max: 1e12, exclusiveMin: true), ParameterPrior.FromPaper(bias, sigma), scales);
        }

        private FieldScale Scale(JsonElement e, string at)
        {
            Known(e, at, "body", "geom", "joint", "actuator", "tendon", "field", "index", "power");
            var elements = ((string[])["body", "geom", "joint", "actuator", "tendon"]).Where(k => e.TryGetProperty(k, out _)).ToArray();
            if (elements.Length != 1)
            {
                throw Error(at, "needs exactly one of body, geom, joint, actuator or tendon (the element whose field it scales)");
            }
            var field = Name(e, "field", at);
            var allowed = elements[0] switch
            {
                "body" => (string[])["mass", "inertia", "ipos"],
                "geom" => ["pos", "size", "friction"],
                "joint" => ["damping", "frictionloss"],
                "tendon" => ["stiffness"],
                _ => ["gear"],
            };
            if (!allowed.Contains(field))
            {
                throw Error($"{at}.field", $"a {elements[0]} has no scalable field '{field}' ({string.Join(", ", allowed)})");
            }
            var indices = Array.Empty<int>();
            if (e.TryGetProperty("index", out var index))
            {
                if (index.ValueKind != JsonValueKind.Array || index.GetArrayLength() == 0)
                {
                    throw Error($"{at}.index", "must be a non-empty list of component indices");
                }
                indices = [.. index.EnumerateArray().Select((x, i) => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var v) && v is >= 0 and < 3 ? v : throw Error($"{at}.index[{i}]", "must be 0, 1 or 2"))];
            }
            var power = OptionalNumber(e, "power", at) ?? 1;
            return new FieldScale(elements[0], Name(e, elements[0], at), field, indices, power);
        }

        private MppiDefaults Planner(JsonElement e)
        {
            Known(e, "planner", "lambda", "noise_std", "step_size", "gamma", "control_cost", "action_rate_cost", "noise_filter", "samples", "iterations");
            double[]? filter = null;
            if (e.TryGetProperty("noise_filter", out var f) && f.ValueKind != JsonValueKind.Null)
            {
                if (f.ValueKind != JsonValueKind.Array || f.GetArrayLength() != 3)
                {
                    throw Error("planner.noise_filter", "must be [c0, c1, c2] or null");
                }
                filter = [.. f.EnumerateArray().Select((x, i) => Finite(x, $"planner.noise_filter[{i}]"))];
            }
            var controlCost = true;
            if (e.TryGetProperty("control_cost", out var cc))
            {
                controlCost = cc.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Error("planner.control_cost", "must be true or false"),
                };
            }
            return new MppiDefaults(
                Lambda: Number(e, "lambda", "planner", min: 0, max: 1e9, exclusiveMin: true),
                NoiseStd: Number(e, "noise_std", "planner", min: 0, max: 1e9, exclusiveMin: true),
                StepSize: Number(e, "step_size", "planner", min: 0, max: 1, exclusiveMin: true),
                Gamma: Number(e, "gamma", "planner", min: 0, max: 1, exclusiveMin: true),
                ControlCost: controlCost,
                ActionRateCost: OptionalNumber(e, "action_rate_cost", "planner") is { } w ? (w >= 0 ? w : throw Error("planner.action_rate_cost", "must be ≥ 0")) : 0,
                NoiseFilter: filter,
                Samples: e.TryGetProperty("samples", out _) ? Integer(e, "samples", "planner", 1, 1 << 20) : 256,
                Iterations: e.TryGetProperty("iterations", out _) ? Integer(e, "iterations", "planner", 1, 100) : 1);
        }

        private List<T> List<T>(JsonElement parent, string name, Func<JsonElement, string, T> item, string at = "")
        {
            var field = at.Length == 0 ? name : $"{at}.{name}";
            var array = Member(parent, name, at, JsonValueKind.Array);
            var list = new List<T>();
            var i = 0;
            foreach (var e in array.EnumerateArray())
            {
                var here = $"{field}[{i++}]";
                Expect(e, JsonValueKind.Object, here, "an entry");
                list.Add(item(e, here));
            }
            return list;
        }

        private JsonElement Member(JsonElement parent, string name, string at, JsonValueKind kind)
        {
            var field = at.Length == 0 ? name : $"{at}.{name}";
            if (!parent.TryGetProperty(name, out var value))
            {
                throw Error(field, "is missing");
            }
            Expect(value, kind, field, kind == JsonValueKind.Array ? "a list" : "an object");
            return value;
        }

        private void Expect(JsonElement e, JsonValueKind kind, string field, string what)
        {
            if (e.ValueKind != kind)
            {
                throw Error(field, $"must be {what} ({kind.ToString().ToLowerInvariant()}), not {e.ValueKind.ToString().ToLowerInvariant()}");
            }
        }

        /// <summary>An unknown key is most likely a typo that would silently change nothing: refused.</summary>
        private void Known(JsonElement e, string at, params string[] names)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject())
            {
                var field = at.Length == 0 ? p.Name : $"{at}.{p.Name}";
                if (!names.Contains(p.Name))
                {
                    throw Error(field, $"unknown field (known here: {string.Join(", ", names.Where(n => n != "$schema"))})");
                }
                if (!seen.Add(p.Name))
                {
                    throw Error(field, "appears twice");
                }
            }
        }

        private void Unique(IEnumerable<string> names, string list, string key)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var n in names)
            {
                if (!seen.Add(n))
                {
                    throw Error(list, $"{key} '{n}' appears twice");
                }
            }
        }

        private string Name(JsonElement e, string name, string at)
        {
            var text = OptionalString(e, name, at);
            return string.IsNullOrWhiteSpace(text) ? throw Error(at.Length == 0 ? name : $"{at}.{name}", "is missing or empty") : text;
        }

        private string? OptionalString(JsonElement e, string name, string at)
        {
            if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error(at.Length == 0 ? name : $"{at}.{name}", $"must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}");
        }

        private double Number(JsonElement e, string name, string at, double min, double max, bool exclusiveMin)
        {
            var field = at.Length == 0 ? name : $"{at}.{name}";
            var value = OptionalNumber(e, name, at) ?? throw Error(field, "is missing");
            if (value > max || (exclusiveMin ? value <= min : value < min))
            {
                throw Error(field, string.Create(CultureInfo.InvariantCulture, $"{value} is outside {(exclusiveMin ? "(" : "[")}{min}, {max}]"));
            }
            return value;
        }

        private double? OptionalNumber(JsonElement e, string name, string at) =>
            e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Finite(value, at.Length == 0 ? name : $"{at}.{name}") : null;

        private int Integer(JsonElement e, string name, string at, int min, int max)
        {
            var field = at.Length == 0 ? name : $"{at}.{name}";
            if (!e.TryGetProperty(name, out var value))
            {
                throw Error(field, "is missing");
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var n))
            {
                throw Error(field, "must be a whole number");
            }
            return n < min || n > max ? throw Error(field, $"{n} is outside [{min}, {max}]") : n;
        }

        /// <summary>A finite number (JSON has no NaN, but a string "NaN" or a huge exponent would be one).</summary>
        private double Finite(JsonElement value, string field)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                throw Error(field, $"must be a finite number, not {(value.ValueKind == JsonValueKind.String ? $"\"{value.GetString()}\"" : value.ValueKind.ToString().ToLowerInvariant())}");
            }
            return d;
        }
    }
}
