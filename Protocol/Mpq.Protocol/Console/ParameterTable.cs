using System.Globalization;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Console;

/// <summary>One tunable parameter: name, kind, range, default, unit and what it does.</summary>
public sealed record ParameterDefinition(string Name, ParamKind Kind, double Min, double Max, double Default, string Unit, string Description, bool ReadOnly = false)
{
    /// <summary>Whether <paramref name="value"/> is allowed (finite, in range, integral for integers, 0/1 for booleans).</summary>
    public bool Accepts(double value) =>
        double.IsFinite(value) && value >= Min && value <= Max
        && (Kind != ParamKind.Integer || Math.Floor(value) == value)
        && (Kind != ParamKind.Boolean || value is 0 or 1);

    /// <summary>The value as a person reads it.</summary>
    public string Format(double value) => Kind switch
    {
        ParamKind.Boolean => value != 0 ? "on" : "off",
        ParamKind.Integer => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("G6", CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The rig's parameters with range checks, shared by the text console and the binary Param messages
/// so both give the same answers. Values are read lock-free by the control loop.
/// </summary>
public sealed class ParameterTable
{
    private readonly ParameterDefinition[] _definitions;
    private readonly double[] _values;
    private readonly Dictionary<string, int> _index;

    public ParameterTable(IEnumerable<ParameterDefinition> definitions)
    {
        _definitions = [.. definitions];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        _values = new double[_definitions.Length];
        for (var i = 0; i < _definitions.Length; i++)
        {
            var d = _definitions[i];
            if (!_index.TryAdd(d.Name, i))
            {
                throw new ArgumentException($"parameter '{d.Name}' is defined twice");
            }
            if (!d.Accepts(d.Default))
            {
                throw new ArgumentException($"parameter '{d.Name}': default {d.Default} is outside its own range");
            }
            _values[i] = d.Default;
        }
    }

    /// <summary>
    /// Consulted by <see cref="TrySet(string, double, out string?)"/> after the range check: returns null to allow a change, or
    /// why it is not allowed now (e.g. the Firmware refuses to loosen a safety limit while armed). Not consulted by <see cref="Load"/>.
    /// </summary>
    public Func<ParameterDefinition, double, double, string?>? Guard { get; set; }

    /// <summary>Raised after a value changed (on the thread that changed it); not for a set to the value already in force.</summary>
    public event Action<ParameterDefinition, double>? Changed;

    public IReadOnlyList<ParameterDefinition> Definitions => _definitions;

    public int Count => _definitions.Length;

    /// <summary>Index of a parameter, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out var i) ? i : -1;

    /// <summary>Current value by index (lock-free; safe from the loop thread).</summary>
    public double this[int index] => Volatile.Read(ref _values[index]);

    /// <summary>Current value by name.</summary>
    /// <exception cref="KeyNotFoundException">No such parameter.</exception>
    public double Get(string name) => _index.TryGetValue(name, out var i) ? this[i] : throw new KeyNotFoundException($"unknown parameter '{name}'");

    /// <summary>Sets a value if the name exists, is writable, the value is in range and the <see cref="Guard"/> allows it.</summary>
    public ParamStatus TrySet(string name, double value) => TrySet(name, value, out _);

    /// <summary>As <see cref="TrySet(string, double)"/>; <paramref name="refusal"/> says why when the guard refused (<see cref="ParamStatus.NotAllowedNow"/>).</summary>
    public ParamStatus TrySet(string name, double value, out string? refusal)
    {
        refusal = null;
        if (!_index.TryGetValue(name, out var i))
        {
            return ParamStatus.UnknownName;
        }
        var d = _definitions[i];
        if (d.ReadOnly)
        {
            return ParamStatus.ReadOnly;
        }
        if (!d.Accepts(value))
        {
            return ParamStatus.OutOfRange;
        }
        if (Guard?.Invoke(d, this[i], value) is { } reason)
        {
            refusal = reason;
            return ParamStatus.NotAllowedNow;
        }
        if (this[i] == value)
        {
            return ParamStatus.Ok; // nothing changed: nothing to announce or save
        }
        Volatile.Write(ref _values[i], value);
        Changed?.Invoke(d, value);
        return ParamStatus.Ok;
    }

    /// <summary>Writes a value without the writable check (loading persisted values, read-only telemetry).</summary>
    public ParamStatus Load(string name, double value)
    {
        if (!_index.TryGetValue(name, out var i))
        {
            return ParamStatus.UnknownName;
        }
        if (!_definitions[i].Accepts(value))
        {
            return ParamStatus.OutOfRange;
        }
        Volatile.Write(ref _values[i], value);
        return ParamStatus.Ok;
    }

    /// <summary>Parses text typed at the console for a parameter of the given kind.</summary>
    public static bool TryParse(ParamKind kind, string text, out double value)
    {
        if (kind == ParamKind.Boolean)
        {
            switch (text.ToLowerInvariant())
            {
                case "on" or "true" or "1" or "yes":
                    value = 1;
                    return true;
                case "off" or "false" or "0" or "no":
                    value = 0;
                    return true;
            }
            value = 0;
            return false;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>Fills a ParamValue answer for the parameter at <paramref name="index"/>.</summary>
    public void Describe(int index, ParamStatus status, ParamValue answer)
    {
        var d = _definitions[index];
        answer.Status = status;
        answer.Kind = d.Kind;
        answer.Index = (ushort)index;
        answer.Count = (ushort)_definitions.Length;
        answer.Value = this[index];
        answer.Min = d.Min;
        answer.Max = d.Max;
        answer.Name = d.Name;
    }
}
