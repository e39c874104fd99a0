using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.Firmware.Device;

/// <summary>
/// The Firmware's end of the serial line: handshake, Commands into the safety supervisor, arming and
/// estop, parameters over frames and over the text console, and State telemetry from the loop.
/// </summary>
/// <remarks>
/// Received bytes are handled on the transport's reader thread. The device loop only calls
/// <see cref="TrySendState"/> (which never waits: if the line is busy the State is skipped and counted)
/// and <see cref="CheckLinkTimeout"/>. Text is never written from the loop thread.
/// </remarks>
public sealed class RigLink : ILinkHandler, IConsoleTarget, IDisposable
{
    private readonly ISerialTransport _transport;
    private readonly SafetySupervisor _supervisor;
    private readonly ParameterTable _parameters;
    private readonly ParameterIndex _index;
    private readonly ParameterStore? _store;
    private readonly RigInfo _info;
    private readonly Func<double> _clock;
    private readonly Action<string> _log;
    private readonly LinkDemultiplexer _demux = new();
    private readonly ConsoleInterpreter _console;
    private readonly Lock _rx = new();
    private readonly Lock _tx = new();
    private readonly FrameWriter _writer = new();
    private readonly byte[] _txBuffer = new byte[Frame.MaxWireFrame];
    private readonly HelloAck _helloAck = new();
    private readonly ParamValue _paramValue = new();
    private readonly Log _logMessage = new();
    private readonly ManualResetEventSlim _commandArrived = new(false);
    private long _lastValidFrame; // Stopwatch timestamp: the cable is real even when the rig's time is virtual
    private Thread? _telemetry;
    private volatile bool _stopping;

    public RigLink(ISerialTransport transport, SafetySupervisor supervisor, ParameterTable parameters, ParameterStore? store,
        RigInfo info, Func<double> clock, Action<string> log)
    {
        _transport = transport;
        _supervisor = supervisor;
        _parameters = parameters;
        _index = new ParameterIndex(parameters, info.Joints);
        _store = store;
        _info = info;
        _clock = clock;
        _log = log;
        _console = new ConsoleInterpreter(parameters, this);
        _parameters.Changed += OnParameterChanged;
    }

    /// <summary>Port mode (console for a person, binary for a controller).</summary>
    public PortMode Mode => _demux.Mode;

    public DecoderStats Received => _demux.Decoder.Stats;
    public long StatesSent { get; private set; }

    /// <summary>Frames of every type sent so far (States, acknowledgements, logs).</summary>
    public long FramesSent => _writer.FramesWritten;
    public long StatesSkippedBusy { get; private set; }
    public long StatesSkippedFailed { get; private set; }
    public long HeartbeatsReceived { get; private set; }

    /// <summary>Text for the console's <c>status</c> about the device loop (set by the loop's owner).</summary>
    public Func<string>? LoopStatus { get; set; }

    /// <summary>Latest sensor snapshot for <c>status</c> and text telemetry (set by the loop).</summary>
    public Func<string>? JointStatus { get; set; }

    /// <summary>Set whenever a Command arrives (lockstep waits on it).</summary>
    public ManualResetEventSlim CommandArrived => _commandArrived;

    /// <summary>Starts receiving; the port begins in console mode with a prompt.</summary>
    public void Start()
    {
        _lastValidFrame = Stopwatch.GetTimestamp();
        _transport.Failed += reason =>
        {
            _log($"link: {reason}");
            _supervisor.OnLinkLost(reason);
        };
        _transport.Start(OnBytes);
        _telemetry = new Thread(TelemetryLoop) { IsBackground = true, Name = "firmware-text-telemetry" };
        _telemetry.Start();
        WriteText($"mpq firmware: {_info.Name}; type 'help'\r\n{ConsoleInterpreter.Prompt}");
    }

    /// <summary>Sends a State frame if the port is in binary mode and the line is free; never blocks.</summary>
    public bool TrySendState(State state)
    {
        if (_demux.Mode != PortMode.Binary)
        {
            return false;
        }
        if (!_tx.TryEnter())
        {
            StatesSkippedBusy++;
            return false;
        }
        try
        {
            var n = _writer.Write(state, _txBuffer);
            _transport.Write(_txBuffer.AsSpan(0, n));
            StatesSent++;
            return true;
        }
        catch (IOException)
        {
            StatesSkippedFailed++;
            return false;
        }
        finally
        {
            _tx.Exit();
        }
    }

    /// <summary>Called by the loop: a binary link silent (wall clock) for longer than link_timeout_ms is lost.</summary>
    public void CheckLinkTimeout()
    {
        if (!LinkSilent())
        {
            return;
        }
        lock (_rx)
        {
            // Decide again under the reader's lock: the reader turns the port binary before it refreshes the
            // link's clock, so a check outside the lock can see a new session timed by the old console's silence.
            if (LinkSilent())
            {
                _demux.SwitchTo(PortMode.Console, "link silent", this);
            }
        }
    }

