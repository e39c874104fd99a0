using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mpq.Common;
using Mpq.Controller.Rig;
using Mpq.Planning.Logging;

namespace Mpq.Controller.Dashboard;

/// <summary>What the dashboard's page is sent: a live run's samples, or a log's trajectory.</summary>
internal static class DashboardData
{
    /// <summary>The first message for a live run.</summary>
    public static byte[] LiveMeta(string title, int joints, int actuators) => DashboardServer.Json(w =>
    {
        w.WriteStartObject("meta");
        w.WriteString("title", title);
        w.WriteNumber("joints", joints);
        w.WriteNumber("actuators", actuators);
        w.WriteBoolean("live", true);
        w.WriteEndObject();
    });

    /// <summary>
    /// A live run's sampler (called on the dashboard's thread): the rig's latest State (wrapped angles, applied torque,
    /// arm state, faults), the last Command, the planner's live limit, link and timing figures.
    /// </summary>
    public static Func<byte[]?> Live(RigClient client, RigRunner runner)
    {
        var started = Stopwatch.GetTimestamp();
        var rig = new RigSnapshot(client.Rig?.Joints ?? 1);
        var commanded = new double[Mpq.Protocol.Framing.Frame.MaxJoints];
        return () =>
        {
            if (!client.TryGetLatest(rig))
            {
                return null;
            }
            var n = client.CopyCommanded(commanded);
            var high = runner.Planner.Plan.High.ToArray();
            var plan = runner.PlanTimes;
            var rt = client.RoundTrip;
            var (steps, misses) = runner.Progress;
            return DashboardServer.Json(w =>
            {
                w.WriteStartObject("s");
                w.WriteNumber("t", Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 3));
                w.WriteStartArray("q");
                foreach (var q in rig.Position)
                {
                    DashboardServer.Number(w, Angles.Wrap(q));
                }
                w.WriteEndArray();
                DashboardServer.Numbers(w, "v", rig.Velocity);
                w.WriteStartArray("cmd");
                for (var a = 0; a < rig.Torque.Length; a++)
                {
                    DashboardServer.Number(w, a < n ? commanded[a] : double.NaN);
                }
                w.WriteEndArray();
                DashboardServer.Numbers(w, "app", rig.Torque);
                w.WriteStartArray("lim");
                for (var a = 0; a < rig.Torque.Length; a++)
                {
                    DashboardServer.Number(w, a < high.Length ? high[a] : double.NaN);
                }
                w.WriteEndArray();
                w.WriteString("arm", rig.Arm.ToString().ToLowerInvariant());
                w.WriteString("faults", rig.Faults.ToString());
                w.WriteString("link", client.Failure is null ? "up" : "lost");
                w.WritePropertyName("rt");
                DashboardServer.Number(w, rt.Count > 0 ? rt.Percentile(0.5) : double.NaN);
                w.WriteNumber("rej", client.Received.DroppedTotal);
                w.WritePropertyName("p50");
                DashboardServer.Number(w, plan.Count > 0 ? plan.Percentile(0.5) : double.NaN);
                w.WritePropertyName("p99");
                DashboardServer.Number(w, plan.Count > 0 ? plan.Percentile(0.99) : double.NaN);
                w.WriteNumber("miss", misses);
                w.WriteNumber("steps", steps);
                w.WriteEndObject();
            });
        };
    }

    /// <summary>
    /// A log for review, in one message: its meta and its whole trajectory (the first half of each State, the joint
    /// positions, wrapped; commanded and applied actions; the limit as it was at each step; the events).
    /// </summary>
    public static byte[] Review(string path, TransitionLogReader log, double[]? taskLimit)
    {
        var h = log.Header;
        var records = log.Records;
        var joints = Math.Max(1, h.StateSize / 2);
        var t0 = records.Count > 0 ? records[0].Time : 0;
        var steps = TransitionLogLimits.Steps(h, taskLimit, log.Events.Select(e => (e.Time - t0, e.Text)));
        return DashboardServer.Json(w =>
        {
            w.WriteStartObject("meta");
            w.WriteString("title", string.Create(CultureInfo.InvariantCulture, $"review: {Path.GetFileName(path)} ({h.Task}, {h.Source}, {records.Count} steps)"));
            w.WriteNumber("joints", joints);
            w.WriteNumber("actuators", h.ActionSize);
            w.WriteBoolean("live", false);
            w.WriteEndObject();
            w.WriteStartObject("history");
            w.WriteStartArray("t");
            foreach (var r in records)
            {
                DashboardServer.Number(w, r.Time - t0);
            }
            w.WriteEndArray();
            w.WriteStartArray("q");
            for (var j = 0; j < joints; j++)
            {
                w.WriteStartArray();
                foreach (var r in records)
                {
                    DashboardServer.Number(w, j < r.State.Length ? Angles.Wrap(r.State[j]) : double.NaN);
                }
                w.WriteEndArray();
            }
            w.WriteEndArray();
            Columns(w, "cmd", records, h.ActionSize, (r, a) => r.Action[a]);
            Columns(w, "app", records, h.ActionSize, (r, a) => r.Measured is { } m && a < m.Length ? m[a] : double.NaN);
            Columns(w, "lim", records, h.ActionSize, (r, a) => TransitionLogLimits.At(steps, r.Time - t0));
            w.WriteStartArray("events");
            foreach (var e in log.Events)
            {
                w.WriteStartObject();
                w.WritePropertyName("t");
                DashboardServer.Number(w, e.Time - t0);
                w.WriteString("text", e.Text);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static void Columns(Utf8JsonWriter w, string name, IReadOnlyList<LoggedTransition> records, int count, Func<LoggedTransition, int, double> value)
    {
        w.WriteStartArray(name);
        for (var a = 0; a < count; a++)
        {
            w.WriteStartArray();
            foreach (var r in records)
            {
                DashboardServer.Number(w, value(r, a));
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }
}
