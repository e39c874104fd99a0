using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Mpq.Common;
using Mpq.Controller.Onnx;
using Mpq.Trainer.Learning;

namespace Mpq.Trainer.Onnx;

/// <summary>The Q file's metadata of a Q learned by this trainer.</summary>
public static class QMetadata
{
    /// <summary>The metadata of a Q learned on <paramref name="task"/> with <paramref name="settings"/>.</summary>
    public static QFileMetadata For(Tasks.ITask task, LearnerSettings settings, string runId) =>
        new(task.Name, task.ObservationLayout, task.ActionSize, settings.Lambda, settings.Gamma, settings.Horizon, runId, settings.ActionRateCost, settings.TerminalFloor,
            task.ActionLow.ToArray(), task.ActionHigh.ToArray(), task.Fingerprint);
}

/// <summary>
/// Writes a <see cref="QFunction"/> as an ONNX model: inputs <c>observation</c> [N, obs] and <c>action</c>
/// [N, act], output <c>q</c> [N, 1]; Concat → Mul(input scale) → (Gemm → Tanh)* → Gemm → Mul(output scale),
/// opset 17, IR version 8: the file is the Q function itself, scales included.
/// </summary>
/// <remarks>Encoded by hand with Google.Protobuf's <see cref="CodedOutputStream"/> following onnx-subset.proto.</remarks>
public static class OnnxExporter
{
    public const int Opset = 17;
    public const long IrVersion = 8;
    public const string ObservationInput = QFileMetadata.ObservationInput;
    public const string ActionInput = QFileMetadata.ActionInput;
    public const string Output = QFileMetadata.Output;

    /// <summary>Writes the model atomically (temporary file flushed to disk, then rename).</summary>
    public static void Write(QFunction q, QFileMetadata metadata, string path)
    {
        AtomicFile.Write(path, Encode(q, metadata));
    }

