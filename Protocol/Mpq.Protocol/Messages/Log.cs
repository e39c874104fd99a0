namespace Mpq.Protocol.Messages;

/// <summary>Severity of a <see cref="Log"/> line.</summary>
public enum LogLevel : byte
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

/// <summary>Either direction: a line of log text (never sent from a control loop thread).</summary>
/// <remarks>Payload (2 + t bytes): u8 level, u8 text length t, text[t].</remarks>
public sealed class Log : TextMessage
{
    public override MessageType Type => MessageType.Log;
    protected override int FixedLength => 1;
    public LogLevel Level { get; set; }

    protected override void WriteFixed(Span<byte> payload) => payload[0] = (byte)Level;

    protected override void ReadFixed(ReadOnlySpan<byte> payload) => Level = (LogLevel)payload[0];
}
