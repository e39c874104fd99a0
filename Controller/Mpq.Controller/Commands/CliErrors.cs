using Mpq.MuJoCo;

namespace Mpq.Controller.Commands;

/// <summary>Turns failures into one clear line on stderr and a non-zero exit code, never a stack trace.</summary>
internal static class CliErrors
{
    /// <summary>Exit code for bad input (arguments, files, states).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code for a failure of the environment (missing native library) or a bug.</summary>
    public const int Failure = 1;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or MuJoCoException or FormatException or FileNotFoundException or Onnx.QModelException or IOException)
        {
            Console.Error.WriteLine($"error: {FirstLine(e.Message)}");
            return BadInput;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"error: {FirstLine(e.Message)}");
            return Failure;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {FirstLine(e.Message)}");
            return Failure;
        }
    }

    private static string FirstLine(string text)
    {
        var i = text.IndexOf('\n', StringComparison.Ordinal);
        return (i < 0 ? text : text[..i]).Trim();
    }
}