    public static byte[] Encode(QFunction q, QFileMetadata metadata)
    {
        if (metadata.ObservationLayout.Count != q.ObservationSize || metadata.ActionSize != q.ActionSize)
        {
            throw new ArgumentException("metadata does not describe this Q function's input sizes");
        }
        var net = q.Network;
        var graph = new MemoryStream();
        var g = new CodedOutputStream(graph);

        // Nodes: Concat, Mul by the input scale, then Gemm (+ Tanh) per layer, Mul by the output scale —
        // the trainer's own order of operations, so the two agree to float32 rounding.
        WriteMessage(g, 1, n => Node(n, "concat", "Concat", [ObservationInput, ActionInput], ["xraw"], ("axis", 1)));
        WriteMessage(g, 1, n => Node(n, "scale_in", "Mul", ["xraw", "input_scale"], ["x0"]));
        var current = "x0";
        for (var l = 0; l < net.Layers; l++)
        {
            var last = l == net.Layers - 1;
            var gemmOut = last ? "qraw" : $"z{l + 1}";
            var (w, b) = (current, l);
            WriteMessage(g, 1, n => Node(n, $"gemm{b + 1}", "Gemm", [w, $"W{b + 1}", $"B{b + 1}"], [gemmOut]));
            current = gemmOut;
            if (!last)
            {
                var tanhOut = $"x{l + 1}";
                var input = current;
                WriteMessage(g, 1, n => Node(n, $"tanh{b + 1}", "Tanh", [input], [tanhOut]));
                current = tanhOut;
            }
        }
        WriteMessage(g, 1, n => Node(n, "scale_out", "Mul", ["qraw", "output_scale"], [Output]));
        g.WriteTag(2, WireFormat.WireType.LengthDelimited);
        g.WriteString("mpq_q");

        // Initializers.
        WriteMessage(g, 5, t => Tensor(t, "input_scale", [q.InputSize], q.InputScale));
        WriteMessage(g, 5, t => Tensor(t, "output_scale", [1], [q.OutputScale]));
        for (var l = 0; l < net.Layers; l++)
        {
            var nIn = net.Sizes[l];
            var nOut = net.Sizes[l + 1];
            var weights = net.Weights(l).ToArray();
            var bias = net.Bias(l).ToArray();
            var layer = l;
            WriteMessage(g, 5, t => Tensor(t, $"W{layer + 1}", [nIn, nOut], weights));
            WriteMessage(g, 5, t => Tensor(t, $"B{layer + 1}", [nOut], bias));
        }
        WriteMessage(g, 11, v => ValueInfo(v, ObservationInput, q.ObservationSize));
        WriteMessage(g, 11, v => ValueInfo(v, ActionInput, q.ActionSize));
        WriteMessage(g, 12, v => ValueInfo(v, Output, 1));
        g.Flush();

        var model = new MemoryStream();
        var m = new CodedOutputStream(model);
        m.WriteTag(1, WireFormat.WireType.Varint);
        m.WriteInt64(IrVersion);
        m.WriteTag(2, WireFormat.WireType.LengthDelimited);
        m.WriteString("mpq-trainer");
        m.WriteTag(3, WireFormat.WireType.LengthDelimited);
        m.WriteString(typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0");
        m.WriteTag(6, WireFormat.WireType.LengthDelimited);
        m.WriteString("Soft Q function Q(s, a) as a cost-to-go, learned by MPQ; terminal cost of MPPI.");
        m.WriteTag(7, WireFormat.WireType.LengthDelimited);
        m.WriteBytes(ByteString.CopyFrom(graph.ToArray()));
        WriteMessage(m, 8, o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited);
            o.WriteString("");
            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt64(Opset);
        });
        foreach (var (key, value) in metadata.Entries())
        {
            Entry(m, key, value);
        }
        m.Flush();
        return model.ToArray();
    }

    private static void Entry(CodedOutputStream m, string key, string value) =>
        WriteMessage(m, 14, e =>
        {
            e.WriteTag(1, WireFormat.WireType.LengthDelimited);
            e.WriteString(key);
            e.WriteTag(2, WireFormat.WireType.LengthDelimited);
            e.WriteString(value);
        });

    private static void Node(CodedOutputStream n, string name, string op, string[] inputs, string[] outputs, (string Name, long Value)? intAttribute = null)
    {
        foreach (var i in inputs)
        {
            n.WriteTag(1, WireFormat.WireType.LengthDelimited);
            n.WriteString(i);
        }
        foreach (var o in outputs)
        {
            n.WriteTag(2, WireFormat.WireType.LengthDelimited);
            n.WriteString(o);
        }
        n.WriteTag(3, WireFormat.WireType.LengthDelimited);
        n.WriteString(name);
        n.WriteTag(4, WireFormat.WireType.LengthDelimited);
        n.WriteString(op);
        if (intAttribute is { } a)
        {
            WriteMessage(n, 5, at =>
            {
                at.WriteTag(1, WireFormat.WireType.LengthDelimited);
                at.WriteString(a.Name);
                at.WriteTag(3, WireFormat.WireType.Varint);
                at.WriteInt64(a.Value);
                at.WriteTag(20, WireFormat.WireType.Varint);
                at.WriteEnum(2); // INT
            });
        }
    }

    private static void Tensor(CodedOutputStream t, string name, long[] dims, float[] values)
    {
        foreach (var d in dims)
        {
            t.WriteTag(1, WireFormat.WireType.Varint);
            t.WriteInt64(d);
        }
        t.WriteTag(2, WireFormat.WireType.Varint);
        t.WriteInt32(1); // FLOAT
        t.WriteTag(8, WireFormat.WireType.LengthDelimited);
        t.WriteString(name);
        var raw = new byte[values.Length * 4];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(raw);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), values[i]);
            }
        }
        t.WriteTag(9, WireFormat.WireType.LengthDelimited);
        t.WriteBytes(ByteString.CopyFrom(raw));
    }

    private static void ValueInfo(CodedOutputStream v, string name, long width)
    {
        v.WriteTag(1, WireFormat.WireType.LengthDelimited);
        v.WriteString(name);
        WriteMessage(v, 2, type => WriteMessage(type, 1, tensor =>
        {
            tensor.WriteTag(1, WireFormat.WireType.Varint);
            tensor.WriteInt32(1); // FLOAT
            WriteMessage(tensor, 2, shape =>
            {
                WriteMessage(shape, 1, dim =>
                {
                    dim.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    dim.WriteString("N");
                });
                WriteMessage(shape, 1, dim =>
                {
                    dim.WriteTag(1, WireFormat.WireType.Varint);
                    dim.WriteInt64(width);
                });
            });
        }));
    }

    /// <summary>Writes a length-delimited sub-message built by <paramref name="body"/> under field <paramref name="field"/>.</summary>
    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> body)
    {
        var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        body(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }
}
