using System.Globalization;
using Mpq.MuJoCo;
using Mpq.Tasks;
using Mpq.Tasks.Rigs;

namespace Mpq.Trainer.Identification;

/// <summary>What a parameter of the fit is: one of the rig file's, or viscous damping or Coulomb friction added to a joint.</summary>
public enum IdentifiedKind
{
    Rig,
    Damping,
    Friction,

    /// <summary>The time from the State a step answers to its torque acting (serial line, planning, the drive's own delay).</summary>
    Delay,
}

/// <summary>One fitted parameter.</summary>
/// <param name="Kind">A rig file's parameter, or damping or friction added to a joint.</param>
/// <param name="Unit">Its unit (a rig parameter's as its file says).</param>
/// <param name="Joint">The joint damping or friction acts on; null for a rig parameter.</param>
/// <param name="Name">The rig file's name, or <c>damping_JOINT</c> / <c>friction_JOINT</c> (the virtual rig's <c>--true</c> vocabulary, by joint name).</param>
/// <param name="Start">Where the fit started: a rig parameter's prior mean, 0 added damping or friction.</param>
/// <param name="Estimate">The least-squares estimate.</param>
/// <param name="StdError">One standard error (from the Jacobian at the estimate and the residuals' variance).</param>
/// <param name="ModelValue">For damping and friction, the model file's own value the estimate is added to; 0 for a rig parameter.</param>
public sealed record IdentifiedParameter(string Name, IdentifiedKind Kind, string Unit, string? Joint, double Start, double Estimate, double StdError, double ModelValue)
{
    /// <summary>The standard error relative to the estimate (infinite for an estimate of 0).</summary>
    public double Relative => Estimate == 0 ? double.PositiveInfinity : StdError / Math.Abs(Estimate);
}

/// <summary>The fit's outcome.</summary>
/// <param name="Rig">The rig's name.</param>
/// <param name="Parameters">The estimates, in the fit's order.</param>
/// <param name="Samples">Logged steps used.</param>
/// <param name="Seconds">Rig time they cover.</param>
/// <param name="Iterations">Levenberg-Marquardt iterations taken.</param>
/// <param name="Velocities">The joints, whose velocities the errors are of.</param>
/// <param name="VelocityUnit">rad/s (or m/s for a rig of slides only).</param>
/// <param name="RmsBefore">RMS of the one-step velocity prediction error at the start (the rig file's prior), per velocity.</param>
/// <param name="RmsAfter">The same at the estimate.</param>
public sealed record IdentificationResult(string Rig, IReadOnlyList<IdentifiedParameter> Parameters, int Samples, double Seconds, int Iterations,
    IReadOnlyList<string> Velocities, double[] RmsBefore, double[] RmsAfter, string VelocityUnit);

/// <summary>Options of a fit.</summary>
public sealed record IdentifyOptions
{
    /// <summary>Which parameters to fit (rig parameters by name, <c>damping_J</c>, <c>friction_J</c>); null: every rig parameter, and damping and friction on every joint that no rig parameter already scales.</summary>
    public IReadOnlyList<string>? Fit { get; init; }

    /// <summary>Largest integration step of the prediction, seconds (the rig integrates continuously; the planner's model may take one coarse step).</summary>
    public double MaxStep { get; init; } = 0.002;

    /// <summary>Gauss-Newton (Levenberg-Marquardt) iterations at most.</summary>
    public int MaxIterations { get; init; } = 40;

    /// <summary>
    /// The drive's slew limit (N·m/s, or N/s for a slide), as the firmware's <c>slew_rate</c>: each step's torque ramps
    /// from the last one towards the commanded one at this rate (after the delay). Null: it switches at once.
    /// </summary>
    public double? SlewRate { get; init; }

    /// <summary>A rig parameter whose standard error exceeds this share of its estimate is not excited by the data (refused).</summary>
    public double MaxRelativeError { get; init; } = 0.1;
}

