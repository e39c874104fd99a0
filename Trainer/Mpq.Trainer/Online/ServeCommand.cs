using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mpq.Protocol.Learning;
using Mpq.Tasks;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Online;

/// <summary>
/// <c>trainer serve</c>: the trainer off-board. Listens for a rig's controller (<c>controller run --learn-from
/// HOST:PORT</c>), learns online from its transitions and sends each new Q back; runs until Ctrl-C.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to listen on (localhost, an address, or 0.0.0.0 for every interface)", DefaultValueFactory = _ => "localhost:50051" };
        var task = new Option<string>("--task") { Description = $"task: {string.Join(", ", TaskCatalog.Names)}, or a rig folder's path", DefaultValueFactory = _ => "pendulum" };
        var algo = new Option<string>("--algo") { Description = "mpq or softq", DefaultValueFactory = _ => "mpq" };
        algo.AcceptOnlyFromAmong("mpq", "softq");
        var horizon = new Option<int?>("--horizon", "-H") { Description = "the targets' planning horizon (default: 8 for mpq, 1 for softq)" };
        var seed = new Option<ulong>("--seed") { Description = "seed", DefaultValueFactory = _ => 1UL };
        var threads = new Option<int>("--threads", "-T") { Description = "target workers", DefaultValueFactory = _ => Environment.ProcessorCount };
        var output = new Option<string>("--out") { Description = "run directory: q.onnx (the latest Q sent) and checkpoint.bin; a checkpoint already there is resumed", Required = true };
        var prior = new Option<string?>("--prior") { Description = "biased priors NAME=BIAS:SIGMA,... the targets plan on" };
        var swapEvery = new Option<double>("--swap-every") { Description = "seconds between Q files sent", DefaultValueFactory = _ => 5 };
        var updateRatio = new Option<string>("--update-ratio") { Description = "updates per transition, or 'max'", DefaultValueFactory = _ => "1" };
        var learner = new LearnerOptions();
        var command = new Command("serve", "Learn off-board: a rig's controller (controller run --learn-from HOST:PORT) streams its transitions here and gets each new Q back.")
        {
            listen, task, algo, horizon, seed, threads, output, prior, swapEvery, updateRatio,
        };
        learner.AddTo(command);
        command.SetAction(r => TrainerCli.Run(() =>
        {
            if (r.GetValue(threads) is < 1 or > 256)
            {
                throw new ArgumentException($"--threads must be between 1 and 256 (got {r.GetValue(threads)})");
            }
            var (host, port) = ParseListen(r.GetValue(listen)!);
            var t = TaskCatalog.Create(r.GetValue(task)!, r.GetValue(prior) is { } pr ? TaskCatalog.ParsePriors(pr) : null);
            var a = r.GetValue(algo) == "softq" ? Algorithm.SoftQ : Algorithm.Mpq;
            var settings = (LearnerSettings.For(t) with { Algorithm = a, Horizon = r.GetValue(horizon) ?? (a == Algorithm.SoftQ ? 1 : 8), Seed = r.GetValue(seed) })
                .WithOverrides(learner.Assignments(r)).ForRig(t, learner.Assignments(r));
            var pacing = new OnlinePacing(r.GetValue(swapEvery), OnlinePacing.ParseRatio(r.GetValue(updateRatio)!), 1000 * t.ControlPeriod);
            using var server = new LearningServer(t, settings, new ServeArguments(r.GetValue(output)!, pacing, r.GetValue(threads)), line => Console.Error.WriteLine(line));
            Run(server, host, port);
            return 0;
        }));
        return command;
    }

    /// <summary>Serves until Ctrl-C (the host's own handling; the open session ends at once and writes the checkpoint).</summary>
    private static void Run(LearningServer server, IPAddress? host, int port)
    {
        using var app = Start(server, host, port);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trainer serve: listening on {(host?.ToString() ?? "localhost")}:{port} (HTTP/2, gRPC); Ctrl-C stops"));
        app.WaitForShutdown();
    }

    /// <summary>Starts the gRPC server for <paramref name="server"/> on HOST:PORT (HOST null: localhost); the caller stops it.</summary>
    /// <exception cref="InvalidOperationException">The port cannot be listened on (in use, not allowed).</exception>
    internal static WebApplication Start(LearningServer server, IPAddress? host, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host is null)
            {
                k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2);
            }
            else
            {
                k.Listen(host, port, o => o.Protocols = HttpProtocols.Http2);
            }
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 << 20);
        builder.Services.AddSingleton(server);
        var app = builder.Build();
        app.MapGrpcService<LearningService>();
        try
        {
            app.Start();
            return app;
        }
        catch (IOException e)
        {
            ((IDisposable)app).Dispose();
            throw new InvalidOperationException($"cannot listen on port {port}: {e.Message}", e);
        }
    }

    /// <summary>HOST:PORT; HOST null for localhost (every loopback address).</summary>
    /// <exception cref="ArgumentException">Not HOST:PORT with a port in 1..65535 and an address or localhost.</exception>
    internal static (IPAddress? Host, int Port) ParseListen(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"--listen must be HOST:PORT with a port in 1 .. 65535 (got '{text}')");
        }
        var host = text[..colon].Trim('[', ']');
        if (host == "localhost")
        {
            return (null, port);
        }
        return IPAddress.TryParse(host, out var address)
            ? (address, port)
            : throw new ArgumentException($"--listen: '{host}' is neither localhost nor an IP address");
    }

    /// <summary>The gRPC service: hands each call to the one <see cref="LearningServer"/>.</summary>
    private sealed class LearningService(LearningServer server, IHostApplicationLifetime lifetime) : Mpq.Protocol.Learning.Learning.LearningBase
    {
        public override Task Learn(Grpc.Core.IAsyncStreamReader<FromController> requestStream, Grpc.Core.IServerStreamWriter<FromTrainer> responseStream, Grpc.Core.ServerCallContext context) =>
            server.Learn(requestStream, responseStream, context, lifetime.ApplicationStopping);
    }
}
