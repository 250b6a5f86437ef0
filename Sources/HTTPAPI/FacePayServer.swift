import FacePayCore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Liveness
import Logging
import Payments
import NIOCore
import NIOSSL
import PostgresStorage
import ServiceLifecycle
import Storage
import Stores
import Synchronization

/// Builds everything `facepay serve` runs — on SQLite the group-commit writer, hold expiry and
/// the purge of expired challenges and idempotency records; on PostgreSQL the gallery follower
/// and the maintenance passes; then template retention, the plain-HTTP ops listener and the
/// mutual-TLS API — as Services for one ServiceGroup. `services` is in start order; the group
/// stops them in reverse, so on SIGTERM the API drains its in-flight requests first and the
/// writer commits its last batch last.
///
/// This file is the one place that picks a backend: `init(…database: AppDatabase…)` for SQLite,
/// `init(…postgres:…)` for PostgreSQL; everything after it sees store protocols only.
public struct FacePayServer: Sendable {
    public let api: any Service
    public let ops: any Service
    public let payments: PaymentsService
    public let services: [any Service]
    public let metrics: ServerMetrics
    public let readiness: Readiness
    /// Bound ports, known once each listener runs (port 0 picks a free one).
    public let boundPorts: BoundPorts

    /// A server over a key ring that never changes (tests; keys from the environment only).
    public init(settings: ServerSettings, database: AppDatabase, galleries: Galleries, keyRing: TemplateKeyRing,
                paymentsSettings: PaymentsSettings = PaymentsSettings(), clock: any WallClock = SystemWallClock(),
                logger: Logger) throws {
        try self.init(settings: settings, database: database, galleries: galleries, keyRing: TemplateKeyRingSource(fixed: keyRing),
                      paymentsSettings: paymentsSettings, clock: clock, logger: logger)
    }

    /// `keyRing` follows its key file, so a `facepay keys rotate` run beside the server is seen.
    public init(settings: ServerSettings, database: AppDatabase, galleries: Galleries, keyRing: TemplateKeyRingSource,
                paymentsSettings: PaymentsSettings = PaymentsSettings(), clock: any WallClock = SystemWallClock(),
                logger: Logger) throws {
        settings.limits.validate()
        // Before anything can match: erasures made after the database's last state (a restored
        // older backup) are applied again, and leave the index the caller loaded.
        for customerID in try database.erasureJournal.reapply(to: database, now: clock.now()) {
            galleries.removeEverywhere(customerID: customerID)
            logger.notice("erasure re-applied from the journal", metadata: ["customer_id": .string(customerID)])
        }
        let writer = GroupCommitWriter(database: database, batchSizeMax: settings.limits.commitBatchMax,
                                       queueDepthMax: settings.limits.commitQueueMax, logger: logger)
        let sqlite = SQLiteStores(database: database, writer: writer, keyRing: keyRing)
        let backend = Backend(
            stores: { liveness in
                PaymentStores(ledger: sqlite, customers: sqlite, idempotency: sqlite, challenges: sqlite.challenges,
                              replayGuard: sqlite.replayGuard(settings: liveness), attemptFailures: database)
            },
            devices: database, reader: database, health: database, tree: database, counts: database,
            services: [
                writer,
                HoldExpiryService(database: database, clock: clock, logger: logger),
                RetentionPurgeService(database: database, writer: writer, clock: clock, settings: settings.retention, logger: logger),
            ],
            commitObserver: writer.batchObserver, commitQueueDepth: { writer.queuedCount })
        try self.init(settings: settings, backend: backend, galleries: galleries, paymentsSettings: paymentsSettings, clock: clock, logger: logger)
    }

