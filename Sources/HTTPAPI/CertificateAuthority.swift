import Crypto
import FacePayCore
import Foundation
import SwiftASN1
import X509

/// A certificate authority that signs the server certificate and device client certificates.
/// The development PKI (`facepay serve` with no flags, `facepay pki init|issue`) and the tests use
/// it; production certificates come from the runbook in Deploy/pki/ and only the CA certificate
/// is configured. Device certificates carry the role in OU and the device id in CN.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    // swift-crypto 3's key types are not Sendable; keep the raw bytes and rebuild on use.
    private let privateKeyBytes: Data
    public var privateKey: P256.Signing.PrivateKey {
        // The bytes came from a valid key, so this cannot fail.
        guard let key = try? P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes) else { preconditionFailure("corrupt CA key") }
        return key
    }

    public init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKeyBytes = privateKey.rawRepresentation
    }

    /// A new self-signed CA valid for `validityDays`.
    public static func create(commonName: String = "FacePay Development CA", now: Date = Date(), validityDays: Int = 3650) throws -> CertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("FacePay")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return CertificateAuthority(certificate: certificate, privateKey: key)
    }

    /// Loads a CA from PEM files.
    public static func load(certificatePath: String, keyPath: String) throws -> CertificateAuthority {
        do {
            let certificate = try Certificate(pemEncoded: String(contentsOfFile: certificatePath, encoding: .utf8))
            let key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: keyPath, encoding: .utf8))
            return CertificateAuthority(certificate: certificate, privateKey: key)
        } catch {
            throw FacePayError(.badRequest, code: "pki_unreadable",
                               detail: "cannot read CA from \(certificatePath) and \(keyPath): \(error)")
        }
    }

    /// A server certificate for the given DNS names and IPv4/IPv6 addresses.
    public func issueServerCertificate(dnsNames: [String], ipAddresses: [[UInt8]], now: Date = Date(), validityDays: Int = 825) throws -> IssuedCertificate {
        let names = dnsNames.map { GeneralName.dnsName($0) } + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        let subject = try DistinguishedName {
            OrganizationName("FacePay")
            CommonName(dnsNames.first ?? "facepay-server")
        }
        return try issue(subject: subject, usage: .serverAuth, alternativeNames: names, now: now, validityDays: validityDays)
    }

    /// A client certificate for a device: OU = role, CN = device id.
    public func issueDeviceCertificate(deviceID: String, role: String, now: Date = Date(), validityDays: Int = 825) throws -> IssuedCertificate {
        let subject = try DistinguishedName {
            OrganizationName("FacePay")
            OrganizationalUnitName(role)
            CommonName(deviceID)
        }
        return try issue(subject: subject, usage: .clientAuth, alternativeNames: [], now: now, validityDays: validityDays)
    }

    private func issue(subject: DistinguishedName, usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName],
                       now: Date, validityDays: Int) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: false))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                if !alternativeNames.isEmpty {
                    SubjectAlternativeNames(alternativeNames)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
        return IssuedCertificate(certificate: certificate, privateKey: key)
    }

    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }
    public func privateKeyPEM() -> String { privateKey.pemRepresentation }
}

/// A certificate and its private key, as issued.
public struct IssuedCertificate {
    public let certificate: Certificate
    public let privateKey: P256.Signing.PrivateKey

    public func certificatePEM() throws -> String { try certificate.serializeAsPEM().pemString }
    public func privateKeyPEM() -> String { privateKey.pemRepresentation }

    /// Writes `<base>.key` (mode 0600 from its first byte, see `SecretFile`) and then `<base>.pem`
    /// into `directory` (created 0700 if missing): the certificate appears only once its key is
    /// safely on disk. Throws `pki_unwritable` / `secret_file_unwritable` naming the path.
    public func write(to directory: URL, baseName: String) throws {
        try CertificateFiles.createDirectory(directory)
        try SecretFile.write(Data(privateKeyPEM().utf8), to: directory.appendingPathComponent("\(baseName).key").path, existing: .replace)
        try CertificateFiles.writePublic(Data(certificatePEM().utf8), to: directory.appendingPathComponent("\(baseName).pem"))
    }
}

extension Certificate {
    /// The first value of a subject attribute (e.g. CN, OU), or nil.
    public func subjectAttribute(_ type: ASN1ObjectIdentifier) -> String? {
        for relativeName in subject {
            for attribute in relativeName where attribute.type == type {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}

/// Writing the non-secret half of the PKI, with failures that name the path.
public enum CertificateFiles {
    /// Creates `directory` (mode 0700: it holds keys) and its parents if missing.
    public static func createDirectory(_ directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw FacePayError(.internalFailure, code: "pki_unwritable", detail: "cannot create the directory \(directory.path): \(reason(error))")
        }
    }

    /// Writes a certificate (public) atomically.
    public static func writePublic(_ contents: Data, to url: URL) throws {
        do { try contents.write(to: url, options: .atomic) } catch {
            throw FacePayError(.internalFailure, code: "pki_unwritable", detail: "cannot write \(url.path): \(reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        return underlying.map { String(cString: strerror(Int32($0.code))) } ?? (error as NSError).localizedDescription
    }
}
