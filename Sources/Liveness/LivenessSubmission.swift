/// Everything the policy needs about one request carrying face evidence. The HTTP layer fills it:
/// the decoded `face` object, the model's dimension (from the model profile), who is calling (from
/// the client certificate and the devices table) and the exact body bytes with the
/// `Device-Signature` header.
public struct LivenessSubmission: Sendable {
    public var evidence: FaceEvidence
    /// The dimension of `evidence.model`; the caller has already refused unknown models.
    public var embeddingDimension: Int
    public var deviceID: String
    /// Terminals must sign when `LivenessSettings.requireTerminalSignatures` is on.
    public var deviceIsTerminal: Bool
    /// The device's registered Ed25519 key, if it has one; then it must sign.
    public var devicePublicKey: DevicePublicKey?
    /// The exact bytes of the request body, as received: what the signature covers.
    public var requestBody: [UInt8]
    /// The `Device-Signature` header value, if sent.
    public var signatureHeader: String?

    public init(evidence: FaceEvidence, embeddingDimension: Int, deviceID: String, deviceIsTerminal: Bool,
                devicePublicKey: DevicePublicKey? = nil, requestBody: [UInt8] = [], signatureHeader: String? = nil) {
        precondition(embeddingDimension > 0, "model dimension must be positive")
        self.evidence = evidence
        self.embeddingDimension = embeddingDimension
        self.deviceID = deviceID
        self.deviceIsTerminal = deviceIsTerminal
        self.devicePublicKey = devicePublicKey
        self.requestBody = requestBody
        self.signatureHeader = signatureHeader
    }
}
