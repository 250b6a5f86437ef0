import Biometrics
import CVectorKernels
import Crypto
import Foundation
import Synchronization

/// Turns frames into `ReplayCode`s with a projection generated from a 32-byte secret: every bit is
/// the sign of the frame's dot product with one Gaussian direction. The same secret gives the same
/// projection on every node and after every restart (the server derives it from its template key
/// ring, see `PaymentsService`); a different secret gives codes unrelated to the old ones (they
/// never match, so changing it forgets the replay memory but never declines anyone).
///
/// The directions come from SHA-256 in counter mode over the secret and the dimension (Box–Muller
/// on 32-bit uniforms), one matrix per dimension, built on first use and cached.
public final class ReplayCoder: Sendable {
    private let secret: [UInt8]
    private let projections = Mutex<[Int: Projection]>([:])

    /// `bitCount` rows of `paddedDimension` floats, row-major, zero-padded.
    struct Projection: Sendable {
        let paddedDimension: Int
        let rows: [Float]
    }

    public init(secret: some Collection<UInt8>) {
        precondition(secret.count >= 16, "a replay projection secret has at least 128 bits")
        self.secret = Array(secret)
    }

    /// A coder for tests and in-process simulations (never for a server: its codes could be read).
    public static func fixed(_ label: String) -> ReplayCoder {
        ReplayCoder(secret: Array(SHA256.hash(data: Data("facepay-replay-test|\(label)".utf8))))
    }

    public func codes(of embeddings: [Embedding]) -> [ReplayCode] {
        guard let dimension = embeddings.first?.dimension else { return [] }
        let projection = self.projection(dimension: dimension)
        return embeddings.map { code(of: $0, projection) }
    }

    private func code(of embedding: Embedding, _ projection: Projection) -> ReplayCode {
        precondition(embedding.dimension <= projection.paddedDimension, "one dimension per coder call")
        var words = [UInt64](repeating: 0, count: ReplayCode.bitCount / 64)
        let padded = projection.paddedDimension
        withUnsafeTemporaryAllocation(of: Float.self, capacity: padded) { probe in
            probe.initialize(repeating: 0)
            for (index, value) in embedding.values.enumerated() { probe[index] = value }
            projection.rows.withUnsafeBufferPointer { rows in
                facepay_sign_projection(rows.baseAddress!, ReplayCode.bitCount, padded, probe.baseAddress!, &words)
            }
        }
        return ReplayCode(words: SIMD8(words))
    }

    func projection(dimension: Int) -> Projection {
        if let cached = projections.withLock({ $0[dimension] }) { return cached }
        let built = Self.build(secret: secret, dimension: dimension)
        return projections.withLock { cache in
            if let cached = cache[dimension] { return cached }
            cache[dimension] = built
            return built
        }
    }

    private static func build(secret: [UInt8], dimension: Int) -> Projection {
        let padded = (dimension + 7) / 8 * 8
        var rows = [Float](repeating: 0, count: ReplayCode.bitCount * padded)
        var uniforms: [UInt32] = []
        var counter: UInt64 = 0
        func nextUniform() -> Double {
            if uniforms.isEmpty {
                var hasher = SHA256()
                hasher.update(data: Array("facepay-replay-projection-v1".utf8))
                hasher.update(data: secret)
                withUnsafeBytes(of: UInt64(dimension).littleEndian) { hasher.update(bufferPointer: $0) }
                withUnsafeBytes(of: counter.littleEndian) { hasher.update(bufferPointer: $0) }
                counter += 1
                let digest = Array(hasher.finalize())
                uniforms = (0..<8).map { word in
                    (0..<4).reduce(UInt32(0)) { $0 | UInt32(digest[word * 4 + $1]) << (8 * UInt32($1)) }
                }
            }
            // In (0, 1): never 0, so the logarithm below is finite.
            return (Double(uniforms.removeLast()) + 0.5) / 4_294_967_296
        }
        for bit in 0..<ReplayCode.bitCount {
            var column = 0
            while column < dimension {
                let radius = (-2 * Foundation.log(nextUniform())).squareRoot()
                let angle = 2 * Double.pi * nextUniform()
                rows[bit * padded + column] = Float(radius * Foundation.cos(angle))
                if column + 1 < dimension { rows[bit * padded + column + 1] = Float(radius * Foundation.sin(angle)) }
                column += 2
            }
        }
        return Projection(paddedDimension: padded, rows: rows)
    }
}
