using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using Mpq.Common;
using Mpq.Firmware.Safety;
using Mpq.Firmware.Settings;
using Mpq.Protocol.Console;
using Mpq.Protocol.Framing;
using Mpq.Protocol.Link;
using Mpq.Protocol.Messages;
using Mpq.Protocol.Serial;

namespace Mpq.Firmware.Device;

/// <summary>
/// The Firmware's end of the serial line, the session: handshake, Commands into the safety supervisor, arming and estop,
/// parameters over frames, Fault messages and State telemetry from the loop; the console's verbs are
/// <see cref="RigConsole"/>'s, a session's parameters <see cref="SessionParameters"/>' and console telemetry
/// <see cref="ConsoleTelemetry"/>'s. The device loop is attached (<see cref="Attach"/>) as an <see cref="IDeviceView"/>.
/// </summary>
/// <remarks>
/// Threads, and what each may wait on:
/// <list type="bullet">
/// <item>The device loop calls only <see cref="TrySendState"/>: a lock-free post into the <see cref="FrameSender"/>'s
/// ring (dropped and counted when the line is backed up). It never waits on the line or on <c>_rx</c>.</item>
/// <item>The transport's reader thread decodes under <c>_rx</c> and answers through the sender's queue (never
/// waits for the line). Console lines are executed there too: none of them does I/O. Everything it asks of the
/// safety supervisor goes through the <see cref="SupervisorInbox"/>, which the loop drains: no link thread ever
/// holds a lock the loop waits on.</item>
/// <item>The sender's writer thread is the only one that writes to the line, each write bounded by the
/// transport's write timeout.</item>
/// <item>The housekeeping thread (every 10 ms) judges link silence, sends a Fault message per trip, lets the
/// <see cref="ParameterKeeper"/> save parameters (debounced, retried, off every other thread) and writes console telemetry.</item>
/// </list>
/// Settings a controller changes over the binary link last for its session (<see cref="SessionParameters"/>).
/// <para>Leaving binary mode (link silent, <c>console</c> typed) owes the controller a farewell before the console
/// takes the port: the first State the loop streams after the rig stopped (disarmed, zero torque) and the Fault frame
/// of the stop that ended the session, both still as frames; only then, or after <see cref="FarewellTimeout"/>,
/// the console banner.</para>
/// </remarks>
public sealed class RigLink : ILinkHandler, IDisposable
{
    private readonly ISerialTransport _transport;
    private readonly SafetySupervisor _supervisor;
    private readonly ParameterTable _parameters;
    private readonly ParameterIndex _index;
    private readonly ParameterKeeper _keeper;
    private readonly RigInfo _info;
    private readonly Action<string> _log;
    private readonly LinkDemultiplexer _demux;
    private readonly ConsoleInterpreter _console;
    private readonly FrameSender _sender;
    private readonly Lock _rx = new();
    private readonly Lock _reply = new();
    private readonly HelloAck _helloAck = new();
    private readonly ParamValue _paramValue = new();
    private readonly Log _logMessage = new();
    private readonly Fault _fault = new();
    private readonly ManualResetEventSlim _commandArrived = new(false);
    private readonly BringUp _bringUp;
    private readonly SessionParameters _session;
    private readonly ConsoleTelemetry _telemetry;
    private readonly RigConsole _rigConsole;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notices = new();
    private IDeviceView? _device;
    private bool _inSession; // under _rx: a Hello was accepted and the session has not ended
    private long _lastValidFrame; // Stopwatch timestamp: the cable is real even when the rig's time is virtual
    private long _tripsSeen;
    private long _farewellSince; // Stopwatch timestamp of a switch to console whose farewell is still owed, 0 when none
    private volatile bool _farewellStateSent;
    private string _farewellBanner = "";
    private Thread? _housekeeping;
    private volatile bool _stopping;

