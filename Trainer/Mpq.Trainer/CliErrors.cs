using System.Text.Json;

namespace Mpq.Trainer;

/// <summary>Bad input (arguments, files, ports, runs) ends in one line on stderr and exit code 2, never a stack trace.</summary>
internal static class CliErrors
{
    public const int BadInput = 2;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
            or FormatException or JsonException or InvalidDataException or Controller.Onnx.QModelException)
        {
            Console.Error.WriteLine($"error: {e.Message.Split('\n')[0]}");
            return BadInput;
        }
    }
}
