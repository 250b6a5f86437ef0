import FacePayWire
import FuzzSupport

// POST /v1/verifications (no Idempotency-Key, so the cheapest body to send): the fast path
// against JSONDecoder, then the face evidence's validation.
fuzz { bytes in
    if let body = Differential.body(VerificationBody.self, bytes) {
        FaceEvidenceProperties.check(body.face)
    }
}