/// <summary>
/// Fits a rig file's physical parameters, and each joint's added viscous damping and Coulomb friction, to logged motion
/// with MuJoCo in the loop: every logged step is replayed from its logged state with the torque the rig applied, and
/// the parameters that make the model's next velocities closest to the logged ones (least squares, one-step
/// prediction) are the estimate.
/// </summary>
/// <remarks>
/// One-step prediction rather than multiple shooting: a rig's log restarts the model from a measured state every period,
/// so an error cannot grow over a long rollout and a chaotic swing (a pendulum over the top) does not make the fit
/// ill-posed. The model is stepped at <see cref="IdentifyOptions.MaxStep"/> or finer (the planner's pendulum takes one
/// 50 ms Euler step per period, which would bias the estimate towards whatever makes that coarse step right).
/// Levenberg-Marquardt with central finite differences: MuJoCo's Coulomb friction (frictionloss) is a soft constraint,
/// smooth enough for them. The standard errors are the usual s²(JᵀJ)⁻¹, which assumes independent residuals; the
/// quantisation of a real encoder is not in the model, so they are a floor, not a promise. The actuation delay is (a
/// parameter like the others): the logged State is older than the torque that answers it by the serial line, the
/// planning and the drive, and a fit without it puts the lag into friction (+21 % at 4 ms on the pendulum). So is the
/// firmware's slew limit (<see cref="IdentifyOptions.SlewRate"/>, given, not fitted): over a pty the pendulum's default
/// 20 N·m/s ramps a 50 ms step's change of up to 0.5 N·m over 25 ms, which a fit without it read as a 10 ms delay and
/// 15 % less friction.
/// A parameter the data do not excite (mass from a free swing with no torque, friction from a log that never moves) has
/// a standard error that is a large share of its value: the fit refuses and names it rather than write a guess.
/// </remarks>
public sealed class RigIdentifier : IDisposable
{
    private readonly ITask _task;
    private readonly MjModel _model;
    private readonly MjData _data;
    private readonly Slot[] _slots;
    private readonly int _substeps;
    private readonly int _nq;
    private readonly int _nv;
    private readonly double[] _baseDamping;
    private readonly double[] _baseFriction;
    private readonly double[] _scaleV;
    private double _delay;

    /// <summary>A free parameter: what it writes into the model and its typical size (for finite differences and scaling).</summary>
    private sealed record Slot(string Name, IdentifiedKind Kind, string Unit, string? Joint, int Index, double Start, double Typical, double ModelValue);

