#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FacePayCore
import Foundation
import Logging
import ServiceLifecycle
import Stores

/// Signs a checkpoint of the audit log every `interval` while the log grows, and hands each to
/// the witnesses an operator configured: a file it appends one JSON line to (fsync'ed), and/or
/// syslog (facility AUTHPRIV), which an operator ships to a machine the database's administrators
/// cannot write. A witness's copies are receipts: `facepay audit verify --receipts` checks them.
/// Every checkpoint is also logged (notice).
public struct AuditWitnessService: Service {
    public struct Settings: Sendable {
        public var interval: Duration
        public var filePath: String?
        public var syslog: Bool

        public init(interval: Duration = .seconds(300), filePath: String? = nil, syslog: Bool = false) {
            self.interval = interval
            self.filePath = filePath
            self.syslog = syslog
        }
    }

    let receipts: AuditReceipts
    let settings: Settings
    let logger: Logger

    public init(receipts: AuditReceipts, settings: Settings, logger: Logger) {
        precondition(settings.interval > .zero)
        self.receipts = receipts
        self.settings = settings
        self.logger = logger
    }

    /// Signs a checkpoint and writes it to every witness, unless the log has not grown since
    /// `previousSize`; returns the checkpoint written, or nil.
    @discardableResult
    public func witness(unlessSizeIs previousSize: Int64?) async throws -> AuditCheckpoint? {
        let checkpoint = try await receipts.checkpoint()
        guard checkpoint.treeSize != previousSize else { return nil }
        let line = String(decoding: checkpoint.json, as: UTF8.self)
        if let filePath = settings.filePath {
            try SecretFile.append(Data((line + "\n").utf8), to: filePath)
        }
        if settings.syslog {
            openlog("facepay", LOG_PID, LOG_AUTHPRIV)
            line.withCString { text in withVaList([text]) { vsyslog(LOG_NOTICE, "audit checkpoint %s", $0) } }
        }
        logger.notice("audit checkpoint", metadata: [
            "tree_size": "\(checkpoint.treeSize)", "root_hash": .string(checkpoint.rootHash), "key_id": .string(checkpoint.keyID),
        ])
        return checkpoint
    }

    public func run() async throws {
        var lastSize: Int64?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                if let written = try await witness(unlessSizeIs: lastSize) { lastSize = written.treeSize }
            } catch is CancellationError {
                return
            } catch {
                logger.error("audit checkpoint failed", metadata: ["error": .string((error as? FacePayError)?.code ?? "\(error)")])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.interval) }
        }
    }
}
