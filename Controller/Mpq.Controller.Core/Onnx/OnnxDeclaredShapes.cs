using Google.Protobuf;

namespace Mpq.Controller.Onnx;

/// <summary>
/// What an ONNX file itself declares for a graph output's shape, read from the protobuf before ONNX Runtime sees it.
/// ONNX Runtime reports the shape it infers and only warns (on its own stderr) when the declaration disagrees, so a
/// file that declares <c>q</c> as [N, 2] would otherwise load as [N, 1] without a word.
/// </summary>
internal static class OnnxDeclaredShapes
{
    // ModelProto.graph = 7; GraphProto.output = 12; ValueInfoProto.name = 1, .type = 2; TypeProto.tensor_type = 1;
    // Tensor.shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1, .dim_param = 2.
    private const int ModelGraph = 7;
    private const int GraphOutput = 12;

    /// <summary>
    /// The declared dimensions of graph output <paramref name="name"/>, each as its value ("1") or its symbol ("N"; "?"
    /// when neither is given); null when the output or its shape is not declared, or the bytes are not a model (ONNX
    /// Runtime then says what is wrong).
    /// </summary>
    public static IReadOnlyList<string>? Output(byte[] model, string name)
    {
        try
        {
            var graph = Field(new CodedInputStream(model), ModelGraph);
            if (graph is null)
            {
                return null;
            }
            var input = graph.CreateCodedInput();
            IReadOnlyList<string>? found = null;
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == GraphOutput && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                {
                    var (outputName, dims) = ValueInfo(input.ReadBytes());
                    if (outputName == name)
                    {
                        found = dims;
                    }
                }
                else
                {
                    input.SkipLastField();
                }
            }
            return found;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static (string? Name, IReadOnlyList<string>? Dims) ValueInfo(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string? name = null;
        IReadOnlyList<string>? dims = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    name = input.ReadString();
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    var tensor = Field(input.ReadBytes().CreateCodedInput(), 1);
                    var shape = tensor is null ? null : Field(tensor.CreateCodedInput(), 2);
                    dims = shape is null ? null : Dimensions(shape);
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return (name, dims);
    }

    private static List<string> Dimensions(ByteString shape)
    {
        var dims = new List<string>();
        var input = shape.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 1 || WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
            {
                input.SkipLastField();
                continue;
            }
            var dim = input.ReadBytes().CreateCodedInput();
            var text = "?";
            uint inner;
            while ((inner = dim.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(inner))
                {
                    case 1 when WireFormat.GetTagWireType(inner) == WireFormat.WireType.Varint:
                        text = dim.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case 2 when WireFormat.GetTagWireType(inner) == WireFormat.WireType.LengthDelimited:
                        text = dim.ReadString();
                        break;
                    default:
                        dim.SkipLastField();
                        break;
                }
            }
            dims.Add(text);
        }
        return dims;
    }

    /// <summary>The last length-delimited field <paramref name="number"/> of a message, or null.</summary>
    private static ByteString? Field(CodedInputStream input, int number)
    {
        ByteString? found = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found = input.ReadBytes();
            }
            else
            {
                input.SkipLastField();
            }
        }
        return found;
    }
}
