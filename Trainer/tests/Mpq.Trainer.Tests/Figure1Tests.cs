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
    public void Summary_ReportsTheCrossingOfTheTrailingMeans()
    {
        var configs = new[] { new Configuration("MPQ H=8", Algorithm.Mpq, 8), new Configuration("MPPI H=32", Algorithm.Mppi, 32) };
        var summary = Figure1.Summary(Rows(), configs, 1, TimeSpan.FromMinutes(1));
        // Trailing 5-episode mean of 1000 − 50e is below 400 once 1000 − 50(e − 2) < 400, i.e. from e = 15.
        Assert.That(summary, Does.Contain("seed 1: MPQ H=8 below MPPI H=32 (5-episode mean) from episode 15"));
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
