using Mpq.Tasks;

namespace Mpq.Controller.Onnx;

/// <summary>
/// Loads a new Q file off the control loop: validates it (<see cref="OnnxTerminalCost.Load"/>), runs it once so
/// ONNX Runtime's first-run setup is done, and only then hands it over; a refused file leaves the Q in use alone.
/// Optionally watches the current file and reloads it when it changes on disk (a trainer writing a new q.onnx).
/// </summary>
/// <remarks>
/// The hand-over (<c>offer</c>) must only publish the new Q for the loop to swap in between two steps; it runs on
/// the console thread or the watcher's timer thread, never on the loop thread.
/// </remarks>
public sealed class QReloader : IDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private readonly ITask _task;
    private readonly int _warmRows;
    private readonly Action<OnnxTerminalCost> _offer;
    private readonly Action<string> _log;
    private readonly Lock _gate = new();
    private readonly Timer _debounce;
    private FileSystemWatcher? _watcher;
    private bool _disposed;

    /// <param name="task">The task every new Q must have been trained for.</param>
    /// <param name="currentPath">The Q file in use, if any (the default for <see cref="Reload"/> and what is watched).</param>
    /// <param name="warmRows">Rows of the warm-up run (the planner's sample count).</param>
    /// <param name="offer">Publishes a validated Q for the loop; takes ownership of it.</param>
    /// <param name="log">Where reload results from the file watcher are reported.</param>
    public QReloader(ITask task, string? currentPath, int warmRows, Action<OnnxTerminalCost> offer, Action<string> log)
    {
        _task = task;
        _warmRows = warmRows;
        _offer = offer;
        _log = log;
        CurrentPath = currentPath is null ? null : Path.GetFullPath(currentPath);
        _debounce = new Timer(_ => _log($"q file changed on disk: {Reload()}"));
    }

    /// <summary>The file of the Q in use (after the last successful reload).</summary>
    public string? CurrentPath { get; private set; }

    /// <summary>Successful reloads so far.</summary>
    public int Reloads { get; private set; }

    /// <summary>Refused files so far.</summary>
    public int Refusals { get; private set; }

    /// <summary>Reloads on every change of <see cref="CurrentPath"/> on disk (after it has been quiet for 300 ms).</summary>
    public void Watch()
    {
        lock (_gate)
        {
            WatchCurrentPathLocked();
        }
    }

    private void WatchCurrentPathLocked()
    {
        _watcher?.Dispose();
        _watcher = null;
        if (CurrentPath is null || _disposed)
        {
            return;
        }
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(CurrentPath)!, Path.GetFileName(CurrentPath))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
        };
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>
    /// Loads <paramref name="path"/> (default: <see cref="CurrentPath"/>), validates and warms it, and offers it to
    /// the loop. Returns the reply for a person: <c>ok …</c>, or <c>error: …</c> with the old Q kept.
    /// </summary>
    public string Reload(string? path = null)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return "error: the controller is shutting down";
            }
            var file = path ?? CurrentPath;
            if (file is null)
            {
                return "error: no Q file given and none in use (reload FILE)";
            }
            OnnxTerminalCost? q = null;
            try
            {
                q = OnnxTerminalCost.Load(file, _task);
                q.Warm(_warmRows);
            }
            catch (QModelException e)
            {
                q?.Dispose();
                Refusals++;
                return $"error: {e.Message}; the Q in use is kept";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                q?.Dispose();
                Refusals++;
                return $"error: Q file '{file}' could not be used: {e.Message}; the Q in use is kept";
            }
            _offer(q);
            Reloads++;
            var moved = CurrentPath != Path.GetFullPath(file);
            CurrentPath = Path.GetFullPath(file);
            if (moved && _watcher is not null)
            {
                WatchCurrentPathLocked(); // follow the file now in use
            }
            var run = q.Metadata.TryGetValue("mpq.run_id", out var id) ? $" (run {id})" : "";
            return $"ok loaded {file}{run}; in use from the next step";
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (string.Equals(e.FullPath, CurrentPath, StringComparison.Ordinal))
        {
            // A trainer rewriting the file raises several events; load once it has been quiet for a moment.
            _debounce.Change(Settle, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _watcher?.Dispose();
            _watcher = null;
        }
        _debounce.Dispose();
    }
}
