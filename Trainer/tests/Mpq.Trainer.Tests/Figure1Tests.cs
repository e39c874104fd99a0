using Mpq.Trainer.Experiments;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Tests;

[TestFixture]
public class Figure1Tests
{
    private static List<Figure1.Row> Rows()
    {
        var rows = new List<Figure1.Row>();
        for (var e = 0; e < 20; e++)
        {
            rows.Add(new("MPQ H=8", 1, e, 1000 - 50 * e, e > 10, 1));
            rows.Add(new("MPPI H=32", 1, e, 400, true, 1));
        }
        return rows;
    }

    [Test]
    public void Csv_RoundTrips()
    {
        var path = Path.GetTempFileName();
        try
        {
            Figure1.WriteCsv(Rows(), path);
            Assert.That(Figure1.ReadCsv(path), Is.EqualTo(Rows()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Csv_LabelWithCommaOrQuote_RoundTrips()
    {
        // A label such as "MPQ H=8, floor 0" once made `experiment plot` crash on its own results.csv (FormatException).
        var rows = new List<Figure1.Row> { new("MPQ H=8, floor 0", 1, 0, 12.5, true, 1, 2.5, "mpq"), new("MPPI \"long\", H=32", 2, 1, 7, false, 1, 3, "mppi-long") };
        var path = Path.GetTempFileName();
        try
        {
            Figure1.WriteCsv(rows, path);
            Assert.That(Figure1.ReadCsv(path), Is.EqualTo(rows));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase("MPQ H=8,1,0,not-a-number,1,1,2,mpq")]
    [TestCase("MPQ H=8,1,0")]
    [TestCase("\"MPQ H=8,1,0,12,1,1,2,mpq")]
    public void Csv_MalformedLine_ClearErrorNamingTheLine(string line)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "config,seed,episode,cost,success,wall_seconds,plan_ms,key\nMPPI H=32,1,0,400,1,1,2,mppi-long\n" + line + "\n");
            var error = Assert.Throws<FormatException>(() => Figure1.ReadCsv(path))!;
            Assert.That(error.Message, Does.Contain("line 3"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Summary_ReportsTheCrossingOfTheTrailingMeans()
    {
        var configs = new[] { new Configuration("MPQ H=8", Algorithm.Mpq, 8, Key: "mpq"), new Configuration("MPPI H=32", Algorithm.Mppi, 32, Key: "mppi-long") };
        var summary = Figure1.Summary(Rows(), configs, TimeSpan.FromMinutes(1), "pendulum");
        // Trailing 5-episode mean of 1000 − 50e is below 400 once 1000 − 50(e − 2) < 400, i.e. from e = 15.
        Assert.That(summary, Does.Contain("MPQ H=8 first below MPPI H=32 (5-episode mean), per seed: 15"));
        Assert.That(summary, Does.Contain("# Figure 1, pendulum: 1 seeds × 20 episodes"));
    }

    private static List<Figure1.Row> Seeded(string label, string key, Func<ulong, int, double> cost, int seeds = 5, int episodes = 20)
    {
        var rows = new List<Figure1.Row>();
        for (ulong s = 1; s <= (ulong)seeds; s++)
        {
            for (var e = 0; e < episodes; e++)
            {
                rows.Add(new(label, s, e, cost(s, e), false, 1, 2.5, key));
            }
        }
        return rows;
    }

    [Test]
    public void Comparisons_ClearWinAndTie_SayYesAndNotShown()
    {
        // MPQ 100 + s, MPPI-long 150 + s (paired: the seed effect cancels) → difference −50 exactly, yes.
        // MPPI short = MPQ ± 10 alternating by seed → the interval contains 0: not shown.
        var rows = Seeded("MPQ H=8", "mpq", (s, _) => 100.0 + s)
            .Concat(Seeded("MPPI H=32", "mppi-long", (s, _) => 150.0 + s))
            .Concat(Seeded("MPPI H=32 true model", "mppi-long-true", (s, _) => 120.0 + s))
            .Concat(Seeded("MPPI H=8", "mppi-short", (s, _) => 100.0 + s + (s % 2 == 0 ? 10 : -10))).ToList();
        var present = Figure1.ConfigurationsIn(rows);
        var lines = Figure1.Comparisons(rows, present);
        Assert.That(lines, Has.Some.Contains("MPQ H=8 − MPPI H=32 = -50.0 [-50.0, -50.0]: **yes**"));
        Assert.That(lines, Has.Some.Contains("MPPI H=32 − MPPI H=32 true model = 30.0 [30.0, 30.0]: **yes**, the bias costs"));
        Assert.That(lines, Has.Some.Contains("Q helps the short horizon?").And.Contains("**not shown**"));
    }

    [Test]
    public void Summary_ReadBackFromCsv_PlainMppiStillSaysNoLearning()
    {
        var rows = Seeded("MPQ H=8", "mpq", (_, e) => 1000.0 - 30 * e, episodes: 30)
            .Concat(Seeded("MPPI H=32", "mppi-long", (_, _) => 70.0, episodes: 30)).ToList();
        var summary = Figure1.Summary(rows, Figure1.ConfigurationsIn(rows), TimeSpan.FromMinutes(1), "ballincup");
        Assert.That(summary, Does.Contain("| MPPI H=32 | 70.0 [70.0, 70.0] |").And.Contain("(no learning) |"));
        Assert.That(summary, Does.Contain("still falling |"), "the learner's curve is judged");
    }

    [Test]
    public void FlattensAt_FallingThenFlat_IsTheEpisodeItSettles()
    {
        var rows = Seeded("MPQ H=8", "mpq", (_, e) => e < 10 ? 1000.0 - 90 * e : 100, episodes: 30);
        var at = Figure1.FlattensAt(rows, "MPQ H=8");
        Assert.That(at, Is.InRange(10, 14), "the 5-episode window reaches the floor within 5 episodes of episode 10");
        var falling = Seeded("MPQ H=8", "mpq", (_, e) => 1000.0 - 30 * e, episodes: 30);
        Assert.That(Figure1.FlattensAt(falling, "MPQ H=8"), Is.Null, "a curve still falling in its last episodes has not flattened");
    }

    [Test]
    public void Select_UnknownKey_NamesTheKnownOnes()
    {
        var all = Figure1.Default(8, 32, 256);
        Assert.That(Figure1.Select(all, "mpq,mppi-long-true").Select(c => c.Key), Is.EqualTo(new[] { "mpq", "mppi-long-true" }));
        Assert.That(all.Single(c => c.Key == "mppi-long-budget").Samples, Is.EqualTo(64), "256 · 8 / 32: the same N·H");
        Assert.That(() => Figure1.Select(all, "mpq,mppi"), Throws.ArgumentException.With.Message.Contains("mppi-long-true"));
    }

    [Test]
    public void Plot_WritesAPng()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mpq-fig-{Environment.ProcessId}.png");
        try
        {
            Figure1.Plot(Rows(), [new("MPQ H=8", Algorithm.Mpq, 8), new("MPPI H=32", Algorithm.Mppi, 32)], path, "pendulum");
            var header = File.ReadAllBytes(path)[..8];
            Assert.That(header, Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

[TestFixture]
public class Table2Tests
{
    [Test]
    public void Markdown_OneRowPerHorizon_SuccessCountsPerMode()
    {
        var rows = new[]
        {
            new Table2.Row(1, "true system", 1, 3, 100, 180, 0, 10),
            new Table2.Row(1, "DR", 1, 1, 100, 195, 0, 10),
            new Table2.Row(8, "true system", 1, 62, 100, 90, 5, 20),
            new Table2.Row(8, "DR", 1, 17, 100, 160, 1, 20),
        };
        var md = Table2.Markdown(rows, "ballincup", 30, 0.5, TimeSpan.FromMinutes(3));
        Assert.That(md, Does.Contain("| H | MPQ (true system) | MPQ (DR) |"));
        Assert.That(md, Does.Contain("| 1 | 3/100 | 1/100 |"));
        Assert.That(md, Does.Contain("| 8 | 62/100 | 17/100 |"));
        Assert.That(Table2.Csv(rows).Split('\n')[1], Is.EqualTo("1,true system,1,3,100,180.00,0,10.0"));
    }

    [Test]
    public void Markdown_SeveralSeeds_SumsEachCellAndListsThePerSeedCounts()
    {
        var rows = new[]
        {
            new Table2.Row(4, "true system", 1, 10, 100, 150, 2, 10),
            new Table2.Row(4, "true system", 2, 30, 100, 120, 4, 10),
            new Table2.Row(4, "DR", 1, 5, 100, 170, 1, 10),
            new Table2.Row(4, "DR", 2, 0, 100, 199, 0, 10),
        };
        var md = Table2.Markdown(rows, "ballincup", 30, 0.5, TimeSpan.FromMinutes(3));
        Assert.That(md, Does.Contain("| 4 | 40/200 (10, 30 per seed) | 5/200 (5, 0 per seed) |"));
        Assert.That(md, Does.Contain("2 seeds, summed"));
    }
}