    /// A node of several on one PostgreSQL database. The caller runs `postgres.database` (the
    /// pool) around the server's ServiceGroup, migrates it, and loads `galleries` from
    /// `postgres.templateSnapshot`, whose `changeCursor` the gallery follower continues from.
    public init(settings: ServerSettings, postgres: PostgresStores, galleries: Galleries, galleryCursor: Int64,
                attemptFailures: AttemptFailureSnapshot, paymentsSettings: PaymentsSettings = PaymentsSettings(),
                clock: any WallClock = SystemWallClock(), logger: Logger) throws {
        settings.limits.validate()
        // The follower starts with the server's services, after `payments` exists.
        let payments = LateBound<PaymentsService>()
        let follower = PostgresGalleryFollower(stores: postgres, models: galleries.modelIDs, cursor: galleryCursor,
                                               failureCursor: attemptFailures.cursor, undecryptable: galleries.undecryptableTemplates,
                                               logger: logger) { update in
            switch update {
            case .add(let model, let template): galleries.add(template, model: model)
            case .remove(let customerID, let forgottenCaptures):
                galleries.removeEverywhere(customerID: customerID)
                payments.value?.forgetReplayCaptures(forgottenCaptures)
            case .attemptFailures(let failures): payments.value?.absorbAttemptFailures(failures)
            }
        }
        let replayCoder = ReplayCoder(secret: postgres.keyRing.ring.derivedSecret(label: "facepay-replay-projection-v1"))
        let backend = Backend(
            stores: { liveness in
                PaymentStores(ledger: postgres, customers: postgres, idempotency: postgres,
                              challenges: PostgresChallengeStore(database: postgres.database),
                              replayGuard: PostgresReplayGuardStore(database: postgres.database, settings: liveness, coder: replayCoder),
                              attemptFailures: attemptFailures)
            },
            devices: postgres, reader: postgres, health: PostgresNodeHealth(stores: postgres, follower: follower), tree: postgres, counts: postgres,
            services: [
                follower,
                PostgresMaintenanceService(stores: postgres, clock: clock, retention: settings.retention, logger: logger),
            ],
            commitObserver: postgres.commitBatchObserver, commitQueueDepth: { postgres.commitQueueDepth })
        try self.init(settings: settings, backend: backend, galleries: galleries, paymentsSettings: paymentsSettings, clock: clock, logger: logger)
        payments.set(self.payments)
    }

    /// What a backend hands the rest of the server: its stores as protocols, and its own services
    /// (started first, stopped last).
    struct Backend {
        let stores: (LivenessSettings) -> PaymentStores
        let devices: any DeviceRegistry
        let reader: any AuditReader
        let health: any StoreHealth
        /// The audit log's Merkle tree nodes (receipts).
        let tree: any AuditTreeStore
        /// The console overview's counts.
        let counts: any AuditCountStore
        let services: [any Service]
        /// The backend's group commit, for the metrics.
        let commitObserver: CommitBatchObserver
        let commitQueueDepth: @Sendable () -> Int
    }

