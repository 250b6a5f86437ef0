import FacePayCore
import Hummingbird
import NIOCore
import NIOSSL
import Stores
import SwiftASN1
import Synchronization
import X509

/// Turns the TLS client certificate into a registered `Device`.
///
/// The TLS handshake has already checked that the certificate chains to the client CA (the server
/// demands a certificate and trusts only that CA). Here: OU must be a role, CN a device registered
/// with that same role and status `active`. The device row is read on every request, so a
/// revocation takes effect on the device's next request without a restart.
public struct ClientIdentityMiddleware: RouterMiddleware {
    public typealias Context = FacePayRequestContext
    let devices: any DeviceRegistry
    /// Parsed subjects of certificates seen, keyed by their DER bytes: parsing X.509 on every
    /// request of a keep-alive connection is wasted work. Only the parse is cached — the device
    /// row (and so a revocation) is still read on every request.
    let subjects = CertificateSubjectCache(capacity: 4096)

    public init(devices: any DeviceRegistry) { self.devices = devices }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.device = try await authenticate(channel: context.channel)
        context.logger[metadataKey: "device"] = .string(context.device?.id ?? "-")
        return try await next(request, context)
    }

    func authenticate(channel: any Channel) async throws -> Device {
        guard let peer = try await channel.nioSSL_peerCertificate().get() else {
            throw FacePayError(.unauthorized, code: "client_certificate_required", detail: "a client certificate is required")
        }
        let der = try peer.toDERBytes()
        let subject: CertificateSubjectCache.Subject
        if let cached = subjects.subject(der: der) {
            subject = cached
        } else {
            let certificate: Certificate
            do {
                certificate = try Certificate(derEncoded: der)
            } catch {
                throw FacePayError(.forbidden, code: "unknown_device", detail: "client certificate cannot be parsed")
            }
            subject = CertificateSubjectCache.Subject(
                commonName: certificate.subjectAttribute(.RDNAttributeType.commonName),
                organizationalUnit: certificate.subjectAttribute(.RDNAttributeType.organizationalUnitName))
            subjects.store(subject, der: der)
        }
        guard let deviceID = subject.commonName else {
            throw FacePayError(.forbidden, code: "unknown_device", detail: "client certificate has no CN")
        }
        guard let device = try await devices.device(id: deviceID) else {
            throw FacePayError(.forbidden, code: "unknown_device", detail: "device \(deviceID) is not registered")
        }
        guard device.status == .active else {
            throw FacePayError(.forbidden, code: "device_revoked", detail: "device \(deviceID) is revoked")
        }
        let role = subject.organizationalUnit
        guard role == device.role.rawValue else {
            throw FacePayError(.forbidden, code: "wrong_role",
                               detail: "certificate role \(role ?? "none") does not match the registered role of \(deviceID)")
        }
        return device
    }
}

/// Admits only devices of the given roles to a group of routes (403 `wrong_role` otherwise).
public struct RequireRoleMiddleware: RouterMiddleware {
    public typealias Context = FacePayRequestContext
    let roles: Set<DeviceRole>

    public init(_ roles: DeviceRole...) { self.roles = Set(roles) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let device = try context.requireDevice()
        guard roles.contains(device.role) else {
            let allowed = roles.map(\.rawValue).sorted().joined(separator: ", ")
            throw FacePayError(.forbidden, code: "wrong_role", detail: "this call is for \(allowed) devices, not \(device.role.rawValue)")
        }
        return try await next(request, context)
    }
}

/// A bounded map from certificate DER bytes to the subject fields FacePay reads (CN, OU).
/// When full it starts over: certificates are few (one per device), so this only matters if
/// someone cycles through many.
final class CertificateSubjectCache: Sendable {
    struct Subject: Sendable {
        let commonName: String?
        let organizationalUnit: String?
    }

    private let entries = Mutex<[[UInt8]: Subject]>([:])
    private let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    func subject(der: [UInt8]) -> Subject? { entries.withLock { $0[der] } }

    func store(_ subject: Subject, der: [UInt8]) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[der] = subject
        }
    }
}