    private bool LinkSilent() => _demux.Mode == PortMode.Binary
        && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastValidFrame)).TotalMilliseconds > _parameters[_index.LinkTimeoutMs];

    private void OnBytes(ReadOnlySpan<byte> data)
    {
        lock (_rx)
        {
            _demux.Feed(data, this);
        }
    }

    void ILinkHandler.OnMessage(Message message, ushort sequence)
    {
        var now = _clock();
        Volatile.Write(ref _lastValidFrame, Stopwatch.GetTimestamp());
        switch (message)
        {
            case Command c:
                _supervisor.OnCommand(now, c.AnswersState, c.ValidityMilliseconds / 1000.0, c.Torque);
                _commandArrived.Set();
                break;
            case Heartbeat:
                HeartbeatsReceived++; // proof of life for the link timeout only; never feeds the watchdog
                break;
            case Hello h:
                OnHello(h);
                break;
            case Arm:
                var refused = _supervisor.RequestArm(now);
                SendLog(refused is null ? LogLevel.Info : LogLevel.Warning, refused is null ? "armed" : $"arm refused: {refused}");
                break;
            case Disarm:
                _supervisor.RequestDisarm("Disarm from controller");
                SendLog(LogLevel.Info, "disarmed");
                break;
            case EStop:
                _supervisor.EStop("EStop from controller");
                SendLog(LogLevel.Warning, "estop latched");
                break;
            case ClearFault:
                SendLog(LogLevel.Info, _supervisor.ClearFaults());
                break;
            case ParamGet g:
                AnswerParam(_parameters.IndexOf(g.Name), ParamStatus.Ok, g.Name);
                break;
            case ParamSet s:
                var index = _parameters.IndexOf(s.Name);
                AnswerParam(index, index < 0 ? ParamStatus.UnknownName : _parameters.TrySet(s.Name, s.Value), s.Name);
                break;
            case ParamList l:
                if (l.Index < _parameters.Count)
                {
                    AnswerParam(l.Index, ParamStatus.Ok, "");
                }
                else
                {
                    SendParamValue(p => { p.Status = ParamStatus.IndexOutOfRange; p.Index = l.Index; p.Count = (ushort)_parameters.Count; p.Name = ""; });
                }
                break;
        }
    }

    private void OnHello(Hello hello)
    {
        if (hello.ProtocolVersion != Frame.ProtocolVersion)
        {
            _log($"link: Hello from '{hello.Name}' speaks protocol {hello.ProtocolVersion}, this firmware {Frame.ProtocolVersion}");
            SendLog(LogLevel.Error, $"protocol {hello.ProtocolVersion} not supported; this firmware speaks {Frame.ProtocolVersion}");
            return;
        }
        _supervisor.OnHandshake();
        _log($"link: handshake with '{hello.Name}'");
        lock (_tx)
        {
            _helloAck.RigName = _info.Name.Length > 31 ? _info.Name[..31] : _info.Name;
            _helloAck.Joints = _info.Joints;
            _helloAck.Actuators = _info.Actuators;
            _helloAck.LoopRateHz = (ushort)_parameters[_index.LoopRateHz];
            for (var i = 0; i < _info.Actuators; i++)
            {
                _helloAck.TorqueLimit[i] = (float)_parameters[_index.TorqueLimit];
            }
            for (var j = 0; j < _info.Joints; j++)
            {
                _helloAck.PositionMin[j] = (float)_parameters[_index.PositionMin[j]];
                _helloAck.PositionMax[j] = (float)_parameters[_index.PositionMax[j]];
                _helloAck.VelocityLimit[j] = (float)_parameters[_index.VelocityLimit[j]];
            }
            SendFrameLocked(_helloAck);
        }
    }

    private void AnswerParam(int index, ParamStatus status, string name)
    {
        if (index < 0)
        {
            SendParamValue(p => { p.Status = ParamStatus.UnknownName; p.Index = 0; p.Count = (ushort)_parameters.Count; p.Name = name.Length > 31 ? name[..31] : name; p.Value = p.Min = p.Max = 0; });
            return;
        }
        SendParamValue(p => _parameters.Describe(index, status, p));
    }

    private void SendParamValue(Action<ParamValue> fill)
    {
        lock (_tx)
        {
            fill(_paramValue);
            SendFrameLocked(_paramValue);
        }
    }

    private void SendLog(LogLevel level, string text)
    {
        lock (_tx)
        {
            _logMessage.Level = level;
            _logMessage.Text = text;
            SendFrameLocked(_logMessage);
        }
    }

    private void SendFrameLocked(Message message)
    {
        try
        {
            var n = _writer.Write(message, _txBuffer);
            _transport.Write(_txBuffer.AsSpan(0, n));
        }
        catch (IOException e)
        {
            _log($"link: send failed: {e.Message}");
        }
    }

    void ILinkHandler.OnTextLine(string line)
    {
        var reply = _console.Execute(line);
        var text = reply.Length == 0 ? ConsoleInterpreter.Prompt : $"{reply.Replace("\n", "\r\n", StringComparison.Ordinal)}\r\n{ConsoleInterpreter.Prompt}";
        WriteText(text);
        if (ConsoleInterpreter.IsBinaryCommand(line))
        {
            _demux.SwitchTo(PortMode.Binary, "'binary' typed", this);
        }
    }

    void ILinkHandler.OnModeChanged(PortMode mode, string reason)
    {
        Volatile.Write(ref _lastValidFrame, Stopwatch.GetTimestamp());
        _log($"link: port now in {mode.ToString().ToLowerInvariant()} mode ({reason})");
        if (mode == PortMode.Console)
        {
            _supervisor.OnLinkLost($"port returned to console mode ({reason})");
            WriteText($"\r\nconsole ({reason}); type 'help'\r\n{ConsoleInterpreter.Prompt}");
        }
    }

    private void WriteText(string text)
    {
        lock (_tx)
        {
            try
            {
                _transport.Write(Encoding.UTF8.GetBytes(text));
            }
            catch (IOException e)
            {
                _log($"link: console write failed: {e.Message}");
            }
        }
    }

    private void OnParameterChanged(ParameterDefinition definition, double value)
    {
        _log(string.Create(CultureInfo.InvariantCulture, $"parameter {definition.Name} = {definition.Format(value)}"));
        if (_store is null)
        {
            return;
        }
        try
        {
            _store.Save(_parameters);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log($"error: could not save parameters to {_store.Path}: {e.Message}");
        }
    }

    /// <summary>Text telemetry at 10 Hz when 'stream on' and the port is in console mode (never on the loop thread).</summary>
    private void TelemetryLoop()
    {
        while (!_stopping)
        {
            Thread.Sleep(100);
            if (_demux.Mode == PortMode.Console && _parameters[_index.TextStream] != 0 && JointStatus is { } joints)
            {
                WriteText($"{joints()}\r\n");
            }
        }
    }

    string IConsoleTarget.Status()
    {
        var s = _supervisor;
        var d = Received;
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"state: {s.State.ToString().ToLowerInvariant()}  faults: {s.Faults}  handshake: {(s.HandshakeDone ? "yes" : "no")}  last stop: {s.LastStopReason}\n");
        b.Append(CultureInfo.InvariantCulture, $"link: {Mode.ToString().ToLowerInvariant()} mode; frames accepted {d.FramesAccepted}, lost {d.FramesLost}, rejected {d.DroppedTotal} ");
        b.Append(CultureInfo.InvariantCulture, $"(crc {d.Dropped(DropReason.BadCrc)}, cobs {d.Dropped(DropReason.BadCobs)}, type {d.Dropped(DropReason.UnknownType)}, length {d.Dropped(DropReason.WrongLength)}, payload {d.Dropped(DropReason.BadPayload)}, version {d.Dropped(DropReason.WrongVersion)}, oversize {d.Dropped(DropReason.Oversize)}); ");
        b.Append(CultureInfo.InvariantCulture, $"ignored frames {_demux.IgnoredFrames}, ignored lines {_demux.IgnoredLines}; states sent {StatesSent}, skipped {StatesSkippedBusy + StatesSkippedFailed}\n");
        b.Append(CultureInfo.InvariantCulture, $"commands: accepted {s.CommandsAccepted}, rejected invalid {s.CommandsRejectedInvalid}, stale {s.CommandsRejectedStale}, ignored (not armed) {s.CommandsIgnoredNotArmed}, expired {s.CommandsExpired}; watchdog trips {s.WatchdogTrips}, limit trips {s.LimitTrips}");
        if (LoopStatus is { } loop)
        {
            b.Append('\n').Append(loop());
        }
        if (JointStatus is { } joints)
        {
            b.Append('\n').Append(joints());
        }
        return b.ToString();
    }

    string IConsoleTarget.Arm()
    {
        var refused = _supervisor.RequestArm(_clock());
        return refused is null ? "ok armed" : $"error: {refused}";
    }

    string IConsoleTarget.Disarm()
    {
        _supervisor.RequestDisarm("disarm typed at the console");
        return "ok disarmed";
    }

    string IConsoleTarget.EStop()
    {
        _supervisor.EStop("estop typed at the console");
        return "ok estop latched: torque zero; 'clear' to release";
    }

    string IConsoleTarget.ClearFaults() => $"ok {_supervisor.ClearFaults()}";

    string IConsoleTarget.SetStreaming(bool on) =>
        _parameters.TrySet(FirmwareParameters.TextStream, on ? 1 : 0) == ParamStatus.Ok ? (on ? "ok text telemetry on (10 Hz)" : "ok text telemetry off") : "error: could not change text_stream";

    void IConsoleTarget.EnterBinary()
    {
    }

    public void Dispose()
    {
        _stopping = true;
        _parameters.Changed -= OnParameterChanged;
        _telemetry?.Join(500);
        _commandArrived.Dispose();
    }
}
