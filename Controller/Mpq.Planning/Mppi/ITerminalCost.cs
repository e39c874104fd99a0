namespace Mpq.Planning.Mppi;

/// <summary>A batched terminal cost Q(s_{H-1}, a_{H-1}) (a learned soft Q function, as a cost-to-go).</summary>
/// <remarks>
/// The planner owns the buffers and binds them once per configuration (pinned arrays, so a native
/// runtime may bind them too); each planning step fills the first <c>count</c> rows and calls
/// <see cref="Evaluate"/> once for all samples.
/// </remarks>
public interface ITerminalCost
{
    int ObservationSize { get; }
    int ActionSize { get; }

    /// <summary>Binds row-major input buffers (capacity × width) and the output (capacity).</summary>
    void Bind(float[] observations, float[] actions, float[] values, int capacity);

    /// <summary>Writes Q for rows 0 … count−1 into the bound output. Must not allocate.</summary>
    void Evaluate(int count);
}
