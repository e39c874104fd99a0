using Mpq.Common;
using Mpq.MuJoCo;

namespace Mpq.Tasks;

/// <summary>
/// A biased prior on one physical parameter: uniform with mean <c>MeanFactor × true</c> and
/// half-width <c>HalfWidthFactor × true</c>.
/// </summary>
public sealed record ParameterPrior(double MeanFactor, double HalfWidthFactor)
{
    /// <summary>The paper's form (Table 1): mean = bias × true, range = ±σ × true.</summary>
    public static ParameterPrior FromPaper(double bias, double sigma) => Validated(bias, sigma);

    /// <summary>The authors' code's form: mean = (1 + bias) × true, U(mean (1 − noise), mean (1 + noise)).</summary>
    public static ParameterPrior FromAuthors(double noise, double bias) => Validated(1 + bias, (1 + bias) * noise);

    /// <summary>Draws a value for a parameter whose true value is <paramref name="trueValue"/>.</summary>
    public double Sample(double trueValue, ref SplitMix64 rng) =>
        trueValue * (MeanFactor + HalfWidthFactor * (2 * rng.NextDouble() - 1));

    private static ParameterPrior Validated(double mean, double halfWidth)
    {
        if (!double.IsFinite(mean) || mean <= 0 || !double.IsFinite(halfWidth) || halfWidth < 0 || halfWidth >= mean)
        {
            throw new ArgumentOutOfRangeException(nameof(mean), $"prior mean factor {mean} and half-width factor {halfWidth} must be finite with 0 <= half-width < mean");
        }
        return new ParameterPrior(mean, halfWidth);
    }
}

/// <summary>A physical parameter of a task: name, true value, biased prior and how to write it into a model.</summary>
/// <param name="Name">Short name, e.g. <c>mass</c>.</param>
/// <param name="TrueValue">The value the true system has.</param>
/// <param name="Prior">The controller's biased belief about it.</param>
/// <param name="Apply">Writes a value into a model of the task (may adjust derived fields, e.g. inertia).</param>
public sealed record TaskParameter(string Name, double TrueValue, ParameterPrior Prior, Action<MjModel, double> Apply);

/// <summary>Helpers over a task's parameter list.</summary>
public static class TaskParameters
{
    /// <summary>Draws every parameter from its prior into <paramref name="values"/>.</summary>
    public static void Sample(IReadOnlyList<TaskParameter> parameters, Span<double> values, ref SplitMix64 rng)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            values[i] = parameters[i].Prior.Sample(parameters[i].TrueValue, ref rng);
        }
    }

    /// <summary>Writes the given values into <paramref name="model"/>.</summary>
    public static void Apply(IReadOnlyList<TaskParameter> parameters, MjModel model, ReadOnlySpan<double> values)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (!double.IsFinite(values[i]) || values[i] <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(values), values[i], $"parameter '{parameters[i].Name}' must be a positive finite number");
            }
            parameters[i].Apply(model, values[i]);
        }
    }

    /// <summary>The prior means (the "nominal biased model").</summary>
    public static double[] Means(IReadOnlyList<TaskParameter> parameters)
    {
        var values = new double[parameters.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = parameters[i].TrueValue * parameters[i].Prior.MeanFactor;
        }
        return values;
    }
}
