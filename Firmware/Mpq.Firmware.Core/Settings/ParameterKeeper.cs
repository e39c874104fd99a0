using System.Diagnostics;
using System.Globalization;
using Mpq.Protocol.Console;

namespace Mpq.Firmware.Settings;

/// <summary>
/// The parameters file while the firmware runs: the damage found at start (which holds arming until a person accepts the
/// defaults), changes saved after a quiet moment, failed saves retried and reported, and the reset a person asks for.
/// </summary>
/// <remarks>
/// <para>File I/O happens only in <see cref="Housekeep"/>, which the link's housekeeping thread calls every few ms: never
/// on the device loop, never on the reader that a console command runs on. Any thread may mark a change or ask for a reset.</para>
/// <para>A save that fails (a full disk, a read-only file system) leaves the change in force until a restart, is reported
/// once with the reason, shown in <c>status</c> and <c>params</c>, and retried every <see cref="RetryEvery"/>; the next
/// success is reported too. While the file is damaged nothing is saved over it: it stays for a person to look at, and
/// <c>params reset</c> moves it aside before the defaults are written.</para>
/// </remarks>
public sealed class ParameterKeeper
{
    /// <summary>A change is saved once the parameters have been quiet this long (a burst of <c>set</c>s is one write).</summary>
    public static readonly TimeSpan SaveDebounce = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a failed save is tried again.</summary>
    public static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    private readonly ParameterStore? _store;
    private readonly Action<string> _log;
    private long _dirtySince; // Stopwatch timestamp of the first unsaved change, 0 when saved
    private long _lastAttempt;
    private volatile string? _damage;
    private volatile string? _saveError;
    private volatile bool _moveAsidePending;
    private volatile string? _movedAside;
    private long _failedInARow;
    private bool _heldReported;

    /// <param name="store">The file, or null when nothing persists (no <c>--params</c>).</param>
    /// <param name="atStart">What loading it found: a problem holds arming (see <see cref="Damage"/>).</param>
    /// <param name="log">The firmware's log.</param>
    public ParameterKeeper(ParameterStore? store, ParameterFileCheck atStart, Action<string> log)
    {
        _store = store;
        _log = log;
        _damage = atStart.Problem;
    }

    /// <summary>Why the file could not be used at start (arming is held), until <see cref="AcceptDefaults"/>; null when it is fine.</summary>
    public string? Damage => _damage;

    /// <summary>Why the last save failed, or null once saved.</summary>
    public string? SaveError => _saveError;

    /// <summary>Saves that ran and succeeded.</summary>
    public long Saves { get; private set; }

    /// <summary>Saves that failed.</summary>
    public long FailedSaves { get; private set; }

    /// <summary>Whether changes are waiting to be saved.</summary>
    public bool Dirty => Volatile.Read(ref _dirtySince) != 0;

    /// <summary>A saved parameter changed (any thread): it is written once the parameters have been quiet for <see cref="SaveDebounce"/>.</summary>
    public void MarkChanged()
    {
        if (_store is not null)
        {
            Interlocked.CompareExchange(ref _dirtySince, Stopwatch.GetTimestamp(), 0);
        }
    }

    /// <summary>
    /// A person accepted the defaults (<c>params reset</c>): <paramref name="table"/>'s writable values go back to their
    /// defaults, the damage is forgotten, and the next <see cref="Housekeep"/> moves the old file aside and saves. The caller
    /// releases the arm interlock and refuses this while armed (defaults may be looser than what is in force).
    /// </summary>
    /// <returns>The reply for people.</returns>
    public string AcceptDefaults(ParameterTable table) =>
        Accept(table, table.Definitions.Where(d => !d.ReadOnly).ToDictionary(d => d.Name, d => d.Default), "defaults");

    /// <summary>
    /// A person loaded a backup (<c>params load FILE yes</c>), checked field by field: as <see cref="AcceptDefaults"/>,
    /// with its values. The caller refuses this while armed and releases the arm interlock.
    /// </summary>
    public string AcceptValues(ParameterTable table, IReadOnlyDictionary<string, double> values, string from) => Accept(table, values, $"values of {from}");

    /// <summary>The parameters file this keeper saves to, or null when nothing persists.</summary>
    public string? FilePath => _store?.Path;

