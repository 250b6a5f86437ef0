import Biometrics
import FacePayCore

extension FaceEvidence {
    /// Validates and normalises every frame's embedding for a model of `dimension`. Throws 400
    /// `invalid_embedding` naming the frame (never echoing values). The caller bounds
    /// `frames.count` first; the policy skips this above `framesMax`.
    public func validatedEmbeddings(dimension: Int) throws(FacePayError) -> [Embedding] {
        precondition(frames.count <= FaceEvidence.framesDecodedMax, "frame count is bounded before validation")
        var embeddings = [Embedding]()
        embeddings.reserveCapacity(frames.count)
        for (index, frame) in frames.enumerated() {
            do {
                switch frame.embedding {
                case .values(let values): embeddings.append(try Embedding(validating: values, dimension: dimension))
                case .base64(let text): embeddings.append(try Embedding(base64: text, dimension: dimension))
                }
            } catch {
                throw FacePayError(error.kind, code: error.code, detail: "field 'frames[\(index)].embedding': \(error.detail)")
            }
        }
        return embeddings
    }
}
