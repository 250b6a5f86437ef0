import Crypto
import FacePayCore
import Foundation

/// A device's Ed25519 public key, registered with the device. Evidence from a device that has one
/// must carry `Device-Signature: base64(Ed25519(exact request body bytes))`.
public struct DevicePublicKey: Sendable, Equatable {
    /// The HTTP header that carries the signature.
    public static let signatureHeaderName = "Device-Signature"

    /// The 32 raw bytes (what the devices table stores). swift-crypto's key type is not
    /// `Sendable`, so the bytes are kept and the key rebuilt per verification (a 32-byte copy).
    public let rawRepresentation: Data

    public init(rawRepresentation: some ContiguousBytes) throws(FacePayError) {
        do {
            let key = try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
            self.rawRepresentation = key.rawRepresentation
        } catch {
            throw Self.invalid("not a 32-byte Ed25519 public key")
        }
    }

    /// Parses a key file: PEM "PUBLIC KEY" (SubjectPublicKeyInfo, as `openssl genpkey -algorithm
    /// ed25519 | openssl pkey -pubout` writes it) or the raw 32 bytes in base64.
    public init(parsing text: String) throws(FacePayError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") {
            let lines = trimmed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            guard lines.first == "-----BEGIN PUBLIC KEY-----", lines.last == "-----END PUBLIC KEY-----" else {
                throw Self.invalid("expected a PEM \"PUBLIC KEY\" block")
            }
            guard let der = Data(base64Encoded: lines.dropFirst().dropLast().joined()) else {
                throw Self.invalid("PEM body is not base64")
            }
            try self.init(subjectPublicKeyInfo: der)
        } else {
            guard let raw = Data(base64Encoded: trimmed), raw.count == 32 else {
                throw Self.invalid("expected PEM or base64 of 32 raw bytes")
            }
            try self.init(rawRepresentation: raw)
        }
    }

    /// DER SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): always these 12 bytes, then the key.
    static let subjectPublicKeyInfoPrefix: [UInt8] = [
        0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00,
    ]

    init(subjectPublicKeyInfo der: Data) throws(FacePayError) {
        let bytes = [UInt8](der)
        guard bytes.count == Self.subjectPublicKeyInfoPrefix.count + 32,
              bytes.starts(with: Self.subjectPublicKeyInfoPrefix) else {
            throw Self.invalid("not an Ed25519 SubjectPublicKeyInfo")
        }
        try self.init(rawRepresentation: bytes.dropFirst(Self.subjectPublicKeyInfoPrefix.count))
    }

    /// PEM "PUBLIC KEY", as openssl writes it.
    public var pemRepresentation: String {
        let der = Data(Self.subjectPublicKeyInfoPrefix) + rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n" + der.base64EncodedString() + "\n-----END PUBLIC KEY-----\n"
    }

    /// True when `signatureBase64` is a valid signature of exactly `body`.
    public func isValidSignature(_ signatureBase64: String, for body: some DataProtocol) -> Bool {
        guard signatureBase64.utf8.count <= 128,
              let signature = Data(base64Encoded: signatureBase64.trimmingCharacters(in: .whitespaces)),
              signature.count == 64,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: body)
    }

    static func invalid(_ detail: String) -> FacePayError {
        FacePayError(.badRequest, code: "invalid_public_key", detail: detail)
    }
}
