using Mpq.Tasks;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Onnx;

namespace Mpq.HilTests;

/// <summary>Q files made by the Trainer's exporter in a temporary folder, deleted on dispose.</summary>
internal sealed class QFiles : IDisposable
{
    private readonly PendulumSwingup _task = new();

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("mpq-qfile-").FullName;

    /// <summary>A small untrained Q network for the pendulum's action and the given observation width.</summary>
    public static QFunction Q(int observationSize = 3) => new(observationSize, 1, [32, 32], Enumerable.Repeat(0.5f, observationSize + 1).ToArray(), 100, 1);

    /// <summary>Exports <paramref name="q"/> with the given task name and layout (default: the pendulum's).</summary>
    public string Export(QFunction q, string task = "pendulum", string[]? layout = null, string? path = null, double[]? actionHigh = null)
    {
        path ??= Path.Combine(Directory, $"{Guid.NewGuid():N}.onnx");
        OnnxExporter.Write(q, new Mpq.Controller.Onnx.QFileMetadata(task, layout ?? _task.ObservationLayout.Take(q.ObservationSize).ToArray(), 1, 0.1, 0.99, 8, "test",
            ActionLow: actionHigh?.Select(h => -h).ToArray(), ActionHigh: actionHigh), path);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
