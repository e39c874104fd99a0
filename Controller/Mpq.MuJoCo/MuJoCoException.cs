namespace Mpq.MuJoCo;

/// <summary>A model could not be loaded or used; the message carries MuJoCo's own text.</summary>
public sealed class MuJoCoException : Exception
{
    public MuJoCoException(string message) : base(message) { }
    public MuJoCoException(string message, Exception inner) : base(message, inner) { }
    public MuJoCoException() { }
}
