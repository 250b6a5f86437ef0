import Biometrics

/// The smallest and largest cosine similarity over every pair of frames: O(frames²) dot products
/// (435 of 128 floats for 30 frames), done with SIMD16 accumulators and no allocation.
public struct PairwiseSimilarity: Sendable, Equatable {
    public let minimum: Float
    public let maximum: Float

    public init(minimum: Float, maximum: Float) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// nil for fewer than two embeddings.
    public init?(of embeddings: [Embedding]) {
        guard embeddings.count >= 2 else { return nil }
        var minimum = Float.infinity
        var maximum = -Float.infinity
        for first in 0..<(embeddings.count - 1) {
            for second in (first + 1)..<embeddings.count {
                let similarity = Self.dot(embeddings[first].values, embeddings[second].values)
                minimum = Swift.min(minimum, similarity)
                maximum = Swift.max(maximum, similarity)
            }
        }
        self.init(minimum: minimum, maximum: maximum)
    }

    /// Dot product with one SIMD16 accumulator (CONVENTIONS: reaches memory bandwidth; no
    /// `addProduct`, which calls `fmaf` per lane on the default x86-64 target).
    static func dot(_ left: [Float], _ right: [Float]) -> Float {
        precondition(left.count == right.count, "dimension mismatch")
        return left.withUnsafeBufferPointer { leftBuffer in
            right.withUnsafeBufferPointer { rightBuffer in
                let count = leftBuffer.count
                let vectorCount = count / 16
                var accumulator = SIMD16<Float>()
                if let leftBase = leftBuffer.baseAddress, let rightBase = rightBuffer.baseAddress {
                    let leftRaw = UnsafeRawPointer(leftBase)
                    let rightRaw = UnsafeRawPointer(rightBase)
                    for block in 0..<vectorCount {
                        let offset = block * 16 * MemoryLayout<Float>.stride
                        accumulator += leftRaw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                            * rightRaw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                    }
                }
                var total = accumulator.sum()
                for index in (vectorCount * 16)..<count { total += leftBuffer[index] * rightBuffer[index] }
                return total
            }
        }
    }
}
