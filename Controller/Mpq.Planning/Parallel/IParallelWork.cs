namespace Mpq.Planning.Parallel;

/// <summary>Work split across a <see cref="WorkerPool"/>; implemented by the caller itself so dispatch allocates nothing.</summary>
public interface IParallelWork
{
    /// <summary>Runs the share of worker <paramref name="worker"/> out of <paramref name="workers"/>.</summary>
    void Execute(int worker, int workers);
}