    /// <summary>A link over <paramref name="transport"/>; a damage <paramref name="keeper"/> found in the parameters file at start holds arming (set here, before any thread runs).</summary>
    public RigLink(ISerialTransport transport, SafetySupervisor supervisor, ParameterTable parameters, ParameterKeeper keeper, RigInfo info, Action<string> log)
    {
        _transport = transport;
        _supervisor = supervisor;
        _parameters = parameters;
        _index = new ParameterIndex(parameters, info.Joints);
        _keeper = keeper;
        _info = info;
        _log = log;
        _bringUp = new BringUp(parameters, info.Joints, info.Actuators, info.NeedsBringUp, supervisor, Inbox, Now);
        _session = new SessionParameters(parameters, keeper, _bringUp, supervisor, Inbox, _rx, _notices, log);
        _telemetry = new ConsoleTelemetry(parameters, _index.TextStream, WriteText);
        _rigConsole = new RigConsole(supervisor, Inbox, parameters, keeper, _session, _bringUp, _telemetry, DescribeLink, log);
        _console = new ConsoleInterpreter(parameters, _rigConsole);
        _demux = new LinkDemultiplexer { Editor = new LineEditor(ConsoleInterpreter.Prompt, _console.Complete) };
        _sender = new FrameSender(transport.Write, name: "firmware-line-writer",
            onWriterStart: () => WriterPriorityReport = RealtimeScheduling.TryElevateCurrentThread(WriterRealtimePriority));
    }

    /// <summary>
    /// The device loop this link serves: its clock times Commands and arming, its readings feed the console and bring-up.
    /// Called once, by the loop, before either starts; until then the rig's time reads 0.
    /// </summary>
    public void Attach(IDeviceView device)
    {
        _device = device;
        _rigConsole.Device = device;
        _telemetry.Device = device;
        _bringUp.JointPosition = device.JointPosition;
    }

    private double Now() => _device?.Now() ?? 0;

    /// <summary>SCHED_FIFO priority of the line's writer thread: below the device loop's (80) and the reader's.</summary>
    public const int WriterRealtimePriority = 70;

    /// <summary>
    /// SCHED_FIFO priority of the line's reader thread: below the device loop's (80), above the writer's. A reader at normal
    /// priority was starved by the writer answering a flood of valid requests on a loaded machine: Commands queued
    /// behind the flood unread and the watchdog stopped a rig that was commanded at 200 Hz (LinkLost with a short link
    /// timeout). On a real serial line the bytes it can be given are bounded by the baud rate (1 Mbaud: 100 kB/s, a few
    /// per cent of a core to decode), so it cannot take a core from the normal threads; on a pty a flood is self-limited
    /// by its sender, which runs at normal priority.
    /// </summary>
    public const int ReaderRealtimePriority = 75;

    /// <summary>What the writer thread's request for real-time priority got.</summary>
    public string? WriterPriorityReport { get; private set; }

    /// <summary>
    /// Whether a binary session has been silent (no valid frame) for longer than link_timeout_ms. Lock-free: the device
    /// loop asks every tick and stops the rig at once; the port's switch back to console mode follows on the
    /// housekeeping thread.
    /// </summary>
    public bool IsSilent() => LinkSilent();

    /// <summary>Port mode (console for a person, binary for a controller).</summary>
    public PortMode Mode => _demux.Mode;

    public DecoderStats Received => _demux.Decoder.Stats;

    /// <summary>States handed to the line's writer.</summary>
    public long StatesSent { get; private set; }

    /// <summary>Frames of every type numbered and handed to the line (States, acknowledgements, logs).</summary>
    public long FramesSent => _sender.FramesWritten;

    /// <summary>States dropped because the line was backed up (the loop never waits for it).</summary>
    public long StatesSkippedBusy => _sender.RealtimeDropped;

    /// <summary>Frames and text of every kind dropped before the line, plus writes that failed or timed out.</summary>
    public long OutputDropped => _sender.Dropped + _sender.WriteFailures;

    /// <summary>Writes that failed or timed out (a peer that does not read).</summary>
    public long WriteTimeouts => _sender.WriteFailures;

    public long HeartbeatsReceived { get; private set; }

    /// <summary>Malformed requests answered with an error (intact frames whose payload was refused).</summary>
    public long MalformedAnswered { get; private set; }

    /// <summary>The parameters file's keeper (saves, damage, save errors).</summary>
    public ParameterKeeper Parameters => _keeper;

    /// <summary>What the rig's console verbs act on (the lines typed on this port are executed there).</summary>
    public IConsoleTarget ConsoleTarget => _rigConsole;

    /// <summary>The link's requests to the supervisor, applied by the device loop at its next tick.</summary>
    public SupervisorInbox Inbox { get; } = new();

    /// <summary>Set whenever a Command arrives (lockstep waits on it).</summary>
    public ManualResetEventSlim CommandArrived => _commandArrived;

