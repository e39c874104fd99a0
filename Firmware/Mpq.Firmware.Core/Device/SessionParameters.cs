using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Messages;

namespace Mpq.Firmware.Device;

/// <summary>
/// The parameter table as the link sees it: what may change now (the armed rules, bring-up's), a controller's changes
/// that last only for its session, and every other change handed to the <see cref="ParameterKeeper"/> to save.
/// </summary>
/// <remarks>
/// A controller's ParamSet is not saved and is undone when its session ends (link lost, port back in console mode, a new
/// Hello); the file keeps the values it overrode. Session changes and their ends happen on the reader thread under the
/// link's reader lock; <see cref="SavedValues"/> takes that lock for the housekeeping thread's saves.
/// </remarks>
internal sealed class SessionParameters : IDisposable
{
    private readonly ParameterTable _table;
    private readonly ParameterKeeper _keeper;
    private readonly BringUp _bringUp;
    private readonly SupervisorInbox _inbox;
    private readonly Lock _rx;
    private readonly ConcurrentQueue<string> _notices;
    private readonly Action<string> _log;
    private readonly Dictionary<int, double> _overrides = [];
    private bool _sessionChange;

    /// <summary>
    /// Takes <paramref name="table"/>'s changes: its guard (the armed rules, bring-up's) and its change events; the
    /// <paramref name="notices"/> queue gets the console lines a change causes (bring-up undone), sent by housekeeping;
    /// <paramref name="rx"/> is the link's reader lock.
    /// </summary>
    public SessionParameters(ParameterTable table, ParameterKeeper keeper, BringUp bringUp, SafetySupervisor supervisor, SupervisorInbox inbox, Lock rx,
        ConcurrentQueue<string> notices, Action<string> log)
    {
        _table = table;
        _keeper = keeper;
        _bringUp = bringUp;
        _inbox = inbox;
        _rx = rx;
        _notices = notices;
        _log = log;
        // Set here, before any thread runs: a damaged file holds arming from the first tick.
        supervisor.SetArmInterlock(keeper.Damage ?? bringUp.Hold);
        table.Changed += OnChanged;
        table.Guard = (d, current, proposed) =>
            (supervisor.State == RigArmState.Armed ? ArmedParameterRules.Refusal(d.Name, current, proposed) : null) ?? bringUp.Guard(d.Name, current, proposed);
    }

    /// <summary>A controller's ParamSet, checked like any change and applied for this session only. Under the reader lock.</summary>
    public ParamStatus SetForSession(int index, double value, out string? refusal)
    {
        var before = _table[index];
        _sessionChange = true;
        var status = _table.TrySet(_table.Definitions[index].Name, value, out refusal);
        _sessionChange = false;
        if (status == ParamStatus.Ok)
        {
            _overrides.TryAdd(index, before);
        }
        return status;
    }

    /// <summary>Ends a controller's session (under the reader lock): its settings give way to the saved ones again.</summary>
    public void EndSession(string reason)
    {
        if (_overrides.Count == 0)
        {
            return;
        }
        var restored = new StringBuilder();
        foreach (var (index, value) in _overrides)
        {
            var d = _table.Definitions[index];
            restored.Append(CultureInfo.InvariantCulture, $" {d.Name} {d.Format(_table[index])} → {d.Format(value)}");
            _table.Load(d.Name, value);
        }
        _overrides.Clear();
        _log($"link: session ended ({reason}); the controller's settings are undone:{restored}");
    }

    /// <summary>Holds arming for a damaged parameters file, else for bring-up not done, else not. Under the reader lock (the inbox has one producer at a time).</summary>
    public void UpdateArmInterlock() => _inbox.ArmInterlock(_keeper.Damage ?? _bringUp.Hold);

    /// <summary>Saves what changed (debounced, retried): housekeeping's, never the reader's or the loop's. A line to show, or null.</summary>
    public string? Housekeep(bool now = false) => _keeper.Housekeep(SavedValues, _table, now);

    private void OnChanged(ParameterDefinition definition, double value)
    {
        _log(string.Create(CultureInfo.InvariantCulture, $"parameter {definition.Name} = {definition.Format(value)}{(_sessionChange ? " (this session only)" : "")}"));
        if (!_sessionChange)
        {
            _keeper.MarkChanged();
        }
        if (_bringUp.OnParameterChanged(definition.Name) is { } undone)
        {
            _notices.Enqueue(undone);
        }
        if (definition.Name == FirmwareParameters.BringUpDone)
        {
            UpdateArmInterlock(); // raised from a link thread under the reader lock, or from housekeeping under it
        }
    }

    /// <summary>The values to save: the table's, with a session's overrides replaced by the values they override.</summary>
    private double[] SavedValues()
    {
        lock (_rx)
        {
            var values = new double[_table.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = _overrides.TryGetValue(i, out var saved) ? saved : _table[i];
            }
            return values;
        }
    }

    public void Dispose() => _table.Changed -= OnChanged;
}
