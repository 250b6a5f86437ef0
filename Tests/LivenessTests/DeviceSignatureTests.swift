import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Device signatures")
struct DeviceSignatureTests {
    // Made with: openssl genpkey -algorithm ed25519 -out ed.key; openssl pkey -in ed.key -pubout;
    // printf '{"challenge_id":"chl_x","frames":[]}' | openssl pkeyutl -sign -rawin -inkey ed.key | base64
    static let opensslPEM = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAFiaozLeihRwF7Q2/wbGkD60V4M9urO+jpfrBVwiSI9I=
        -----END PUBLIC KEY-----

        """
    static let opensslRawBase64 = "FiaozLeihRwF7Q2/wbGkD60V4M9urO+jpfrBVwiSI9I="
    static let opensslMessage = Array(#"{"challenge_id":"chl_x","frames":[]}"#.utf8)
    static let opensslSignature = "sB9olgdeTp11oJX5RtngxNlWOFp5apx5NPQFmMprwo6cXUfsJ34IjTsC3IZI7uCLoOWUY3FobLjGPrICD3qeCA=="

    @Test func parsesOpenSSLPEMAndRawBase64() throws {
        let pem = try DevicePublicKey(parsing: Self.opensslPEM)
        let raw = try DevicePublicKey(parsing: Self.opensslRawBase64)
        #expect(pem == raw)
        #expect(pem.rawRepresentation.base64EncodedString() == Self.opensslRawBase64)
        #expect(pem.isValidSignature(Self.opensslSignature, for: Self.opensslMessage))
        #expect(!pem.isValidSignature(Self.opensslSignature, for: Self.opensslMessage + [0x20]))
        #expect(try DevicePublicKey(parsing: pem.pemRepresentation) == pem)
    }

    @Test("malformed keys are refused", arguments: [
        "", "not base64!", "AAAA",
        // A P-256 SubjectPublicKeyInfo is not an Ed25519 key.
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PUBLIC KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----",
    ])
    func malformedKeys(text: String) {
        #expect(throws: FacePayError.self) { try DevicePublicKey(parsing: text) }
    }

    @Test func garbageSignaturesAreInvalidNotCrashes() throws {
        let key = DeviceSigningKey().publicKey
        for header in ["", "%%%", String(repeating: "A", count: 500), Data(count: 64).base64EncodedString()] {
            #expect(!key.isValidSignature(header, for: [1, 2, 3]))
        }
    }

    @Test func deviceWithKeyMustSignExactBody() async throws {
        var fixture = Fixture()
        let evidence = fixture.evidence(for: try await fixture.challenge(deviceID: Fixture.signedTerminal))
        // The right signature passes.
        #expect(try await fixture.evaluate(evidence, deviceID: Fixture.signedTerminal).passed)

        let next = fixture.evidence(for: try await fixture.challenge(deviceID: Fixture.signedTerminal))
        let body = Array(try JSONEncoder().encode(next))
        // The device's own signature of other bytes (one added space) is invalid.
        let otherBytes = fixture.signingKey.signatureHeader(for: body + [0x20])
        #expect(try await fixture.evaluate(next, deviceID: Fixture.signedTerminal, signature: otherBytes).failedChecks
                == [.signatureInvalid])
        // Missing.
        let third = fixture.evidence(for: try await fixture.challenge(deviceID: Fixture.signedTerminal))
        #expect(try await fixture.evaluate(third, deviceID: Fixture.signedTerminal, signature: .some(nil)).failedChecks
                == [.signatureMissing])
    }

    @Test func requireTerminalSignatures() async throws {
        var settings = LivenessSettings()
        settings.requireTerminalSignatures = true
        var fixture = Fixture(settings: settings)
        // A terminal without a registered key can never pass.
        let unsigned = fixture.evidence(for: try await fixture.challenge())
        #expect(try await fixture.evaluate(unsigned).failedChecks == [.signatureMissing])
        let selfSigned = fixture.evidence(for: try await fixture.challenge())
        let header = DeviceSigningKey().signatureHeader(for: Array(try JSONEncoder().encode(selfSigned)))
        #expect(try await fixture.evaluate(selfSigned, signature: header).failedChecks == [.signatureInvalid])
        // A kiosk without a key is not a terminal: allowed.
        let kiosk = fixture.evidence(for: try await fixture.challenge(deviceID: "K-1"))
        #expect(try await fixture.evaluate(kiosk, deviceID: "K-1").passed)
        // A signing terminal passes.
        let signed = fixture.evidence(for: try await fixture.challenge(deviceID: Fixture.signedTerminal))
        #expect(try await fixture.evaluate(signed, deviceID: Fixture.signedTerminal).passed)
    }
}