    private init(settings: ServerSettings, backend: Backend, galleries: Galleries, paymentsSettings: PaymentsSettings,
                 clock: any WallClock, logger: Logger) throws {
        let metrics = ServerMetrics()
        let inFlight = InFlightCounter(limit: settings.limits.inFlightRequestsMax)
        // Always exported (0 included) so an alert can watch it: customers whose template was
        // skipped at load cannot pay by face until an operator restores the key or re-enrols them.
        metrics.set("facepay_templates_undecryptable", help: "Stored templates skipped at start-up because they do not decrypt",
                    to: galleries.undecryptableTemplates.count)
        let observer = PaymentsObserver(
            livenessFailed: { _ in metrics.increment("facepay_liveness_failures", help: "Captures that failed liveness") },
            lockoutEngaged: { _ in metrics.increment("facepay_device_lockouts", help: "Devices locked out after repeated liveness failures") },
            budgetLocked: { budget in
                metrics.increment("facepay_attempt_budget_locks", help: "Locks and step-ups engaged by the attempt budgets",
                                  labels: [("budget", budget)])
            },
            livenessChecksFailed: { checks in
                for check in checks {
                    metrics.increment("facepay_liveness_check_failures", help: "Failed liveness checks, by check (a capture may fail several)",
                                      labels: [("check", check)])
                }
            },
            paymentDecided: { status, code in
                metrics.increment("facepay_payment_decisions", help: "Payments decided, by status and decline code",
                                  labels: [("status", status), ("code", code ?? "none")])
            })
        backend.commitObserver.set { metrics.recordCommitBatch(units: $0) }
        let commitQueueDepth = backend.commitQueueDepth
        metrics.collectOnScrape { metrics in
            metrics.set("facepay_commit_queue_depth", help: "Ledger writes waiting for a group-commit batch", to: commitQueueDepth())
            for model in galleries.modelIDs {
                metrics.set("facepay_gallery_templates", help: "Templates in this node's in-memory gallery, by model",
                            to: (try? galleries.index(for: model).count) ?? 0, labels: [("model", model)])
            }
        }
        var paymentsSettings = paymentsSettings
        paymentsSettings.idempotencyKeyCharactersMax = settings.limits.idempotencyKeyCharactersMax
        let stores = backend.stores(paymentsSettings.liveness)
        let payments = PaymentsService(stores: stores, galleries: galleries, settings: paymentsSettings, clock: clock, observer: observer)
        // Before the listener opens: the first capture must not wait for the replay guard to load.
        try payments.loadReplayGuard()
        try payments.loadAttemptBudgets()
        let readiness = Readiness()
        let boundPorts = BoundPorts()
        let tls = try Self.tlsConfiguration(settings)

        let router = Router(context: FacePayRequestContext.self)
        router.add(middleware: RouteMetricsMiddleware(metrics: metrics))
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: InFlightLimitMiddleware(counter: inFlight))
        // Identity before the body: an unknown or revoked device is refused on its headers, so
        // it cannot make the server buffer a body (the unread rest is discarded, never kept).
        router.add(middleware: ClientIdentityMiddleware(devices: backend.devices))
        router.add(middleware: BodyLimitMiddleware(bodyBytesMax: settings.limits.bodyBytesMax))
        IdentityRoutes().register(on: router)
        PaymentRoutes(payments: payments).register(on: router)
        let receipts = try settings.auditSigningKeyPath.map { path in
            AuditReceipts(tree: backend.tree, reader: backend.reader,
                          keys: try AuditSigningKeySource(path: path, createIfMissing: settings.createAuditSigningKey), clock: clock)
        }
        let queries = AuditorQueries(limits: settings.limits)
        AuditorRoutes(reader: backend.reader, receipts: receipts, counts: backend.counts, queries: queries).register(on: router)
        ConsoleRoutes(reader: backend.reader, receipts: receipts, counts: backend.counts, queries: queries, clock: clock, time: ConsoleTime(zone: settings.consoleTimeZone)).register(on: router)

