import Biometrics
import FacePayCore
import Foundation
import Liveness

/// What decoded face evidence must satisfy, whichever decoder made it, and what the embedding
/// validation that follows decoding (`validatedEmbeddings`) must do with it: a value or a 400.
public enum FaceEvidenceProperties {
    public static func check(_ evidence: FaceEvidence) {
        FuzzSupport.check(evidence.frames.count <= FaceEvidence.framesDecodedMax, "more frames than the decoding bound")
        FuzzSupport.check(evidence.challengeID.utf8.count <= FaceEvidence.identifierCharactersMax, "challenge_id over its bound")
        FuzzSupport.check(evidence.model.utf8.count <= FaceEvidence.identifierCharactersMax, "model over its bound")
        for frame in evidence.frames {
            FuzzSupport.check((0...EvidenceFrame.timeMillisecondsMax).contains(frame.timeMilliseconds), "t_ms out of range")
            FuzzSupport.check((-180...180).contains(frame.yawDegrees), "yaw_deg out of range")
            FuzzSupport.check((-90...90).contains(frame.pitchDegrees), "pitch_deg out of range")
            FuzzSupport.check((0...1).contains(frame.eyesOpen), "eyes_open out of range")
            FuzzSupport.check((0...1).contains(frame.padScore), "pad_score out of range")
            switch frame.embedding {
            case .values(let values): FuzzSupport.check(values.count <= EvidenceFrame.embeddingValuesMax, "embedding over its bound")
            case .base64(let text): FuzzSupport.check(text.utf8.count <= (EvidenceFrame.embeddingValuesMax * 4 + 2) / 3 * 4, "embedding_b64 over its bound")
            }
        }
        // The built-in models' dimension, and the first frame's own length so that validation gets
        // past the dimension check and into decoding and normalisation.
        var dimensions: Set<Int> = [128]
        if let first = evidence.frames.first {
            switch first.embedding {
            case .values(let values): dimensions.insert(values.count)
            case .base64(let text): if let data = Data(base64Encoded: text) { dimensions.insert(data.count / 4) }
            }
        }
        for dimension in dimensions { validate(evidence, dimension: dimension) }
    }

    private static func validate(_ evidence: FaceEvidence, dimension: Int) {
        do throws(FacePayError) {
            let embeddings = try evidence.validatedEmbeddings(dimension: dimension)
            FuzzSupport.check(embeddings.count == evidence.frames.count, "one embedding per frame")
            for embedding in embeddings {
                FuzzSupport.check(embedding.dimension == dimension, "validated embedding of another dimension")
                var sumOfSquares: Double = 0
                for value in embedding.values {
                    FuzzSupport.check(value.isFinite, "validated embedding with a non-finite value")
                    sumOfSquares += Double(value) * Double(value)
                }
                FuzzSupport.check(abs(sumOfSquares.squareRoot() - 1) < 1e-3, "validated embedding not of unit length: \(sumOfSquares.squareRoot())")
            }
        } catch {
            FuzzSupport.check(error.kind == .badRequest && error.code == "invalid_embedding", "validation refused with \(error)")
        }
    }
}