    public RigIdentifier(ITask task, IdentificationData data, IdentifyOptions? options = null)
    {
        Options = options ?? new IdentifyOptions();
        _task = task;
        Data = data;
        _model = MjModel.FromXmlString(task.ModelXml);
        try
        {
            _nq = _model.Nq;
            _nv = _model.Nv;
            if (_nq != _nv)
            {
                throw new ArgumentException($"rig '{task.Name}': identify needs hinge and slide joints only (positions and velocities match), its model has nq {_nq}, nv {_nv}");
            }
            if (data.Samples.Count > 0 && data.Samples[0].State.Length != _model.StateSize)
            {
                throw new InvalidDataException($"the logs' states have {data.Samples[0].State.Length} numbers; rig '{task.Name}''s model has {_model.StateSize}");
            }
            _data = MjData.Create(_model);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
        var period = task.ControlPeriod;
        _substeps = Math.Max(1, (int)Math.Ceiling(period / Options.MaxStep - 1e-9));
        _baseDamping = new double[_nv];
        _baseFriction = new double[_nv];
        for (var d = 0; d < _nv; d++)
        {
            _baseDamping[d] = _model.GetDofDamping(d);
            _baseFriction[d] = _model.GetDofFrictionLoss(d);
        }
        // Each velocity's residual is measured against how much that velocity changes in a step, so a light pendulum's
        // joint counts as much as a heavy arm's.
        _scaleV = new double[_nv];
        for (var d = 0; d < _nv; d++)
        {
            var sum = 0.0;
            foreach (var s in data.Samples)
            {
                var dv = s.Next[_nq + d] - s.State[_nq + d];
                sum += dv * dv;
            }
            _scaleV[d] = Math.Sqrt(sum / Math.Max(1, data.Samples.Count));
        }
        _slots = Slots(task, data, Options);
    }

    public IdentificationData Data { get; }
    public IdentifyOptions Options { get; }

    private Slot[] Slots(ITask task, IdentificationData data, IdentifyOptions options)
    {
        var spec = task is RigTask rig ? RigSpec.Read(Path.Combine(rig.Folder, "rig.json")) : null;
        var torqueMax = LargestAction(task);
        var units = task is RigTask r ? UnitsOf(r) : [];
        var all = new List<Slot>();
        for (var i = 0; i < task.Parameters.Count; i++)
        {
            var p = task.Parameters[i];
            var unit = units.GetValueOrDefault(p.Name, "");
            var start = p.TrueValue * p.Prior.MeanFactor;
            all.Add(new Slot(p.Name, IdentifiedKind.Rig, unit, null, i, start, start, 0));
        }
        for (var j = 0; j < _model.NJoint; j++)
        {
            var name = _model.Name(MjObjectType.Joint, j) ?? $"{j}";
            var dof = _model.JointDofAddress(j);
            var linear = _model.JointType(j) == 2; // mjJNT_SLIDE
            var speed = Math.Max(1e-3, Rms(data.Samples, s => s.State[_nq + dof]));
            // Typical sizes: a twentieth of the largest actuator force, as friction, or as damping at the logs' typical speed.
            var scaled = spec?.Parameters.Any(p => p.Scales.Any(f => f.Element == "joint" && f.Name == name && f.Field == "damping")) == true;
            if (!scaled)
            {
                all.Add(new Slot($"damping_{name}", IdentifiedKind.Damping, linear ? "N·s/m" : "N·m·s/rad", name, dof, 0, 0.05 * torqueMax / speed, _baseDamping[dof]));
            }
            var frictionScaled = spec?.Parameters.Any(p => p.Scales.Any(f => f.Element == "joint" && f.Name == name && f.Field == "frictionloss")) == true;
            if (!frictionScaled)
            {
                all.Add(new Slot($"friction_{name}", IdentifiedKind.Friction, linear ? "N" : "N·m", name, dof, 0, 0.05 * torqueMax, _baseFriction[dof]));
            }
        }
        if (task.ActionSize > 0)
        {
            all.Add(new Slot("delay", IdentifiedKind.Delay, "s", null, 0, 0, 0.1 * task.ControlPeriod, 0));
        }
        if (options.Fit is null)
        {
            return [.. all];
        }
        var chosen = new List<Slot>();
        foreach (var name in options.Fit)
        {
            var slot = all.FirstOrDefault(s => s.Name == name)
                ?? throw new ArgumentException($"--fit: rig '{task.Name}' has no parameter '{name}'; it can fit: {string.Join(", ", all.Select(s => s.Name))}");
            if (chosen.Contains(slot))
            {
                throw new ArgumentException($"--fit names '{name}' twice");
            }
            chosen.Add(slot);
        }
        return [.. chosen];
    }

    /// <summary>The rig parameters' units as the rig file writes them (read once; RigSpec does not keep them).</summary>
    private static Dictionary<string, string> UnitsOf(RigTask rig)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(rig.Folder, "rig.json")));
        var units = new Dictionary<string, string>();
        foreach (var entry in json?["parameters"]?.AsArray() ?? [])
        {
            if (entry?["name"]?.GetValue<string>() is { } name)
            {
                units[name] = entry["unit"]?.GetValue<string>() ?? "";
            }
        }
        return units;
    }

    /// <summary>The largest force or torque any actuator may give (1 where the model sets no finite limit): the scale of
    /// typical friction, of the firmware's default slew rate, and of friction too small to write.</summary>
    internal static double LargestAction(ITask task)
    {
        var max = 0.0;
        for (var a = 0; a < task.ActionSize; a++)
        {
            max = Math.Max(max, Math.Max(Math.Abs(task.ActionLow[a]), Math.Abs(task.ActionHigh[a])));
        }
        return double.IsFinite(max) && max > 0 ? max : 1;
    }

    private static double Rms(IReadOnlyList<IdentificationSample> samples, Func<IdentificationSample, double> of)
    {
        var sum = 0.0;
        foreach (var s in samples)
        {
            var v = of(s);
            sum += v * v;
        }
        return Math.Sqrt(sum / Math.Max(1, samples.Count));
    }

    /// <summary>Fits; refuses (an <see cref="InvalidDataException"/> naming the parameter) what the data do not excite.</summary>
    public IdentificationResult Fit()
    {
        var moving = Data.Samples.Count == 0 ? 0 : _scaleV.Max();
        var fastest = Data.Samples.Count == 0 ? 0 : Data.Samples.Max(s => Enumerable.Range(0, _nv).Max(d => Math.Abs(s.State[_nq + d])));
        if (fastest < 1e-3 || moving < 1e-6)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"the logs never move (fastest joint speed {fastest:G3}): nothing in them excites {string.Join(", ", _slots.Select(s => s.Name))}; log a free swing after a push (controller run --log without --arm) and an excitation run (controller run --arm --excite)"));
        }
        var p = _slots.Length;
        if (p == 0)
        {
            throw new ArgumentException("nothing to fit");
        }
        var x = _slots.Select(s => s.Start).ToArray();
        var residuals = new double[Data.Samples.Count * _nv];
        Residuals(x, residuals);
        var before = PerVelocityRms(residuals);
        var cost = LeastSquares.SumSquares(residuals);
        var lambda = 1e-3;
        var iterations = 0;
        var jacobian = new double[residuals.Length, p];
        var trial = new double[residuals.Length];
        var converged = false;
        while (!converged && iterations < Options.MaxIterations)
        {
            iterations++;
            Jacobian(x, residuals, jacobian);
            var (jtj, jtr) = LeastSquares.Normal(jacobian, residuals);
            var improved = false;
            for (var attempt = 0; attempt < 12 && !improved; attempt++)
            {
                var a = (double[,])jtj.Clone();
                for (var k = 0; k < p; k++)
                {
                    a[k, k] += lambda * Math.Max(jtj[k, k], 1e-12);
                }
                var step = LeastSquares.Solve(a, jtr.Select(v => -v).ToArray());
                var candidate = new double[p];
                for (var k = 0; k < p; k++)
                {
                    candidate[k] = Clamp(k, x[k] + step[k]);
                }
                Residuals(candidate, trial);
                var trialCost = LeastSquares.SumSquares(trial);
                if (double.IsFinite(trialCost) && trialCost < cost)
                {
                    var relative = (cost - trialCost) / Math.Max(cost, 1e-300);
                    var moved = 0.0;
                    for (var k = 0; k < p; k++)
                    {
                        moved = Math.Max(moved, Math.Abs(candidate[k] - x[k]) / Math.Max(Math.Abs(x[k]), _slots[k].Typical));
                    }
                    x = candidate;
                    Array.Copy(trial, residuals, residuals.Length);
                    cost = trialCost;
                    lambda = Math.Max(lambda / 4, 1e-9);
                    improved = true;
                    converged = relative < 1e-9 || moved < 1e-7;
                }
                else
                {
                    lambda *= 8;
                }
            }
            converged |= !improved; // no step lowers the error: a minimum, as far as these differences can tell
        }
        Jacobian(x, residuals, jacobian);
        var (final, _) = LeastSquares.Normal(jacobian, residuals);
        var dof = Math.Max(1, residuals.Length - p);
        var variance = cost / dof;
        var covariance = LeastSquares.Invert(final);
        var parameters = new IdentifiedParameter[p];
        for (var k = 0; k < p; k++)
        {
            var s = _slots[k];
            var se = !(covariance[k, k] >= 0) ? double.PositiveInfinity : Math.Sqrt(variance * covariance[k, k]);
            parameters[k] = new IdentifiedParameter(s.Name, s.Kind, s.Unit, s.Joint, s.Start, x[k], se, s.ModelValue);
        }
        RefuseUnexcited(parameters);
        var velocities = Enumerable.Range(0, _model.NJoint).Select(j => _model.Name(MjObjectType.Joint, j) ?? $"{j}").ToArray();
        var linearOnly = Enumerable.Range(0, _model.NJoint).All(j => _model.JointType(j) == 2);
        return new IdentificationResult(_task.Name, parameters, Data.Samples.Count, Data.Seconds, iterations, velocities, before, PerVelocityRms(residuals),
            linearOnly ? "m/s" : "rad/s");
    }

    private void RefuseUnexcited(IdentifiedParameter[] parameters)
    {
        var unexcited = new List<string>();
        for (var k = 0; k < parameters.Length; k++)
        {
            var p = parameters[k];
            // A rig parameter is judged against its own value; added damping or friction (often near 0) against its typical size.
            var against = p.Kind == IdentifiedKind.Rig ? Math.Abs(p.Estimate) : Math.Max(Math.Abs(p.Estimate), _slots[k].Typical);
            if (!double.IsFinite(p.StdError) || p.StdError > Options.MaxRelativeError * against)
            {
                unexcited.Add(string.Create(CultureInfo.InvariantCulture, $"{p.Name} ({p.Estimate:G4} ± {p.StdError:G3})"));
            }
        }
        if (unexcited.Count > 0)
        {
            throw new InvalidDataException(
                $"the logs do not excite {string.Join(", ", unexcited)}: the data cannot tell that from the others. A mass or inertia needs torque applied (controller run --arm --excite), " +
                "damping and friction need motion at several speeds; add such a log, or leave the parameter out (--fit NAME,...)");
        }
    }

    private double Clamp(int k, double value)
    {
        var s = _slots[k];
        return s.Kind switch
        {
            IdentifiedKind.Rig => Math.Clamp(value, s.Start * 0.05, s.Start * 20), // a rig parameter stays positive and within a factor of 20 of the prior
            IdentifiedKind.Delay => Math.Clamp(value, 0, _task.ControlPeriod), // at most a period: beyond it the log's steps are not answers to their States
            _ => Math.Max(value, -s.ModelValue), // the model's own damping or friction may be reduced, never below 0 in total
        };
    }

    private double[] PerVelocityRms(double[] residuals)
    {
        var rms = new double[_nv];
        var n = Data.Samples.Count;
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < _nv; d++)
            {
                var r = residuals[i * _nv + d] * _scaleV[d];
                rms[d] += r * r;
            }
        }
        for (var d = 0; d < _nv; d++)
        {
            rms[d] = Math.Sqrt(rms[d] / Math.Max(1, n));
        }
        return rms;
    }

    /// <summary>Writes the parameters into the model: rig parameters through the rig file's scales, damping and friction added to the model's own.</summary>
    private void Apply(ReadOnlySpan<double> x)
    {
        for (var k = 0; k < _slots.Length; k++)
        {
            var s = _slots[k];
            switch (s.Kind)
            {
                case IdentifiedKind.Rig:
                    _task.Parameters[s.Index].Apply(_model, x[k]);
                    break;
                case IdentifiedKind.Delay:
                    _delay = x[k];
                    break;
                case IdentifiedKind.Damping:
                    _model.SetDofDamping(s.Index, _baseDamping[s.Index] + x[k]);
                    break;
                default:
                    _model.SetDofFrictionLoss(s.Index, _baseFriction[s.Index] + x[k]);
                    break;
            }
        }
    }

    /// <summary>The scaled one-step velocity errors of every sample at parameters <paramref name="x"/>.</summary>
    private void Residuals(ReadOnlySpan<double> x, double[] residuals)
    {
        Apply(x);
        var timestep = _task.ControlPeriod / _substeps;
        _model.Timestep = timestep;
        var samples = Data.Samples;
        for (var i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            _data.Reset();
            _data.SetState(s.State);
            var ctrl = _data.Ctrl;
            for (var k = 0; k < _substeps; k++)
            {
                // The previous step's torque acts until the delay has passed: a substep straddling it gets the mix of
                // both by the time each acts, so the error is smooth in the delay (finite differences see it).
                if (Options.SlewRate is { } slew)
                {
                    // A ramp from the torque acting at the step's start towards the command, begun after the delay: the
                    // substep's mean torque by Simpson's rule (exact while the ramp has no corner inside the substep).
                    for (var a = 0; a < ctrl.Length; a++)
                    {
                        var target = s.Commanded?[a] ?? s.Action[a];
                        ctrl[a] = (Ramp(s.Previous[a], target, slew, k * timestep) + 4 * Ramp(s.Previous[a], target, slew, (k + 0.5) * timestep)
                            + Ramp(s.Previous[a], target, slew, (k + 1) * timestep)) / 6;
                    }
                }
                else
                {
                    var before = Math.Clamp((_delay - k * timestep) / timestep, 0, 1);
                    for (var a = 0; a < ctrl.Length; a++)
                    {
                        ctrl[a] = before * s.Previous[a] + (1 - before) * s.Action[a];
                    }
                }
                _data.Step();
            }
            var qvel = _data.Qvel;
            for (var d = 0; d < _nv; d++)
            {
                var r = (qvel[d] - s.Next[_nq + d]) / _scaleV[d];
                residuals[i * _nv + d] = double.IsFinite(r) ? r : 1e6; // a diverging step is a very bad fit, not a crash
            }
        }
    }

    /// <summary>Central differences; one-sided (forward) where a step back would leave the parameter's range (added damping or friction at 0).</summary>
    /// <summary>The torque <paramref name="t"/> seconds into a step: the start's until the delay has passed, then moving towards the target at the slew rate.</summary>
    private double Ramp(double start, double target, double slew, double t)
    {
        if (t <= _delay)
        {
            return start;
        }
        var change = target - start;
        var reach = slew * (t - _delay);
        return Math.Abs(change) <= reach ? target : start + Math.Sign(change) * reach;
    }

    private void Jacobian(double[] x, double[] atX, double[,] jacobian)
    {
        var n = jacobian.GetLength(0);
        var plus = new double[n];
        var minus = new double[n];
        var probe = (double[])x.Clone();
        for (var k = 0; k < x.Length; k++)
        {
            var h = 1e-4 * Math.Max(Math.Abs(x[k]), _slots[k].Typical);
            var central = Clamp(k, x[k] - h) == x[k] - h;
            probe[k] = x[k] + h;
            Residuals(probe, plus);
            if (central)
            {
                probe[k] = x[k] - h;
                Residuals(probe, minus);
            }
            else
            {
                Array.Copy(atX, minus, n);
            }
            probe[k] = x[k];
            var width = central ? 2 * h : h;
            for (var i = 0; i < n; i++)
            {
                jacobian[i, k] = (plus[i] - minus[i]) / width;
            }
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        _model.Dispose();
    }
}
