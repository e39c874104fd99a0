namespace Mpq.Planning.Tasks;

/// <summary>The tasks the command lines know by name.</summary>
public static class TaskCatalog
{
    /// <summary>Every task name, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["pendulum"];

    /// <summary>Creates a task by CLI name.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ITask Create(string name) => name switch
    {
        "pendulum" => new PendulumSwingup(),
        _ => throw new ArgumentException($"unknown task '{name}'; known tasks: {string.Join(", ", Names)}", nameof(name)),
    };
}
