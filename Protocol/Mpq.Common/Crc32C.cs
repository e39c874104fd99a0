using System.Buffers.Binary;
using System.Numerics;

namespace Mpq.Common;

/// <summary>CRC-32C (Castagnoli, reflected, init and final XOR 0xFFFFFFFF), hardware-accelerated where the CPU has it.</summary>
/// <remarks>Check value: CRC-32C("123456789") = 0xE3069283.</remarks>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }
        return ~crc;
    }
}