    /// <summary>Starts receiving; the port begins in console mode with a prompt.</summary>
    public void Start()
    {
        _lastValidFrame = Stopwatch.GetTimestamp();
        _tripsSeen = _supervisor.Trips;
        _transport.Failed += reason =>
        {
            _log($"link: {reason}");
            lock (_rx)
            {
                Inbox.LinkLost(reason);
                EndSession("the line failed");
            }
        };
        _transport.ReaderRealtimePriority = ReaderRealtimePriority;
        _transport.Start(OnBytes);
        _housekeeping = new Thread(Housekeeping) { IsBackground = true, Name = "firmware-link-housekeeping" };
        _housekeeping.Start();
        WriteText($"mpq firmware: {_info.Name}; type 'help'\r\n{ConsoleInterpreter.Prompt}");
    }

    /// <summary>How long a switch to console mode waits for the loop's last State before the console takes the port anyway.</summary>
    public static readonly TimeSpan FarewellTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Queues a State frame if the port is in binary mode, or if it is the farewell State owed after a switch to console
    /// mode (the first one that says the rig is not armed); never blocks (a full ring drops it, counted).
    /// </summary>
    public bool TrySendState(State state)
    {
        if (_demux.Mode != PortMode.Binary)
        {
            if (Volatile.Read(ref _farewellSince) == 0 || _farewellStateSent || state.ArmState == RigArmState.Armed || !_sender.TryPostRealtime(state))
            {
                return false;
            }
            _farewellStateSent = true;
        }
        else if (!_sender.TryPostRealtime(state))
        {
            return false;
        }
        StatesSent++;
        return true;
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
        var now = Now();
        Volatile.Write(ref _lastValidFrame, Stopwatch.GetTimestamp());
        switch (message)
        {
            case Command c:
                Inbox.Command(now, c.AnswersState, c.ValidityMilliseconds / 1000.0, c.Torque);
                _commandArrived.Set();
                break;
            case Heartbeat:
                HeartbeatsReceived++; // proof of life for the link timeout only; never feeds the watchdog
                break;
            case Hello h:
                OnHello(h);
                break;
            case Arm:
                var refused = Inbox.Arm(now);
                SendLog(refused is null ? LogLevel.Info : LogLevel.Warning, refused is null ? "armed" : $"arm refused: {refused}");
                break;
            case Disarm:
                Inbox.Disarm("Disarm from controller");
                SendLog(LogLevel.Info, "disarmed");
                break;
            case EStop:
                Inbox.EStop("EStop from controller");
                SendLog(LogLevel.Warning, "estop latched");
                break;
            case ClearFault:
                // The controller's own console asks for 'clear estop' before it sends this: the frame is the confirmation.
                var cleared = Inbox.ClearFaults(releaseEStop: true);
                SendLog(LogLevel.Info, cleared);
                break;
            case ParamGet g:
                AnswerParam(_parameters.IndexOf(g.Name), ParamStatus.Ok, g.Name);
                break;
            case ParamSet s:
                SetFromSession(s);
                break;
            case ParamList l:
                if (l.Index < _parameters.Count)
                {
                    AnswerParam(l.Index, ParamStatus.Ok, "");
                }
                else
                {
                    AnswerParamError(ParamStatus.IndexOutOfRange, l.Index, "");
                }
                break;
        }
    }

    void ILinkHandler.OnMalformedFrame(byte type, DropReason reason)
    {
        // An intact request that could not be read still gets an answer, so the peer is never left guessing.
        Volatile.Write(ref _lastValidFrame, Stopwatch.GetTimestamp());
        if (type is (byte)MessageType.ParamGet or (byte)MessageType.ParamSet or (byte)MessageType.ParamList)
        {
            MalformedAnswered++;
            AnswerParamError(ParamStatus.Malformed, 0, "");
        }
        else if (type is (byte)MessageType.Command)
        {
            MalformedAnswered++;
            SendLog(LogLevel.Error, string.Create(CultureInfo.InvariantCulture, $"malformed Command refused ({reason})"));
        }
    }

    /// <summary>A controller's ParamSet: checked like any change, applied for this session only (not saved).</summary>
    private void SetFromSession(ParamSet s)
    {
        var index = _parameters.IndexOf(s.Name);
        if (index < 0)
        {
            AnswerParam(index, ParamStatus.UnknownName, s.Name);
            return;
        }
        var status = _session.SetForSession(index, s.Value, out var refusal);
        if (status == ParamStatus.NotAllowedNow)
        {
            SendLog(LogLevel.Warning, $"refused while armed: {refusal}");
        }
        AnswerParam(index, status, s.Name);
    }

