import FacePayWire
import FuzzSupport

// POST /v1/payments: the fast path against JSONDecoder, then the face evidence's validation.
fuzz { bytes in
    if let body = Differential.body(PaymentBody.self, bytes) {
        FaceEvidenceProperties.check(body.face)
    }
}
