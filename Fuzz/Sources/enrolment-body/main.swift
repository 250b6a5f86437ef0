import FacePayWire
import FuzzSupport

// POST /v1/customers and the kiosk's money bodies: JSONDecoder only (no fast path), through
// WireBody.decode: the same value or a 400. The same bytes are tried as each body, since a
// mutation of one is a fair input for the others.
fuzz { bytes in
    if let body = Differential.foundationBody(EnrolmentBody.self, bytes) {
        FaceEvidenceProperties.check(body.face)
    }
    Differential.foundationBody(MoneyBody.self, bytes)
    Differential.foundationBody(AmountBody.self, bytes)
}