    private string Accept(ParameterTable table, IReadOnlyDictionary<string, double> values, string what)
    {
        foreach (var d in table.Definitions)
        {
            if (!d.ReadOnly && values.TryGetValue(d.Name, out var v))
            {
                table.Load(d.Name, v);
            }
        }
        var wasDamaged = _damage is not null;
        _damage = null;
        if (_store is null)
        {
            return $"ok {what} in force (no parameters file: nothing saved)";
        }
        _moveAsidePending = File.Exists(_store.Path);
        Interlocked.Exchange(ref _dirtySince, Stopwatch.GetTimestamp() - (long)(SaveDebounce.TotalSeconds * Stopwatch.Frequency)); // at the next housekeeping
        return $"ok {what} in force{(wasDamaged ? "; arming allowed again" : "")}; saving them to {_store.Path}{(_moveAsidePending ? " (the old file is kept beside it as .before-reset-TIME)" : "")}";
    }

    /// <summary>
    /// Saves what is due (the housekeeping thread, every few ms): a change quiet for <see cref="SaveDebounce"/>, or a failed save
    /// once <see cref="RetryEvery"/> has passed. Returns a line for the console when something a person must know happened (a
    /// save failed, saving works again, a change is held because the file is damaged), else null.
    /// </summary>
    /// <param name="savedView">The values to write (a session's overrides replaced by the saved ones); called only when writing.</param>
    /// <param name="table">The table whose definitions are written.</param>
    /// <param name="now">Save what is unsaved without waiting for the debounce or the retry (at exit).</param>
    public string? Housekeep(Func<IReadOnlyList<double>> savedView, ParameterTable table, bool now = false)
    {
        var dirty = Volatile.Read(ref _dirtySince);
        if (_store is null || dirty == 0 || (!now && Stopwatch.GetElapsedTime(dirty) < SaveDebounce))
        {
            return null;
        }
        if (_damage is { } damage)
        {
            if (_heldReported)
            {
                return null;
            }
            _heldReported = true;
            return $"error: parameters not saved: {damage}; the change is in force until a restart ('params reset' accepts the defaults and saves)";
        }
        if (!now && _saveError is not null && Stopwatch.GetElapsedTime(_lastAttempt) < RetryEvery)
        {
            return null;
        }
        _lastAttempt = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _dirtySince, 0);
        try
        {
            if (_moveAsidePending)
            {
                _movedAside = _store.MoveAside("before-reset");
                _moveAsidePending = false;
                if (_movedAside is not null)
                {
                    _log($"parameters: the old file was moved to {_movedAside}");
                }
            }
            _store.Save(table, savedView());
            Saves++;
            var recovered = _saveError is not null;
            var tries = _failedInARow;
            _saveError = null;
            _failedInARow = 0;
            return recovered ? string.Create(CultureInfo.InvariantCulture, $"ok parameters saved to {_store.Path} (after {tries} failed tries)") : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Interlocked.CompareExchange(ref _dirtySince, _lastAttempt, 0); // still unsaved: try again
            FailedSaves++;
            _failedInARow++;
            var first = _saveError is null;
            _saveError = e.Message;
            return first
                ? $"error: parameters not saved to {_store.Path}: {e.Message}; the change is in force until a restart; retrying every {RetryEvery.TotalSeconds:F0} s"
                : null;
        }
    }

    /// <summary>One line for <c>status</c> and <c>params</c>.</summary>
    public string Describe()
    {
        if (_store is null)
        {
            return "parameters: not persisted (no --params file)";
        }
        if (_damage is { } damage)
        {
            return $"parameters: DAMAGED, arming refused: {damage}; 'params reset' accepts the defaults";
        }
        if (_saveError is { } error)
        {
            return string.Create(CultureInfo.InvariantCulture, $"parameters: NOT SAVED to {_store.Path} ({error}); {_failedInARow} failed tries, retrying every {RetryEvery.TotalSeconds:F0} s");
        }
        return string.Create(CultureInfo.InvariantCulture, $"parameters: {_store.Path}, {(Dirty ? "a change waiting to be saved" : "saved")}; {Saves} saves this run{(_movedAside is { } moved ? $"; the file before the reset is {moved}" : "")}");
    }
}
