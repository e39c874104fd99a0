
namespace Mpq.Planning.Control;

/// <summary>Hands every transition and event to several sinks in order (a log, a learner's ring, a meter); null sinks are skipped.</summary>
/// <remarks>Runs on the control loop's thread: each sink must never wait (a <see cref="TransitionRing"/>, a <see cref="Logging.TransitionLog"/>).</remarks>
public sealed class TransitionFanout(params ITransitionSink?[] sinks) : ITransitionSink
{
    private readonly ITransitionSink[] _sinks = [.. sinks.OfType<ITransitionSink>()];

    public void Add(in Transition transition)
    {
        foreach (var sink in _sinks)
        {
            sink.Add(transition);
        }
    }

    public void Event(long step, string text)
    {
        foreach (var sink in _sinks)
        {
            sink.Event(step, text);
        }
    }
}
