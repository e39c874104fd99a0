using Mpq.Protocol.Framing;
using Mpq.Protocol.Messages;

namespace Mpq.Protocol.Link;

/// <summary>Receives what a <see cref="LinkDemultiplexer"/> routes; exactly one of the two handlers answers in each mode.</summary>
public interface ILinkHandler
{
    /// <summary>A decoded frame (binary mode; the instance is reused, copy what you keep).</summary>
    void OnMessage(Message message, ushort sequence);

    /// <summary>A complete text line typed at a terminal (console mode only).</summary>
    void OnTextLine(string line);

    /// <summary>Console mode with a <see cref="LinkDemultiplexer.Editor"/>: text to echo back to the person typing (never in binary mode).</summary>
    void OnEcho(string text)
    {
    }

    /// <summary>The port changed mode; <paramref name="reason"/> says why (for logs and the console).</summary>
    void OnModeChanged(PortMode mode, string reason);

    /// <summary>Binary mode: a frame arrived intact (good CRC) but malformed; <paramref name="type"/> is its type byte (e.g. to answer a malformed request).</summary>
    void OnMalformedFrame(byte type, DropReason reason)
    {
    }
}
