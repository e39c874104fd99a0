namespace Mpq.Trainer.Identification;

/// <summary>The small dense linear algebra of a least-squares fit with a handful of parameters: the normal equations, a
/// pivoted solve, and the covariance's inverse (no library for a 3×3 to 8×8 system).</summary>
internal static class LeastSquares
{
    public static (double[,] JtJ, double[] Jtr) Normal(double[,] j, double[] r)
    {
        var n = j.GetLength(0);
        var p = j.GetLength(1);
        var jtj = new double[p, p];
        var jtr = new double[p];
        for (var i = 0; i < n; i++)
        {
            for (var a = 0; a < p; a++)
            {
                jtr[a] += j[i, a] * r[i];
                for (var b = 0; b <= a; b++)
                {
                    jtj[a, b] += j[i, a] * j[i, b];
                }
            }
        }
        for (var a = 0; a < p; a++)
        {
            for (var b = 0; b < a; b++)
            {
                jtj[b, a] = jtj[a, b];
            }
        }
        return (jtj, jtr);
    }

    public static double SumSquares(double[] r)
    {
        var sum = 0.0;
        foreach (var v in r)
        {
            sum += v * v;
        }
        return sum;
    }

    /// <summary>Solves a small symmetric system by Gaussian elimination with partial pivoting (zero where singular).</summary>
    public static double[] Solve(double[,] a, double[] b)
    {
        var p = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (var c = 0; c < p; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < p; r++)
            {
                if (Math.Abs(m[r, c]) > Math.Abs(m[pivot, c]))
                {
                    pivot = r;
                }
            }
            if (Math.Abs(m[pivot, c]) < 1e-300)
            {
                return new double[p];
            }
            if (pivot != c)
            {
                for (var k = 0; k < p; k++)
                {
                    (m[c, k], m[pivot, k]) = (m[pivot, k], m[c, k]);
                }
                (x[c], x[pivot]) = (x[pivot], x[c]);
            }
            for (var r = c + 1; r < p; r++)
            {
                var f = m[r, c] / m[c, c];
                for (var k = c; k < p; k++)
                {
                    m[r, k] -= f * m[c, k];
                }
                x[r] -= f * x[c];
            }
        }
        for (var c = p - 1; c >= 0; c--)
        {
            var sum = x[c];
            for (var k = c + 1; k < p; k++)
            {
                sum -= m[c, k] * x[k];
            }
            x[c] = sum / m[c, c];
        }
        return x;
    }

    /// <summary>The inverse of JᵀJ, computed on its diagonally scaled form so parameters of very different sizes do not
    /// lose precision. A parameter the residuals do not depend on at all (a zero column) gets an infinite variance and
    /// the others are inverted without it; a direction with next to no information comes back infinite too.</summary>
    public static double[,] Invert(double[,] a)
    {
        var p = a.GetLength(0);
        var inverse = new double[p, p];
        var kept = Enumerable.Range(0, p).Where(k => a[k, k] > 0).ToArray();
        for (var k = 0; k < p; k++)
        {
            inverse[k, k] = double.PositiveInfinity;
        }
        var n = kept.Length;
        var d = kept.Select(k => 1 / Math.Sqrt(a[k, k])).ToArray();
        var scaled = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < n; k++)
            {
                scaled[i, k] = a[kept[i], kept[k]] * d[i] * d[k];
            }
        }
        for (var c = 0; c < n; c++)
        {
            var e = new double[n];
            e[c] = 1;
            var column = Solve(scaled, e);
            for (var r = 0; r < n; r++)
            {
                inverse[kept[r], kept[c]] = column[r] * d[r] * d[c];
            }
        }
        // A near-singular scaled matrix (condition beyond ~1e12) says some combination is not determined.
        foreach (var k in kept)
        {
            if (!double.IsFinite(inverse[k, k]) || inverse[k, k] * a[k, k] > 1e12)
            {
                inverse[k, k] = double.PositiveInfinity;
            }
        }
        return inverse;
    }
}
