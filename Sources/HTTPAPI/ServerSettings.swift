import FacePayCore
import Foundation
import Payments

/// Everything `facepay serve` needs to listen: addresses, certificate paths, bounds.
public struct ServerSettings: Sendable {
    public var apiHost: String = "127.0.0.1"
    public var apiPort: Int = 8443
    public var opsHost: String = "127.0.0.1"
    public var opsPort: Int = 9090
    /// PEM files: the server's certificate chain and key, and the CA that client certificates must chain to.
    public var serverCertificatePath: String
    public var serverKeyPath: String
    public var clientCAPath: String
    public var limits = Limits()
    /// How long expired challenges and idempotency records are kept (`RetentionPurgeService`).
    public var retention = RetentionSettings()
    /// The audit signing key file (LEDGER.md, "Receipts"); nil: no checkpoints, the receipt
    /// routes answer 503 `receipts_unavailable`.
    public var auditSigningKeyPath: String?
    /// Create the key file when it is missing (development; `--production` never does).
    public var createAuditSigningKey = false
    /// The time zone the console shows on hover beside UTC (`--console-time-zone`).
    public var consoleTimeZone = TimeZone.current
    /// Checkpoints signed at an interval and written to witnesses; nil: on demand only.
    public var auditWitness: AuditWitnessService.Settings?

    public init(serverCertificatePath: String, serverKeyPath: String, clientCAPath: String) {
        self.serverCertificatePath = serverCertificatePath
        self.serverKeyPath = serverKeyPath
        self.clientCAPath = clientCAPath
    }

    /// Parses `HOST:PORT` (`[::1]:8443` for IPv6); port 0 lets the system choose.
    public static func parseAddress(_ text: String) throws -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(after: close)...].dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            throw FacePayError(.badRequest, code: "invalid_address", detail: "'\(text)' is not HOST:PORT")
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw FacePayError(.badRequest, code: "invalid_address", detail: "'\(text)' is not HOST:PORT with a port 0-65535")
        }
        return (String(host), port)
    }
}