        let apiLogger = { var copy = logger; copy[metadataKey: "listener"] = "api"; return copy }()
        api = Application(
            router: router,
            server: try .tls(.http1(configuration: Self.connectionBounds(settings.limits, metrics: metrics)), tlsConfiguration: tls),
            configuration: .init(address: .hostname(settings.apiHost, port: settings.apiPort), serverName: "facepay",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.limits.connectionsMax)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.apiPort
                boundPorts.set(api: port)
                readiness.markListening()
                apiLogger.notice("API listening (mutual TLS)", metadata: ["address": "\(settings.apiHost):\(port)"])
            },
            logger: apiLogger)

        let opsLogger = { var copy = logger; copy[metadataKey: "listener"] = "ops"; return copy }()
        ops = Application(
            router: OpsRoutes(health: backend.health, metrics: metrics, readiness: readiness).router(),
            configuration: .init(address: .hostname(settings.opsHost, port: settings.opsPort), serverName: "facepay-ops"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.opsPort
                boundPorts.set(ops: port)
                opsLogger.notice("ops listening (HTTP)", metadata: ["address": "\(settings.opsHost):\(port)"])
            },
            logger: opsLogger)
        self.payments = payments
        var witness: [any Service] = []
        if let receipts, let witnessSettings = settings.auditWitness {
            witness = [AuditWitnessService(receipts: receipts, settings: witnessSettings, logger: logger)]
        }
        services = backend.services + [TemplateRetentionService(payments: payments, logger: logger)] + witness + [ops, api]
        self.metrics = metrics
        self.readiness = readiness
        self.boundPorts = boundPorts
    }

    /// The per-connection bounds of the API listener: keep-alive idle time (Hummingbird's idle
    /// timeout), and the TLS-handshake and request-read deadlines (`ConnectionDeadlineHandler`),
    /// each closing counted in `facepay_connections_cut_total{deadline}`.
    static func connectionBounds(_ limits: Limits, metrics: ServerMetrics) -> HTTP1Channel.Configuration {
        // `Limits.validate` keeps every timeout within a day, so the nanoseconds fit an Int64.
        func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64((seconds * 1e9).rounded())) }
        let handshake = amount(limits.tlsHandshakeTimeoutSeconds)
        let requestRead = amount(limits.requestReadTimeoutSeconds)
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDeadlineHandler(handshakeTimeout: handshake, requestReadTimeout: requestRead) { deadline in
                metrics.increment("facepay_connections_cut", help: "Connections closed for missing a deadline",
                                  labels: [("deadline", deadline.rawValue)])
            }],
            idleTimeout: amount(limits.idleTimeoutSeconds))
    }

    /// Server TLS that demands a client certificate chaining to the client CA. Hostname checks
    /// do not apply to clients; identity comes from OU/CN in `ClientIdentityMiddleware`.
    public static func tlsConfiguration(_ settings: ServerSettings) throws -> TLSConfiguration {
        func load<T>(_ what: String, _ path: String, _ make: () throws -> T) throws -> T {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw FacePayError(.badRequest, code: "tls_file_missing", detail: "\(what) not found or unreadable: \(path)")
            }
            do { return try make() } catch {
                throw FacePayError(.badRequest, code: "tls_file_invalid", detail: "\(what) at \(path) is not valid PEM: \(error)")
            }
        }
        let chain = try load("server certificate", settings.serverCertificatePath) { try NIOSSLCertificate.fromPEMFile(settings.serverCertificatePath) }
        let key = try load("server key", settings.serverKeyPath) { try NIOSSLPrivateKey(file: settings.serverKeyPath, format: .pem) }
        let clientCA = try load("client CA", settings.clientCAPath) { try NIOSSLCertificate.fromPEMFile(settings.clientCAPath) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates(clientCA)
        return configuration
    }
}

/// A value set once after the closures that read it were made.
final class LateBound<Value: Sendable>: Sendable {
    private let state = Mutex<Value?>(nil)
    func set(_ value: Value) { state.withLock { $0 = value } }
    var value: Value? { state.withLock { $0 } }
}

/// The ports the listeners actually bound, for logs, tests and the printed curl line.
public final class BoundPorts: Sendable {
    private let state = Mutex<(api: Int?, ops: Int?)>((nil, nil))

    public init() {}

    func set(api port: Int) { state.withLock { $0.api = port } }
    func set(ops port: Int) { state.withLock { $0.ops = port } }

    public var api: Int? { state.withLock { $0.api } }
    public var ops: Int? { state.withLock { $0.ops } }

    /// Waits (polling briefly) until both listeners are bound, or the timeout passes.
    public func waitUntilBound(timeout: Duration = .seconds(30)) async throws -> (api: Int, ops: Int) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let api, let ops { return (api, ops) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FacePayError(.unavailable, code: "listen_timeout", detail: "listeners did not bind within \(timeout)")
    }
}
