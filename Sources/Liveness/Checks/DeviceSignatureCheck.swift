/// A device with a registered Ed25519 key — and every terminal when `requireTerminalSignatures` is
/// on — sends `Device-Signature`, the signature of the exact request body bytes. This is what stops
/// injected frames: whoever can call the API without the device's key cannot sign.
public struct DeviceSignatureCheck: LivenessCheck {
    public let requireTerminalSignatures: Bool

    public init(settings: LivenessSettings) {
        requireTerminalSignatures = settings.requireTerminalSignatures
    }

    public var failureNames: [LivenessCheckName] { [.signatureMissing, .signatureInvalid] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        let submission = context.submission
        let required = submission.devicePublicKey != nil || (submission.deviceIsTerminal && requireTerminalSignatures)
        // A device with no key that need not sign: a header it sends cannot be checked and is ignored.
        guard required else { return .pass }
        guard let header = submission.signatureHeader, !header.isEmpty else { return .fail(.signatureMissing) }
        // Required by setting but no key registered: nothing can verify it.
        guard let key = submission.devicePublicKey else { return .fail(.signatureInvalid) }
        return key.isValidSignature(header, for: submission.requestBody) ? .pass : .fail(.signatureInvalid)
    }
}
