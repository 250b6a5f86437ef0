import Biometrics
import Crypto
import Foundation

/// What the replay guard remembers of one frame: 128 bits of
/// SHA-256("facepay-frame-v1" ‖ dimension ‖ `quantised(component)` as Int16 LE, for each component
/// of the L2-normalised embedding).
///
/// Why the normalised, quantised vector and not the float32 bits as received: an exact replay has
/// the same bits and so the same fingerprint anyway, but the same frame re-encoded (JSON array ↔
/// `embedding_b64`, rescaled, printed with fewer digits, or nudged by noise of ~1e-4 per component)
/// keeps almost every component in its 1/128-wide bucket, and one unchanged frame out of a capture
/// is enough to catch the replay. Genuine frames never collide: two frames of one real video differ
/// by several buckets in dozens of components. Larger deliberate noise (≳ 1e-3 per component)
/// does defeat it; that attacker is injecting forged frames, which is what device signatures stop.
///
/// 128 bits keeps the stored row small; accidental collisions need ~2^64 frames.
public struct FrameFingerprint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    /// Bucket width is 1 / quantisationScale.
    public static let quantisationScale: Float = 128
    private static let domain = Array("facepay-frame-v1".utf8)

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From the 16 bytes of `bytes` (as stored in a BLOB column).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    public init(of embedding: Embedding) {
        var hasher = SHA256()
        hasher.update(data: Self.domain)
        withUnsafeBytes(of: UInt32(embedding.dimension).littleEndian) { hasher.update(bufferPointer: $0) }
        // A stack buffer: fingerprinting runs for every frame and must not allocate.
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: embedding.dimension) { buffer in
            embedding.values.withUnsafeBufferPointer { values in
                for index in 0..<values.count {
                    buffer[index] = Self.quantised(values[index]).littleEndian
                }
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        let digest = hasher.finalize()
        var high: UInt64 = 0
        var low: UInt64 = 0
        digest.withUnsafeBytes { bytes in
            for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        }
        self.init(high: high, low: low)
    }

    /// round(128 · component), half away from zero, computed in Float32 as truncation of
    /// 128·|x| + 0.5 with x's sign. Spelled out because stored fingerprints depend on it, and
    /// because `rounded()` is a libm call per component on the default x86-64 target. Unit-vector
    /// components lie in [-1, 1], so the result fits Int16 easily.
    @inline(__always)
    static func quantised(_ component: Float) -> Int16 {
        let scaled = component * quantisationScale
        return Int16(scaled < 0 ? scaled - 0.5 : scaled + 0.5)
    }

    /// Big-endian 16 bytes, for a BLOB primary key.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    public var description: String {
        bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    public static func < (left: FrameFingerprint, right: FrameFingerprint) -> Bool {
        (left.high, left.low) < (right.high, right.low)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
