import FacePayCore
import Foundation

/// A validated, L2-normalised face embedding. The only way to get one is through validation, so
/// every `Embedding` in the process has the model's dimension, finite values and unit length.
/// Biometric values: never log, audit or return one.
public struct Embedding: Sendable, Equatable {
    /// Unit-length components.
    public let values: [Float]

    public var dimension: Int { values.count }

    /// Validates and normalises a raw vector. Throws `invalid_embedding` with a detail that names
    /// what is wrong (dimension, non-finite value, zero vector) but never echoes the values.
    public init(validating raw: [Float], dimension expected: Int) throws(FacePayError) {
        guard raw.count == expected else {
            throw Embedding.invalid("expected \(expected) values, got \(raw.count)")
        }
        var sumOfSquares: Double = 0
        for value in raw {
            guard value.isFinite else { throw Embedding.invalid("contains NaN or infinity") }
            sumOfSquares += Double(value) * Double(value)
        }
        guard sumOfSquares > 1e-12, sumOfSquares.isFinite else {
            throw Embedding.invalid("zero vector")
        }
        let scale = Float(1 / sumOfSquares.squareRoot())
        values = raw.map { $0 * scale }
    }

    /// Validates a JSON `embedding` array (JSON numbers arrive as `Double`). A magnitude beyond
    /// float32's range becomes infinity and is rejected like any non-finite value.
    public init(validatingJSONNumbers raw: [Double], dimension expected: Int) throws(FacePayError) {
        try self.init(validating: raw.map { Float($0) }, dimension: expected)
    }

    /// Decodes `embedding_b64`: base64 of little-endian float32, then validates as above.
    public init(base64 text: String, dimension expected: Int) throws(FacePayError) {
        guard let data = Data(base64Encoded: text) else {
            throw Embedding.invalid("embedding_b64 is not valid base64")
        }
        guard data.count % 4 == 0 else {
            throw Embedding.invalid("embedding_b64 length is not a multiple of 4 bytes")
        }
        var raw = [Float]()
        raw.reserveCapacity(data.count / 4)
        data.withUnsafeBytes { buffer in
            for offset in stride(from: 0, to: buffer.count, by: 4) {
                let bits = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                raw.append(Float(bitPattern: bits))
            }
        }
        try self.init(validating: raw, dimension: expected)
    }

    /// An already-normalised vector from trusted storage (decrypted template). Precondition, not
    /// validation: a corrupt template is a programmer or storage error.
    public init(trustedUnitVector values: [Float]) {
        precondition(!values.isEmpty && values.allSatisfy(\.isFinite), "template must be finite")
        self.values = values
    }

    /// Cosine similarity of two unit vectors: their dot product, in [-1, 1].
    public func similarity(to other: Embedding) -> Float {
        precondition(other.dimension == dimension, "dimension mismatch")
        return Embedding.dot(values, other.values)
    }

    /// The normalised mean of several embeddings: the enrolment template.
    public static func meanTemplate(of embeddings: [Embedding]) -> Embedding {
        precondition(!embeddings.isEmpty, "mean of no embeddings")
        var sum = [Float](repeating: 0, count: embeddings[0].dimension)
        for embedding in embeddings {
            for index in sum.indices { sum[index] += embedding.values[index] }
        }
        let norm = sum.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        precondition(norm > 0, "mean of opposite embeddings")
        return Embedding(trustedUnitVector: sum.map { $0 / norm })
    }

    /// The same float32 kernel the gallery index scores with, so a 1:1 score and a 1:N score of
    /// the same pair are bit-identical (dimensions that are a multiple of 16, as every built-in
    /// model's is; others fall back to a plain loop).
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "dimension mismatch")
        guard a.count % VectorKernels.laneCount == 0 else {
            var total: Float = 0
            for index in a.indices { total += a[index] * b[index] }
            return total
        }
        return a.withUnsafeBufferPointer { bufferA in
            b.withUnsafeBufferPointer { bufferB in
                guard let baseA = bufferA.baseAddress, let baseB = bufferB.baseAddress else { return 0 }
                return VectorKernels.dot(baseA, baseB, paddedCount: a.count)
            }
        }
    }

    static func invalid(_ detail: String) -> FacePayError {
        FacePayError(.badRequest, code: "invalid_embedding", detail: detail)
    }
}
