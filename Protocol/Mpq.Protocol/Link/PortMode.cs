namespace Mpq.Protocol.Link;

/// <summary>Who a shared serial port answers: a person at a terminal, or a program speaking frames.</summary>
public enum PortMode
{
    /// <summary>Text lines are commands and get text replies; frames other than Hello are ignored.</summary>
    Console,

    /// <summary>Frames are messages and get frame replies; text lines other than <c>console</c> are ignored.</summary>
    Binary,
}
