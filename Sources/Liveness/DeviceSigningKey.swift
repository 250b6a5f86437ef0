import Crypto
import Foundation

/// A device's Ed25519 private key: what a terminal holds to sign its requests. The server never
/// has one; the simulator and tests do.
public struct DeviceSigningKey: Sendable {
    /// The 32-byte seed. swift-crypto's key type is not `Sendable`, so the bytes are kept and the
    /// key rebuilt when used.
    public let rawRepresentation: Data

    /// A new random key.
    public init() { rawRepresentation = Curve25519.Signing.PrivateKey().rawRepresentation }

    public init(rawRepresentation: some ContiguousBytes) throws {
        self.rawRepresentation = try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation).rawRepresentation
    }

    private var key: Curve25519.Signing.PrivateKey {
        guard let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation) else {
            preconditionFailure("stored Ed25519 seed rejected")
        }
        return key
    }

    public var publicKey: DevicePublicKey {
        // A key swift-crypto just derived is always a valid public key.
        guard let publicKey = try? DevicePublicKey(rawRepresentation: key.publicKey.rawRepresentation) else {
            preconditionFailure("derived Ed25519 public key rejected")
        }
        return publicKey
    }

    /// The `Device-Signature` header value for `body`: base64 of the Ed25519 signature.
    public func signatureHeader(for body: some DataProtocol) -> String {
        do {
            return try key.signature(for: body).base64EncodedString()
        } catch {
            // BoringSSL's Ed25519 signing cannot fail for a valid key.
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
    }
}