    /// <summary>Ends a controller's session (under <c>_rx</c>): its settings give way to the saved ones again.</summary>
    private void EndSession(string reason)
    {
        _inSession = false;
        _session.EndSession(reason);
    }

    private void OnHello(Hello hello)
    {
        if (hello.ProtocolVersion != Frame.ProtocolVersion)
        {
            _log($"link: Hello from '{hello.Name}' speaks protocol {hello.ProtocolVersion}, this firmware {Frame.ProtocolVersion}");
            SendLog(LogLevel.Error, $"protocol {hello.ProtocolVersion} not supported; this firmware speaks {Frame.ProtocolVersion}");
            return;
        }
        if (!_inSession)
        {
            EndSession("a new Hello"); // a new session starts from the saved settings
        }
        _inSession = true;
        Inbox.Handshake();
        _log($"link: handshake with '{hello.Name}'");
        lock (_reply)
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
            TryReply(_helloAck);
        }
    }

    private void AnswerParam(int index, ParamStatus status, string name)
    {
        if (index < 0)
        {
            AnswerParamError(ParamStatus.UnknownName, 0, name);
            return;
        }
        lock (_reply)
        {
            _parameters.Describe(index, status, _paramValue);
            TryReply(_paramValue);
        }
    }

    /// <summary>A ParamValue that names no parameter in force: unknown name, index out of range, malformed request.</summary>
    private void AnswerParamError(ParamStatus status, ushort index, string name)
    {
        lock (_reply)
        {
            _paramValue.Status = status;
            _paramValue.Kind = ParamKind.Real;
            _paramValue.Index = index;
            _paramValue.Count = (ushort)_parameters.Count;
            _paramValue.Name = name.Length > 31 ? name[..31] : name;
            _paramValue.Value = _paramValue.Min = _paramValue.Max = 0;
            TryReply(_paramValue);
        }
    }

    /// <summary>
    /// Posts an answer to a request (HelloAck, ParamValue, Log) within the reply budget: at most
    /// <see cref="RepliesPerSecond"/> on average, in bursts of up to <see cref="ReplyBurst"/>. A flood of valid requests
    /// could otherwise keep the real-time writer busy on one core while the real-time reader decodes on the other, leaving
    /// the machine's normal threads nothing on a 2-core board. An unanswered request is counted; the controller asks again
    /// (every 50 ms). States, Faults and console text are not budgeted. Under <c>_rx</c> (the reader thread).
    /// </summary>
    private void TryReply(Message reply)
    {
        var now = Stopwatch.GetTimestamp();
        _replyTokens = Math.Min(ReplyBurst, _replyTokens + (now - _replyRefilled) * (double)RepliesPerSecond / Stopwatch.Frequency);
        _replyRefilled = now;
        if (_replyTokens < 1)
        {
            RepliesOverBudget++;
            return;
        }
        _replyTokens--;
        _sender.TryPost(reply);
    }

    /// <summary>Average answers per second a flood of requests gets (a controller asks a few per second).</summary>
    public const int RepliesPerSecond = 1000;

    /// <summary>Answers that may go out back to back before the average applies.</summary>
    public const int ReplyBurst = 200;

    private double _replyTokens = ReplyBurst;
    private long _replyRefilled = Stopwatch.GetTimestamp();

    /// <summary>Requests left unanswered because they came faster than <see cref="RepliesPerSecond"/>.</summary>
    public long RepliesOverBudget { get; private set; }

    private void SendLog(LogLevel level, string text)
    {
        lock (_reply)
        {
            _logMessage.Level = level;
            _logMessage.Text = text.Length > 200 ? text[..200] : text;
            TryReply(_logMessage);
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
            Inbox.LinkLost($"port returned to console mode ({reason})");
            EndSession(reason);
            // The banner waits for the farewell (the last State and the Fault; see the class remarks), on housekeeping.
            _farewellBanner = $"\r\nconsole ({reason}); type 'help'\r\n{ConsoleInterpreter.Prompt}";
            _farewellStateSent = false;
            Volatile.Write(ref _farewellSince, Stopwatch.GetTimestamp());
        }
        else
        {
            Volatile.Write(ref _farewellSince, 0);
        }
    }

    private void WriteText(string text) => _sender.TryPostText(text);

    void ILinkHandler.OnEcho(string text) => WriteText(text);

    /// <summary>Link silence, Fault messages, debounced saving and console telemetry: every 10 ms, never on the loop or reader thread.</summary>
    private void Housekeeping()
    {
        while (!_stopping)
        {
            Thread.Sleep(10);
            if (LinkSilent())
            {
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
            // Read before the Faults are sent: the loop numbers its trip before it posts the farewell State, so a State
            // seen here means the trip is seen by SendFaults below.
            var farewellSince = Volatile.Read(ref _farewellSince);
            var farewellDone = farewellSince != 0 && (_farewellStateSent || Stopwatch.GetElapsedTime(farewellSince) > FarewellTimeout);
            SendFaults();
            if (farewellDone)
            {
                lock (_rx)
                {
                    if (Interlocked.CompareExchange(ref _farewellSince, 0, farewellSince) == farewellSince)
                    {
                        WriteText(_farewellBanner);
                    }
                }
            }
            if (_bringUp.HasNews)
            {
                lock (_rx)
                {
                    // A pulse's outcome (and bring-up passing with it) is judged here, off the reader and the loop; under
                    // the reader's lock because passing posts the arm interlock to the inbox (one producer at a time).
                    if (_bringUp.Poll() is { } outcome)
                    {
                        _notices.Enqueue(outcome);
                    }
                }
            }
            while (_notices.TryDequeue(out var notice))
            {
                _log(notice);
                if (_demux.Mode == PortMode.Console)
                {
                    WriteText($"\r\n{notice}\r\n{ConsoleInterpreter.Prompt}");
                }
            }
            if (_session.Housekeep() is { } saving)
            {
                _log(saving);
                if (_demux.Mode == PortMode.Console)
                {
                    WriteText($"\r\n{saving}\r\n{ConsoleInterpreter.Prompt}");
                }
            }
            _telemetry.Tick(_demux.Mode == PortMode.Console);
        }
    }

    /// <summary>One Fault message per trip the supervisor numbered (the latest one, with how many came between).</summary>
    private void SendFaults()
    {
        if (!_supervisor.TryTakeTrip(ref _tripsSeen, out var fault, out var reason, out var missed))
        {
            return;
        }
        _log($"fault: {fault}: {reason}{(missed > 0 ? $" ({missed} earlier trip(s) since the last report)" : "")}");
        if (_demux.Mode != PortMode.Binary && Volatile.Read(ref _farewellSince) == 0)
        {
            return; // a person at the console sees it in 'status' (and typed the estop themselves)
        }
        lock (_reply)
        {
            _fault.Faults = _supervisor.Faults;
            _fault.Code = (ushort)(BitOperations.TrailingZeroCount((uint)fault) + 1);
            _fault.Text = reason.Length > 200 ? reason[..200] : reason;
            _sender.TryPost(_fault);
        }
    }

    /// <summary>The link's line for the console's <c>status</c>.</summary>
    private string DescribeLink()
    {
        var d = Received;
        var b = new StringBuilder();
        b.Append(CultureInfo.InvariantCulture, $"link: {Mode.ToString().ToLowerInvariant()} mode; frames accepted {d.FramesAccepted}, lost {d.FramesLost}, rejected {d.DroppedTotal} ");
        b.Append(CultureInfo.InvariantCulture, $"(crc {d.Dropped(DropReason.BadCrc)}, cobs {d.Dropped(DropReason.BadCobs)}, type {d.Dropped(DropReason.UnknownType)}, length {d.Dropped(DropReason.WrongLength)}, payload {d.Dropped(DropReason.BadPayload)}, version {d.Dropped(DropReason.WrongVersion)}, oversize {d.Dropped(DropReason.Oversize)}); ");
        b.Append(CultureInfo.InvariantCulture, $"ignored frames {_demux.IgnoredFrames}, ignored lines {_demux.IgnoredLines}; states sent {StatesSent}, dropped (line backed up) {StatesSkippedBusy}; output dropped {_sender.QueueDropped}, write failures {_sender.WriteFailures}; requests unanswered (over {RepliesPerSecond}/s) {RepliesOverBudget}");
        return b.ToString();
    }

    /// <summary>Stops housekeeping (saving what is unsaved) and the line's writer, each within a bounded time.</summary>
    public void Dispose()
    {
        _stopping = true;
        _session.Dispose();
        _housekeeping?.Join(500);
        if (_session.Housekeep(now: true) is { } saving)
        {
            _log(saving);
        }
        _sender.Dispose();
    }
}
