/// What the replay guard remembers of one frame: 512 sign bits of secret random projections of
/// the L2-normalised embedding (SimHash, Charikar 2002). Two frames at angle θ disagree in each bit
/// with probability θ/π, so the Hamming distance between codes estimates how close the frames are
/// — a replayed frame nudged by noise stays within a few bits of its original, while genuine
/// frames of another capture differ in dozens (docs/LIVENESS.md has the measurements).
///
/// Nothing here rebuilds a face: without the projection (derived from a server secret, see
/// `ReplayCoder`) the bits are meaningless, and even with it 512 sign bits give only a coarse
/// direction, of a frame the server already holds as a sealed template when the person is enrolled.
public struct ReplayCode: Sendable, Hashable {
    public static let bitCount = 512
    public static let byteCount = bitCount / 8
    /// Chunks of 32 bits the index looks codes up by (the first `indexedChunks` of 16).
    public static let indexedChunks = 4

    public var words: SIMD8<UInt64>

    public init(words: SIMD8<UInt64>) {
        self.words = words
    }

    /// From `byteCount` little-endian bytes (as stored in a BLOB column).
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        var words = SIMD8<UInt64>()
        for (index, byte) in bytes.enumerated() {
            words[index / 8] |= UInt64(byte) << (8 * UInt64(index % 8))
        }
        self.init(words: words)
    }

    public var bytes: [UInt8] {
        (0..<Self.byteCount).map { UInt8(truncatingIfNeeded: words[$0 / 8] >> (8 * UInt64($0 % 8))) }
    }

    /// Bits in which the two codes differ.
    @inline(__always)
    public func hammingDistance(to other: ReplayCode) -> Int {
        let difference = words ^ other.words
        var total = 0
        for lane in 0..<8 { total &+= difference[lane].nonzeroBitCount }
        return total
    }

    /// Index key of chunk `chunk` (0 ..< indexedChunks): the chunk number and its 32 bits.
    @inline(__always)
    func chunkKey(_ chunk: Int) -> UInt64 {
        let word = words[chunk / 2]
        let bits = chunk % 2 == 0 ? word & 0xFFFF_FFFF : word >> 32
        return UInt64(chunk) << 32 | bits
    }
}
