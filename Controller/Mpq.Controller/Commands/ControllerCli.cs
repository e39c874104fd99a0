using Mpq.Common.Cli;
using Mpq.Controller.Onnx;
using Mpq.MuJoCo;

namespace Mpq.Controller.Commands;

/// <summary>The project's error policy (<see cref="CliErrors"/>) with the controller's own usage errors.</summary>
internal static class ControllerCli
{
    /// <summary>Runs a command body; a malformed MuJoCo model or Q file is a usage error (exit 2), as a bad argument is.</summary>
    public static int Run(Func<int> body) => CliErrors.Run(body, typeof(MuJoCoException), typeof(QModelException));
}
