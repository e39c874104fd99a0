using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Mpq.Controller.Onnx;
using Mpq.Controller.Rig;
using Mpq.Planning.Control;
using Mpq.Protocol.Learning;
using Mpq.Tasks;
using Mpq.Trainer.Learning;
using Mpq.Trainer.Online;

namespace Mpq.Trainer.Tests;

/// <summary>The learning link end to end in one process: a real gRPC server on loopback (Kestrel, HTTP/2) and the controller's client.</summary>
[TestFixture]
public class LearningLinkTests
{
    private string _dir = null!;
    private readonly ConcurrentQueue<string> _log = new();

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"mpq-serve-{Guid.NewGuid():N}");
        _log.Clear();
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
        TestContext.Out.WriteLine(string.Join('\n', _log));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private (LearningServer Server, WebApplication App) Serve(int port)
    {
        var server = new LearningServer(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mpq), new ServeArguments(_dir, new OnlinePacing(0.5, 1, 50), Threads: 1),
            line => _log.Enqueue("server: " + line));
        return (server, ServeCommand.Start(server, IPAddress.Loopback, port));
    }

    private static TransitionRing Transitions(int count)
    {
        var ring = new TransitionRing(1000, 3, 1, 2);
        Fill(ring, count, episode: 0);
        return ring;
    }

    /// <summary>A simulated episode's first <paramref name="count"/> transitions, as a rig's loop would offer them.</summary>
    private static void Fill(TransitionRing ring, int count, int episode)
    {
        using var actor = new Learner(new PendulumSwingup(), LearnerTests.Small(Algorithm.Mppi), threads: 1);
        actor.Runner.Run(episode, new Limit(ring, count));
    }

    private sealed class Limit(ITransitionSink inner, int count) : ITransitionSink
    {
        private int _n;

        public void Add(in Transition t)
        {
            if (_n++ < count)
            {
                inner.Add(t);
            }
        }
    }

    private static bool WaitUntil(Func<bool> condition, double seconds)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed.TotalSeconds < seconds)
        {
            Thread.Sleep(20);
        }
        return condition();
    }

    [Test]
    public void Link_StreamsTransitions_SwapsInEachQ_SurvivesATrainerRestart_WhichResumes()
    {
        var port = FreePort();
        var task = new PendulumSwingup();
        var offered = 0;
        using var reloader = new QReloader(task, null, 32, q => { Interlocked.Increment(ref offered); q.Dispose(); }, line => _log.Enqueue("reloader: " + line));
        var ring = Transitions(120);
        var (server, app) = Serve(port);
        Planner? adopted = null;
        using (server)
        using (var link = new LearningLink($"127.0.0.1:{port}", task, 2, [2.0], "test rig", ring, () => (100, 0, 1.0), p => { adopted = p; return null; }, reloader,
            Path.Combine(_dir, "received.onnx"), line => _log.Enqueue("link: " + line)))
        {
            link.Start();
            Assert.That(WaitUntil(() => link.Sent == 120 && link.QFiles.Taken >= 2, 60), Is.True, $"sent {link.Sent}, Q files {link.QFiles}");
            Assert.That(offered, Is.EqualTo(link.QFiles.Taken), "each Q taken went to the loop");
            var learner = LearnerTests.Small(Algorithm.Mpq);
            Assert.That(adopted, Is.Not.Null, "the trainer's planner came with the Welcome");
            Assert.That((adopted!.Horizon, adopted.Samples, adopted.Lambda), Is.EqualTo((learner.Horizon, learner.Samples, learner.Lambda)), "the controller acts as the trainer's own planner");
            Assert.That(_log, Has.Some.Contains("link: learning link: connected to 127.0.0.1:"));

            // Ctrl-C: the open session ends at once (the host alone waits up to 30 s for open calls to end by themselves).
            Assert.That(app.StopAsync().Wait(TimeSpan.FromSeconds(8)), Is.True, "the server stops with a controller connected");
            ((IDisposable)app).Dispose();
            Assert.That(_log, Has.Some.Contains("server: session ended"));
            Assert.That(File.Exists(Path.Combine(_dir, "checkpoint.bin")), Is.True, "the session wrote its checkpoint");
            Assert.That(WaitUntil(() => _log.Any(l => l.Contains("link: learning link: no trainer at")), 10), Is.True, "the link says the trainer is gone");

            var (server2, app2) = Serve(port);
            using (server2)
            using (app2)
            {
                Assert.That(WaitUntil(() => _log.Count(l => l.Contains("link: learning link: connected")) == 2, 30), Is.True, "the link reconnects by itself");
                Assert.That(_log, Has.Some.Contains("server: resumed ").And.Some.Contains(": 120 transitions"), "the restarted trainer resumes its run");
                var taken = link.QFiles.Taken;
                Fill(ring, 60, episode: 1);
                Assert.That(WaitUntil(() => link.Sent == 180 && link.QFiles.Taken > taken, 30), Is.True, $"learning goes on: sent {link.Sent}, Q files {link.QFiles}");
                link.Dispose();
                app2.StopAsync().Wait(TimeSpan.FromSeconds(10));
            }
        }
    }

    [Test]
    public void Hello_AnotherTask_RefusedWithTheReason_TheLinkKeepsTrying()
    {
        var port = FreePort();
        var (server, app) = Serve(port);
        using (server)
        using (app)
        {
            var furuta = TaskCatalog.Create("furuta");
            using var reloader = new QReloader(furuta, null, 32, q => q.Dispose(), _ => { });
            var ring = new TransitionRing(10, furuta.ObservationSize, furuta.ActionSize, 4);
            using var link = new LearningLink($"127.0.0.1:{port}", furuta, 4, [0.05], "qube", ring, () => (0, 0, 1.0), _ => null, reloader, Path.Combine(_dir, "q.onnx"), line => _log.Enqueue(line));
            link.Start();
            Assert.That(WaitUntil(() => _log.Any(l => l.Contains("InvalidArgument: this trainer learns task 'pendulum', the controller runs 'furuta'")), 20), Is.True);
            Assert.That(link.QFiles.Received, Is.Zero);
            app.StopAsync().Wait(TimeSpan.FromSeconds(10));
        }
    }

    [Test]
    public void Hello_AnotherModel_RefusedNamingThePriorThatMatches()
    {
        // The trainer's targets are computed on its prior's means: a controller planning on another model would act for a Q
        // learned for a different rig. Refused, and the refusal says how to start the controller to match.
        var port = FreePort();
        var (server, app) = Serve(port);
        using (server)
        using (app)
        {
            var other = TaskCatalog.Create("pendulum", TaskCatalog.ParsePriors("mass=2:0.1,length=0.7:0.05"));
            using var reloader = new QReloader(other, null, 32, q => q.Dispose(), _ => { });
            var ring = new TransitionRing(10, other.ObservationSize, other.ActionSize, 2);
            using var link = new LearningLink($"127.0.0.1:{port}", other, 2, [2.0], "rig", ring, () => (0, 0, 1.0), _ => null, reloader, Path.Combine(_dir, "q.onnx"), line => _log.Enqueue(line));
            link.Start();
            var expected = "the controller plans on length=0.7, mass=2, this trainer learns on mass=1.3, length=1.2: start the controller with --prior mass=1.3:0.1,length=1.2:0.1";
            Assert.That(WaitUntil(() => _log.Any(l => l.Contains(expected)), 20), Is.True, string.Join('\n', _log));
            Assert.That(link.QFiles.Received, Is.Zero);
            app.StopAsync().Wait(TimeSpan.FromSeconds(10));
        }
    }

    [Test]
    public void Welcome_PlannerRefused_TheLinkSaysSoTakesNoQAndKeepsTrying()
    {
        var port = FreePort();
        var (server, app) = Serve(port);
        using (server)
        using (app)
        {
            var task = new PendulumSwingup();
            using var reloader = new QReloader(task, null, 32, q => q.Dispose(), _ => { });
            var tries = 0;
            using var link = new LearningLink($"127.0.0.1:{port}", task, 2, [2.0], "rig", Transitions(10), () => (0, 0, 1.0),
                _ =>
                {
                    Interlocked.Increment(ref tries);
                    return "samples 20000 is outside 1 .. 16384";
                }, reloader, Path.Combine(_dir, "q.onnx"), line => _log.Enqueue(line));
            link.Start();
            Assert.That(WaitUntil(() => tries >= 2, 20), Is.True, "the link tries again");
            Assert.That(_log, Has.Some.Contains("the trainer's planner settings were refused (samples 20000 is outside 1 .. 16384); the rig keeps its own"));
            Assert.That((link.QFiles.Received, link.Sent), Is.EqualTo((0L, 0L)), "nothing learned from a policy the rig does not act with");
            app.StopAsync().Wait(TimeSpan.FromSeconds(10));
        }
    }

    [TestCase(2, 5, 4, "must hold 2 steps")]
    [TestCase(1, 3, double.NaN, "not finite")]
    public void Batch_Malformed_RefusedWithTheReason(int count, int observationEntries, double state, string reason)
    {
        var port = FreePort();
        var (server, app) = Serve(port);
        using (server)
        using (app)
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            using var call = new Mpq.Protocol.Learning.Learning.LearningClient(channel).Learn();
            var hello = new Hello { Task = "pendulum", ObservationSize = 3, ActionSize = 1, StateSize = 2, PeriodMs = 50, Rig = "hostile" };
            hello.TorqueLimit.Add(2);
            var pendulum = new PendulumSwingup();
            var means = TaskParameters.Means(pendulum.Parameters);
            for (var i = 0; i < means.Length; i++)
            {
                hello.Model[pendulum.Parameters[i].Name] = means[i];
            }
            call.RequestStream.WriteAsync(new FromController { Hello = hello }).Wait();
            Assert.That(call.ResponseStream.MoveNext().Result, Is.True);
            Assert.That(call.ResponseStream.Current.BodyCase, Is.EqualTo(FromTrainer.BodyOneofCase.Welcome));
            var batch = new Mpq.Protocol.Learning.Transitions { Count = count };
            batch.Step.Add(Enumerable.Range(0, count));
            batch.Cost.Add(Enumerable.Repeat(1.0, count));
            batch.Done.Add(Enumerable.Repeat(false, count));
            batch.Observation.Add(Enumerable.Repeat(0.5, observationEntries));
            batch.NextObservation.Add(Enumerable.Repeat(0.5, 3 * count));
            batch.Action.Add(Enumerable.Repeat(0.0, count));
            batch.State.Add(Enumerable.Repeat(state, 2 * count));
            batch.NextState.Add(Enumerable.Repeat(0.0, 2 * count));
            call.RequestStream.WriteAsync(new FromController { Transitions = batch }).Wait();
            var refused = Assert.Throws<AggregateException>(() =>
            {
                while (call.ResponseStream.MoveNext().Result)
                {
                }
            })!.InnerException as RpcException;
            Assert.That(refused?.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
            Assert.That(refused!.Status.Detail, Does.Contain(reason));
            app.StopAsync().Wait(TimeSpan.FromSeconds(10));
        }
    }
}
