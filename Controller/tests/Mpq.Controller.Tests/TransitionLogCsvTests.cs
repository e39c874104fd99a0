using System.Globalization;
using System.Text;
using Mpq.Planning.Control;
using Mpq.Planning.Logging;
using Mpq.Tasks;

namespace Mpq.Controller.Tests;

/// <summary>The CSV export, read back with an RFC 4180 parser (the rules pandas' and PlotJuggler's readers follow).</summary>
[TestFixture]
public class TransitionLogCsvTests
{
    private string _path = null!;

    [SetUp]
    public void SetUp() => _path = Path.Combine(Path.GetTempPath(), $"mpq-csv-{Guid.NewGuid():N}.log");

    [TearDown]
    public void TearDown() => File.Delete(_path);

    [Test]
    public void Write_PendulumLog_DocumentedColumnsWithUnitsAndOneRowPerTransition()
    {
        using (var log = TransitionLog.Create(_path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig")))
        {
            log.Add(new Transition(0, [1, 0, 0.5], [0.75], 1.5, [1, 0, 0.25], [0, 0.5], [0, 0.25], false, [0.5]));
            log.Event(1, "horizon=12 noise_std=0.5, then \"more\"");
            log.Add(new Transition(1, [1, 0, 0.25], [-1e-7], 0.125, [1, 0, 0], [0, 0.25], [0, 0], true, [-1e-7]));
        }
        var text = new StringWriter();
        TransitionLogCsv.Write(TransitionLogReader.Read(_path), text);
        var rows = Parse(text.ToString());

        Assert.That(rows[0], Is.EqualTo(new[]
        {
            "time [s]", "episode", "step", "cos_theta", "sin_theta", "theta_dot [rad/s]", "torque [N·m]", "torque_applied [N·m]",
            "cost", "done", "qpos_hinge [rad]", "qvel_hinge [rad/s]", "hinge_wrapped [rad]", "setting",
        }));
        Assert.That(rows, Has.Count.EqualTo(3), "a header and one row per transition");
        Assert.That(rows.Skip(1).All(r => r.Count == rows[0].Count), "every row has every column");
        double D(int row, string column) => double.Parse(rows[row][rows[0].IndexOf(column)], CultureInfo.InvariantCulture);
        Assert.That((D(1, "theta_dot [rad/s]"), D(1, "torque [N·m]"), D(1, "torque_applied [N·m]"), D(1, "cost"), D(1, "qvel_hinge [rad/s]")),
            Is.EqualTo((0.5, 0.75, 0.5, 1.5, 0.5)));
        Assert.That((D(2, "step"), D(2, "done"), (float)D(2, "torque [N·m]")), Is.EqualTo((1.0, 1.0, -1e-7f)), "round-trip numbers (the logged float32), '.' decimals");
        Assert.That(rows[1][^1], Is.Empty);
        Assert.That(rows[2][^1], Is.EqualTo("horizon=12 noise_std=0.5, then \"more\""), "the setting change on the step it took effect, quoted");
    }

    // Issue 29: the CSV had the unwrapped angle a rig's encoder counts (q0 -18.896 rad) under an unlabelled state_0.
    [Test]
    public void Write_HingeState_NamedByItsJointWithUnits_AndItsAngleWrapped()
    {
        using (var log = TransitionLog.Create(_path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig")))
        {
            log.Add(new Transition(0, [1, 0, 0.5], [0.75], 1.5, [1, 0, 0.25], [7, 1], [7, 1], false, [0.5]));
            log.Add(new Transition(1, [1, 0, 0.25], [0.5], 0.125, [1, 0, 0], [-18.896, 1], [-18.896, 1], true, [0.5]));
        }
        var text = new StringWriter();
        TransitionLogCsv.Write(TransitionLogReader.Read(_path), text);
        var rows = Parse(text.ToString());
        double D(int row, string column) => double.Parse(rows[row][rows[0].IndexOf(column)], CultureInfo.InvariantCulture);
        Assert.That((D(1, "qpos_hinge [rad]"), D(1, "qvel_hinge [rad/s]")), Is.EqualTo((7.0, 1.0)), "the state as logged");
        Assert.That(D(1, "hinge_wrapped [rad]"), Is.EqualTo(7 - 2 * Math.PI).Within(1e-12));
        Assert.That(D(2, "hinge_wrapped [rad]"), Is.EqualTo(-18.896 + 6 * Math.PI).Within(1e-12));
    }

    // Issue 29: "log export said '6 setting change(s)' and wrote 3": events at a step no transition has (a setting before
    // the first step, a disarm after an episode's last) had nowhere to go and were dropped.
    [Test]
    public void Write_EventsAtStepsWithoutATransition_EachStillInTheCsv_InTimeOrder()
    {
        using (var log = TransitionLog.Create(_path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig")))
        {
            log.Event(0, "torque_limit=1");
            log.Event(0, "armed");
            log.Add(new Transition(0, [1, 0, 0.5], [0.75], 1.5, [1, 0, 0.25], [0, 0.5], [0, 0.25], false, [0.5]));
            log.Event(1, "horizon=12");
            log.Add(new Transition(1, [1, 0, 0.25], [0.5], 0.125, [1, 0, 0], [0, 0.25], [0, 0], true, [0.5]));
            log.Event(2, "disarmed (estop)");
            log.Event(7, "disarmed (watchdog)");
        }
        var read = TransitionLogReader.Read(_path);
        var text = new StringWriter();
        TransitionLogCsv.Write(read, text);
        var rows = Parse(text.ToString());
        var setting = rows[0].IndexOf("setting");
        var written = rows.Skip(1).Select(r => r[setting]).Where(t => t.Length > 0).SelectMany(t => t.Split("; ")).ToArray();
        Assert.That(written, Is.EqualTo(read.Events.Select(e => e.Text).ToArray()), "every event, once, in the order logged");
        Assert.That(rows.Skip(1).All(r => r.Count == rows[0].Count), "every row has every column");
        var times = rows.Skip(1).Select(r => double.Parse(r[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.That(times, Is.Ordered, "rows in time order");
        Assert.That(TransitionLogCsv.Write(read, new StringWriter()), Is.EqualTo(rows.Count - 1), "the row count 'log export' reports");
        var transitions = rows.Skip(1).Count(r => r[rows[0].IndexOf("cost")].Length > 0);
        Assert.That(transitions, Is.EqualTo(2), "an event-only row has no transition's values");
    }

    [Test]
    public void Write_ReadByPandas_ColumnsRowsAndValues()
    {
        // pandas itself, as a user's notebook reads the export (scripts/ensure-deps.sh installs it for ./test.sh); the RFC
        // 4180 test above checks the same rules without it.
        var python = new[] { "/usr/bin/python3", "python3" }.FirstOrDefault(p => RunPython(p, "import pandas").Code == 0);
        if (python is null)
        {
            Assert.Fail("pandas is not installed: run ./test.sh (scripts/ensure-deps.sh installs it) or apt-get install python3-pandas");
        }
        using (var log = TransitionLog.Create(_path, TransitionLogHeader.For(new PendulumSwingup(), stateSize: 2, source: "rig")))
        {
            log.Add(new Transition(0, [1, 0, 0.5], [0.75], 1.5, [1, 0, 0.25], [0, 0.5], [0, 0.25], false, [0.5]));
            log.Event(1, "horizon=12, lambda=0.2");
            log.Add(new Transition(1, [1, 0, 0.25], [-0.25], 0.125, [1, 0, 0], [0, 0.25], [0, 0], true, [-0.25]));
        }
        var csv = _path + ".csv";
        try
        {
            using (var writer = new StreamWriter(csv, append: false, new UTF8Encoding(false)))
            {
                TransitionLogCsv.Write(TransitionLogReader.Read(_path), writer);
            }
            var (code, output) = RunPython(python!, $"import pandas as pd; d = pd.read_csv('{csv}'); print('|'.join(d.columns)); print(len(d)); "
                + "print(d['torque [N·m]'].tolist(), d['torque_applied [N·m]'].tolist(), d['setting'].fillna('').tolist())");
            Assert.That(code, Is.Zero, output);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines[0], Is.EqualTo(string.Join('|', TransitionLogCsv.Columns(TransitionLogReader.Read(_path).Header))));
            Assert.That(lines[1], Is.EqualTo("2"));
            Assert.That(lines[2], Is.EqualTo("[0.75, -0.25] [0.5, -0.25] ['', 'horizon=12, lambda=0.2']"));
        }
        finally
        {
            File.Delete(csv);
        }
    }

    private static (int Code, string Output) RunPython(string python, string code)
    {
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(code);
            using var p = System.Diagnostics.Process.Start(info)!;
            var output = p.StandardOutput.ReadToEndAsync();
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output.Result + error);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, $"{python} not found");
        }
    }

    /// <summary>RFC 4180: fields separated by commas, quoted fields may hold commas, quotes (doubled) and line breaks.</summary>
    private static List<List<string>> Parse(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                Assert.That(field.Length, Is.Zero, "a quote only opens a field");
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                row.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                rows.Add(row);
                row = [];
            }
            else
            {
                field.Append(c);
            }
        }
        Assert.That(quoted, Is.False, "no quote left open");
        Assert.That(field.Length + row.Count, Is.Zero, "the last line ends with a line break");
        return rows;
    }
}
