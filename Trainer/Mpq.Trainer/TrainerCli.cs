using Mpq.Common.Cli;
using Mpq.Controller.Onnx;
using Mpq.MuJoCo;

namespace Mpq.Trainer;

/// <summary>The project's error policy (<see cref="CliErrors"/>) with the trainer's own usage errors.</summary>
internal static class TrainerCli
{
    /// <summary>
    /// Runs a command body; a malformed MuJoCo model or Q file and a request the run's state refuses (an output
    /// directory in use, a checkpoint of other settings: <see cref="InvalidOperationException"/>) are usage errors (exit 2).
    /// </summary>
    public static int Run(Func<int> body) => CliErrors.Run(body, typeof(MuJoCoException), typeof(QModelException), typeof(InvalidOperationException));
}
