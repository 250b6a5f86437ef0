import AsyncHTTPClient
import FacePayCore
import Foundation
import Liveness
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import NIOSSL

/// A device talking to a running FacePay server over mutual TLS with its own client
/// certificate, over keep-alive connections (AsyncHTTPClient's pool), as a terminal or kiosk
/// would. Used by `facepay simulate` and the `facepay bench api` load generator.
public final class LiveClient: Sendable {
    public struct Reply: Sendable {
        public let status: Int
        public let body: Data

        public func json() -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
        }
    }

    let http: HTTPClient
    let baseURL: String

    /// `certificatePath`/`keyPath`: the device's PEM files; `caPath`: the CA the server certificate
    /// chains to. `connectionsMax`: keep-alive connections per host.
    public init(baseURL: String, certificatePath: String, keyPath: String, caPath: String, connectionsMax: Int = 8) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsMax)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, idempotencyKey: String? = nil,
                     signature: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let signature { request.headers.add(name: "Device-Signature", value: signature) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        return Reply(status: Int(response.status.code), body: Data(buffer: bytes))
    }

    /// A fresh liveness challenge for this device.
    public func challenge() async throws -> (id: String, actions: [ChallengeAction]) {
        let reply = try await send(.POST, "/v1/challenges")
        let json = reply.json()
        guard reply.status == 201, let id = json["challenge_id"] as? String, let names = json["actions"] as? [String] else {
            throw LiveSimulationError("challenge refused: HTTP \(reply.status) \(String(decoding: reply.body, as: UTF8.self))",
                                      code: "challenge_" + (json["code"] as? String ?? "http_\(reply.status)"))
        }
        return (id, names.compactMap(ChallengeAction.init(rawValue:)))
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// `{fields…, "face": <face JSON>}` with the face spliced in as generated.
    public static func body(_ fields: String, face: [UInt8]) -> [UInt8] {
        Array("{\(fields)\(fields.isEmpty ? "" : ",")\"face\":".utf8) + face + Array("}".utf8)
    }
}

public struct LiveSimulationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// A short stable label for tallies.
    public let code: String
    public init(_ description: String, code: String = "error") {
        self.description = description
        self.code = code
    }
}
