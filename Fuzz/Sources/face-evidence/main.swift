import FacePayCore
import FacePayWire
import FuzzSupport
import Liveness

// The `face` object alone (the fast path's FaceEvidence.readPlain against JSONDecoder) and the
// erasure body, which is nothing but a face; every evidence that decodes is then validated as the
// liveness policy does (base64 decoding, dimension, finiteness, normalisation).
fuzz { bytes in
    let oracle = Differential.foundation(FaceEvidence.self, bytes)
    let fast = StrictJSONReader.with(bytes) { reader -> FaceEvidence? in
        guard let value = FaceEvidence.readPlain(&reader), reader.isAtEnd() else { return nil }
        return value
    }
    if let fast {
        check(oracle != nil, "the fast path accepted face evidence that JSONDecoder refuses")
        check(fast == oracle, "the fast path decoded face evidence differently from JSONDecoder")
    }
    if let evidence = fast ?? oracle { FaceEvidenceProperties.check(evidence) }
    if let erasure = Differential.foundationBody(ErasureBody.self, bytes) {
        FaceEvidenceProperties.check(erasure.face)
    }
}
