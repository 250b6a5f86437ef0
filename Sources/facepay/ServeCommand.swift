import ArgumentParser
import FacePayCore
import Foundation
import HTTPAPI
import Logging
import Payments
import PostgresStorage
import ServiceLifecycle
import Storage
import Stores

/// `facepay serve`: with no flags a working development server (data directory, development PKI,
/// registered devices); with `--production` nothing is generated and every TLS path must be given.
/// Every flag has a FACEPAY_* environment variable; the flag wins.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the mutual-TLS API and the ops listener.")

    @OptionGroup var data: DataDirectoryOptions

    @Option(help: "API address HOST:PORT (env FACEPAY_LISTEN; default 127.0.0.1:8443; port 0 picks one).")
    var listen: String?

    @Option(help: "Ops address HOST:PORT for /healthz /readyz /metrics (env FACEPAY_OPS_LISTEN; default 127.0.0.1:9090).")
    var opsListen: String?

    @Flag(help: "Production mode: generate nothing; TLS files must be given (env FACEPAY_PRODUCTION=1).")
    var production = false

    @Option(help: "Server certificate chain PEM (env FACEPAY_TLS_CERT).")
    var tlsCert: String?

    @Option(help: "Server private key PEM (env FACEPAY_TLS_KEY).")
    var tlsKey: String?

    @Option(help: "CA that client certificates must chain to, PEM (env FACEPAY_CLIENT_CA).")
    var clientCA: String?

    @Option(help: "Largest request body in bytes (env FACEPAY_BODY_BYTES_MAX; default 1048576).")
    var bodyBytesMax: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env FACEPAY_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(help: "Match target: false-accept rate per attempt, over the gallery or the hint's bucket (env FACEPAY_TARGET_FPIR; default 2e-05 = 1/50,000).")
    var targetFPIR: Double?

    @Option(help: "Stricter targets for larger payments, AMOUNT:TARGET[,…] with AMOUNT in minor units (env FACEPAY_MATCH_TIERS; default 5000:1e-06; 'none' for none).")
    var matchTiers: String?

    @Option(help: "In --production, let this model take payments although it is not fit at the match target (repeatable; env FACEPAY_ACCEPT_UNFIT_MODELS, comma-separated).")
    var acceptUnfitModel: [String] = []

    @Option(help: "Largest false-reject rate at the target of a model fit for payments (env FACEPAY_FITNESS_FRR_MAX; default 0.05).")
    var fitnessFRRMax: Double?

    @Option(help: "Customers per phone-hint bucket assumed by the fitness verdict (env FACEPAY_FITNESS_BUCKET_SIZE; default 10).")
    var fitnessBucketSize: Int?

    @Option(help: "Minimum score gap to the best different customer (env FACEPAY_MATCH_MARGIN; default 0.05).")
    var matchMargin: Double?

    @Option(help: "Manual-capture hold lifetime in seconds (env FACEPAY_HOLD_SECONDS; default 604800 = 7 days).")
    var holdSeconds: Double?

    @Option(help: "Purge templates unused for this many days (env FACEPAY_TEMPLATE_RETENTION_DAYS; default 1095).")
    var templateRetentionDays: Double?

    @Option(help: "Liveness failures that lock a device out (env FACEPAY_LOCKOUT_FAILURES_MAX; default 5 in 180 s, for 1800 s).")
    var lockoutFailuresMax: Int?

    @Option(help: "Largest deposit into a wallet, in minor units (env FACEPAY_DEPOSIT_MAX; default 50000).")
    var depositMax: Int64?

    @Option(help: "Most deposited into one wallet per UTC day, in minor units (env FACEPAY_DEPOSIT_DAY_MAX; default 100000).")
    var depositDayMax: Int64?

    @Option(help: "Failed matches of one device that lock it (env FACEPAY_DEVICE_MATCH_FAILURES_MAX; default 10 in 600 s, for 1800 s).")
    var deviceMatchFailuresMax: Int?

    @Option(help: "Window in seconds of the device's failed-match budget (env FACEPAY_DEVICE_MATCH_WINDOW_SECONDS; default 600).")
    var deviceMatchWindowSeconds: Double?

    @Option(help: "Seconds a device stays locked after its failed-match budget ran out (env FACEPAY_DEVICE_MATCH_LOCK_SECONDS; default 1800).")
    var deviceMatchLockSeconds: Double?

    @Option(help: "Failed matches aimed at one hint bucket or customer, from any device, that step it up (env FACEPAY_TARGET_MATCH_FAILURES_MAX; default 5 in 900 s, for 1800 s).")
    var targetMatchFailuresMax: Int?

    @Option(help: "Window in seconds of a bucket's or customer's failed-match budget (env FACEPAY_TARGET_MATCH_WINDOW_SECONDS; default 900).")
    var targetMatchWindowSeconds: Double?

    @Option(help: "Seconds a bucket or customer answers hint_required once stepped up (env FACEPAY_TARGET_STEP_UP_SECONDS; default 1800).")
    var targetStepUpSeconds: Double?

    @Flag(help: "Require an Ed25519 Device-Signature from every terminal (env FACEPAY_REQUIRE_TERMINAL_SIGNATURES=1).")
    var requireTerminalSignatures = false

    @Option(help: "Open API connections at most; past it new ones wait (env FACEPAY_CONNECTIONS_MAX; default 1024).")
    var connectionsMax: Int?

    @Option(help: "Requests handled at once; past it 503 overloaded (env FACEPAY_IN_FLIGHT_REQUESTS_MAX; default 512).")
    var inFlightRequestsMax: Int?

    @Option(help: "Close a keep-alive connection idle this long, in seconds (env FACEPAY_IDLE_TIMEOUT_SECONDS; default 75).")
    var idleTimeoutSeconds: Double?

    @Option(help: "Seconds a client has to complete the TLS handshake (env FACEPAY_TLS_HANDSHAKE_TIMEOUT_SECONDS; default 10).")
    var tlsHandshakeTimeoutSeconds: Double?

    @Option(help: "Seconds from a request's first byte to its last (env FACEPAY_REQUEST_READ_TIMEOUT_SECONDS; default 30).")
    var requestReadTimeoutSeconds: Double?

    // Receipts (LEDGER.md, "Receipts").
    @Option(help: "Ed25519 key file that signs audit checkpoints (env FACEPAY_AUDIT_SIGNING_KEY_FILE; default DATA_DIR/audit-signing.key, created in development).")
    var auditSigningKey: String?

    @Option(help: "Seconds between signed audit checkpoints while the log grows; 0: on demand only (env FACEPAY_AUDIT_CHECKPOINT_SECONDS; default 300).")
    var auditCheckpointSeconds: Double?

    @Option(help: "File each periodic checkpoint is appended to as a JSON line, for a witness (env FACEPAY_AUDIT_WITNESS_FILE).")
    var auditWitnessFile: String?

    @Flag(help: "Also send each periodic checkpoint to syslog (AUTHPRIV) (env FACEPAY_AUDIT_WITNESS_SYSLOG=1).")
    var auditWitnessSyslog = false

    @Option(help: "Time zone the console shows on hover beside UTC, an IANA name such as Europe/Berlin (env FACEPAY_CONSOLE_TIME_ZONE; default the server's).")
    var consoleTimeZone: String?

    static let logLevels = Logger.Level.allCases.map(\.rawValue)

    // Retention of short-lived rows (parsed in ServeCommand+Retention.swift).
    @Option(help: "Keep idempotency records this many hours; a retry after it is a new request (env FACEPAY_IDEMPOTENCY_RETENTION_HOURS; default 24).")
    var idempotencyRetentionHours: Double?

    @Option(help: "Delete challenges this many seconds after they expire (env FACEPAY_CHALLENGE_RETENTION_SECONDS; default 3600).")
    var challengeRetentionSeconds: Double?

    @Option(help: "Rows deleted per purge transaction (env FACEPAY_PURGE_BATCH_ROWS; default 1000).")
    var purgeBatchRows: Int?

    @Option(help: "Seconds between purges of expired rows (env FACEPAY_PURGE_INTERVAL_SECONDS; default 60).")
    var purgeIntervalSeconds: Double?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let reader = SettingsReader(environment: environment)
        let level: String?
        let isProduction: Bool
        do {
            level = try reader.choice(logLevel, flag: "log-level", variable: "FACEPAY_LOG_LEVEL", in: Self.logLevels)
            isProduction = try reader.switchOn(production, variable: "FACEPAY_PRODUCTION")
        } catch let error as FacePayError {
            throw CommandFailure(message: "\(error.detail) [\(error.code)]")
        }
        let logger = LogSetup.bootstrap(level: level)
        let directory = data.directory

        do {
            // Every setting is read before anything is opened or generated: a malformed one stops
            // start-up with nothing changed on disk.
            let limits = try limits(reader)
            var paymentsSettings = try paymentsSettings(reader)
            try assessModels(&paymentsSettings, production: isProduction, reader, logger: logger)
            let api = try address(listen, flag: "listen", variable: "FACEPAY_LISTEN", default: "127.0.0.1:8443", reader)
            let ops = try address(opsListen, flag: "ops-listen", variable: "FACEPAY_OPS_LISTEN", default: "127.0.0.1:9090", reader)
            let retention = try retentionSettings(reader)
            let witness = try witnessSettings(reader)
            let zone = try consoleZone(reader)
            let postgresLocation = try data.postgresLocation()
            if let postgresLocation, isProduction { try postgresLocation.checkProduction() }
            // SQLite: the data directory's file, opened (and migrated) now. PostgreSQL: opened
            // below, once the settings are all read, for as long as the server runs.
            let database = postgresLocation == nil ? try data.openDatabase(logger: logger) : nil
            try directory.create()  // the PKI and the key file live here on either backend
            var settings: ServerSettings
            if isProduction {
                func required(_ flag: String?, _ variable: String, _ what: String) throws -> String {
                    guard let value = flag ?? environment[variable], !value.isEmpty else {
                        throw FacePayError(.badRequest, code: "missing_setting",
                                           detail: "--production needs the \(what): pass --\(variable.dropFirst(8).lowercased().replacingOccurrences(of: "_", with: "-")) or set \(variable)")
                    }
                    return value
                }
                settings = ServerSettings(
                    serverCertificatePath: try required(tlsCert, "FACEPAY_TLS_CERT", "server certificate"),
                    serverKeyPath: try required(tlsKey, "FACEPAY_TLS_KEY", "server key"),
                    clientCAPath: try required(clientCA, "FACEPAY_CLIENT_CA", "client CA"))
            } else {
                settings = ServerSettings(
                    serverCertificatePath: tlsCert ?? environment["FACEPAY_TLS_CERT"] ?? directory.serverCertificatePath,
                    serverKeyPath: tlsKey ?? environment["FACEPAY_TLS_KEY"] ?? directory.serverKeyPath,
                    clientCAPath: clientCA ?? environment["FACEPAY_CLIENT_CA"] ?? directory.caCertificatePath)
            }
            (settings.apiHost, settings.apiPort) = api
            (settings.opsHost, settings.opsPort) = ops
            settings.limits = limits
            settings.retention = retention
            settings.auditSigningKeyPath = auditSigningKey ?? data.auditSigningKeyPath
            settings.createAuditSigningKey = !isProduction
            settings.auditWitness = witness
            settings.consoleTimeZone = zone
            // Certificates first: a misconfigured listener is the likeliest production mistake. (In
            // development the files are made below, with the devices, and checked there.)
            if isProduction { _ = try FacePayServer.tlsConfiguration(settings) }
            let keyRing: TemplateKeyRingSource
            do {
                keyRing = try TemplateKeyRingSource(path: directory.templateKeyPath, environment: environment,
                                                    createIfMissing: !isProduction, logger: logger)
            } catch let error as FacePayError where error.code == "template_key_missing" {
                throw FacePayError(.badRequest, code: "template_key_missing",
                                   detail: "no template encryption key: set FACEPAY_TEMPLATE_KEY ('<key-id> <base64 of 32 bytes>') or FACEPAY_TEMPLATE_KEY_FILE, or put a key file at \(directory.templateKeyPath)")
            }
            let galleries = Galleries()
            if let database {
                if !isProduction { logWritten(try DevelopmentPKI.ensure(in: directory, database: database), logger: logger) }
                _ = try FacePayServer.tlsConfiguration(settings)
                try loadGallery(galleries, from: SQLiteTemplateSource(database: database, keyRing: keyRing), logger: logger)
                let server = try FacePayServer(settings: settings, database: database, galleries: galleries, keyRing: keyRing,
                                               paymentsSettings: paymentsSettings, logger: logger)
                try await run(server, settings: settings, production: isProduction, logger: logger)
            } else if let postgresLocation {
                let (settings, paymentsSettings) = (settings, paymentsSettings)
                try await withPostgres(postgresLocation, logger: logger) { database, _ in
                    logger.notice("database", metadata: ["postgres": "\(postgresLocation)"])
                    let postgres = PostgresStores(database: database, keyRing: keyRing, limits: settings.limits,
                                                  erasureJournal: ErasureJournal(in: directory))
                    if !isProduction { logWritten(try await DevelopmentPKI.ensure(in: directory, postgres: postgres), logger: logger) }
                    _ = try FacePayServer.tlsConfiguration(settings)
                    // Before the gallery loads: erasures this node journaled that the database no
                    // longer holds (a restored older backup) are made again.
                    for customerID in try await postgres.erasureJournal!.reapply(to: postgres, now: Date()) {
                        logger.notice("erasure re-applied from the journal", metadata: ["customer_id": .string(customerID)])
                    }
                    let snapshot = try await postgres.templateSnapshot(models: galleries.modelIDs)
                    try loadGallery(galleries, from: snapshot, logger: logger)
                    let server = try FacePayServer(settings: settings, postgres: postgres, galleries: galleries, galleryCursor: snapshot.changeCursor,
                                                   attemptFailures: try await postgres.attemptFailureSnapshot(),
                                                   paymentsSettings: paymentsSettings, logger: logger)
                    try await run(server, settings: settings, production: isProduction, logger: logger)
                }
            }
        } catch let error as FacePayError {
            logger.critical("cannot start", metadata: ["code": .string(error.code)])
            throw CommandFailure(message: "\(error.detail) [\(error.code)]")
        }
    }

    /// The console's hover time zone: an IANA name, else the server's own.
    func consoleZone(_ reader: SettingsReader) throws -> TimeZone {
        guard let name = consoleTimeZone ?? reader.text("FACEPAY_CONSOLE_TIME_ZONE") else { return .current }
        guard let zone = TimeZone(identifier: name) else {
            throw SettingsReader.invalid(consoleTimeZone == nil ? "FACEPAY_CONSOLE_TIME_ZONE" : "--console-time-zone", name, expected: "an IANA time zone such as Europe/Berlin")
        }
        return zone
    }

    /// The periodic checkpoints and their witnesses; nil when the interval is 0.
    func witnessSettings(_ reader: SettingsReader) throws -> AuditWitnessService.Settings? {
        let seconds = try reader.number(auditCheckpointSeconds, flag: "audit-checkpoint-seconds",
                                        variable: "FACEPAY_AUDIT_CHECKPOINT_SECONDS", in: 0...86_400) ?? 300
        guard seconds > 0 else { return nil }
        return AuditWitnessService.Settings(
            interval: .milliseconds(max(1, Int64(seconds * 1000))),
            filePath: auditWitnessFile ?? reader.text("FACEPAY_AUDIT_WITNESS_FILE"),
            syslog: try reader.switchOn(auditWitnessSyslog, variable: "FACEPAY_AUDIT_WITNESS_SYSLOG"))
    }

    func logWritten(_ written: [String], logger: Logger) {
        if !written.isEmpty {
            logger.notice("development PKI created", metadata: ["directory": .string(data.directory.pkiDirectory.path), "files": .string(written.joined(separator: " "))])
        }
    }

    /// Loads every stored template into the indexes, logging (identifiers and the reason only,
    /// nothing biometric) each one skipped.
    func loadGallery(_ galleries: Galleries, from source: any TemplateSource, logger: Logger) throws {
        let progress = TerminalProgress(label: "loading templates")
        let report = try galleries.load(from: source) { model, done, total in
            progress.update("\(model)", done: done, total: total)
        }
        progress.finish()
        for skipped in report.undecryptable {
            logger.error("template skipped: it does not decrypt; this customer cannot pay by face until the key is restored or they re-enrol", metadata: [
                "customer_id": .string(skipped.customerID), "model": .string(skipped.model),
                "key_id": .string(skipped.keyID), "reason": .string(skipped.reason),
            ])
        }
        logger.notice("gallery loaded", metadata: ["templates": "\(report.loaded)", "undecryptable": "\(report.undecryptable.count)"])
    }

    /// Runs the server's services until SIGTERM or SIGINT; prints the curl line once listening.
    func run(_ server: FacePayServer, settings: ServerSettings, production: Bool, logger: Logger) async throws {
        let directory = data.directory
        let group = ServiceGroup(configuration: .init(
            services: server.services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let ports = try await server.boundPorts.waitUntilBound()
            if !production {
                // Write straight to fd 1 so the line is out at once even when stdout is a pipe.
                FileHandle.standardOutput.write(Data((Self.curlLine(directory: directory, host: settings.apiHost, port: ports.api) + "\n").utf8))
            }
            try await tasks.waitForAll()
        }
    }

    /// The ready-to-paste call of `GET /v1/me` as the development terminal.
    static func curlLine(directory: DataDirectory, host: String, port: Int) -> String {
        let urlHost = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        return "curl --cacert \(directory.caCertificatePath) --cert \(directory.deviceCertificatePath("T-DEV-1")) --key \(directory.deviceKeyPath("T-DEV-1")) https://\(urlHost):\(port)/v1/me"
    }

    /// A listener address from its flag or variable, with the name in the error.
    func address(_ flag: String?, flag flagName: String, variable: String, default fallback: String,
                 _ reader: SettingsReader) throws -> (host: String, port: Int) {
        let (name, text) = flag.map { ("--\(flagName)", $0) } ?? reader.text(variable).map { (variable, $0) } ?? ("default", fallback)
        do {
            return try ServerSettings.parseAddress(text)
        } catch {
            throw SettingsReader.invalid(name, text, expected: "HOST:PORT with a port 0-65535")
        }
    }

    /// The server's bounds from flags, then FACEPAY_* variables, then `Limits`' defaults.
    func limits(_ reader: SettingsReader) throws -> Limits {
        var limits = Limits()
        if let value = try reader.number(bodyBytesMax, flag: "body-bytes-max", variable: "FACEPAY_BODY_BYTES_MAX", in: 1_024...(64 << 20)) {
            limits.bodyBytesMax = value
        }
        if let value = try reader.number(connectionsMax, flag: "connections-max", variable: "FACEPAY_CONNECTIONS_MAX", in: 1...1_000_000) {
            limits.connectionsMax = value
        }
        if let value = try reader.number(inFlightRequestsMax, flag: "in-flight-requests-max", variable: "FACEPAY_IN_FLIGHT_REQUESTS_MAX",
                                         in: 1...1_000_000) {
            limits.inFlightRequestsMax = value
        }
        let timeouts = Limits.timeoutSecondsRange
        if let value = try reader.number(idleTimeoutSeconds, flag: "idle-timeout-seconds", variable: "FACEPAY_IDLE_TIMEOUT_SECONDS", in: timeouts) {
            limits.idleTimeoutSeconds = value
        }
        if let value = try reader.number(tlsHandshakeTimeoutSeconds, flag: "tls-handshake-timeout-seconds",
                                         variable: "FACEPAY_TLS_HANDSHAKE_TIMEOUT_SECONDS", in: timeouts) {
            limits.tlsHandshakeTimeoutSeconds = value
        }
        if let value = try reader.number(requestReadTimeoutSeconds, flag: "request-read-timeout-seconds",
                                         variable: "FACEPAY_REQUEST_READ_TIMEOUT_SECONDS", in: timeouts) {
            limits.requestReadTimeoutSeconds = value
        }
        return limits
    }

    /// The business settings from flags, then FACEPAY_* variables, then the product defaults.
    func paymentsSettings(_ reader: SettingsReader) throws -> PaymentsSettings {
        var result = PaymentsSettings()
        // Open intervals as closed ones just inside them: a target of 0 or 1 means nothing.
        if let value = try reader.number(targetFPIR, flag: "target-fpir", variable: "FACEPAY_TARGET_FPIR", in: 1e-12...0.5) {
            result.matchPolicy.targetFPIR = value
        }
        if let tiers = try matchTiers(reader) { result.matchPolicy.tiers = tiers }
        if let value = try reader.number(matchMargin, flag: "match-margin", variable: "FACEPAY_MATCH_MARGIN", in: 0...0.99) {
            result.matchPolicy.margin = Float(value)
        }
        // Holds from a minute to 31 days (card schemes authorise for at most about a month).
        if let value = try reader.number(holdSeconds, flag: "hold-seconds", variable: "FACEPAY_HOLD_SECONDS", in: 60...(31 * 86_400)) {
            result.holdDurationSeconds = value
        }
        if let value = try reader.number(templateRetentionDays, flag: "template-retention-days", variable: "FACEPAY_TEMPLATE_RETENTION_DAYS",
                                         in: 1...36_500) {
            result.templateRetentionSeconds = value * 86_400
        }
        if let value = try reader.number(lockoutFailuresMax, flag: "lockout-failures-max", variable: "FACEPAY_LOCKOUT_FAILURES_MAX",
                                         in: 1...1_000_000) {
            result.liveness.lockoutFailuresMax = value
        }
        result.attemptBudgets = try attemptBudgets(reader)
        // Caps far below Int64: a day's total of capped deposits can never overflow a balance.
        if let value = try reader.number(depositMax, flag: "deposit-max", variable: "FACEPAY_DEPOSIT_MAX", in: 1...1_000_000_000_000) {
            result.depositCaps.perDepositMaxMinor = value
        }
        if let value = try reader.number(depositDayMax, flag: "deposit-day-max", variable: "FACEPAY_DEPOSIT_DAY_MAX", in: 1...1_000_000_000_000) {
            result.depositCaps.perDayMaxMinor = value
        }
        result.liveness.requireTerminalSignatures = try reader.switchOn(requireTerminalSignatures, variable: "FACEPAY_REQUIRE_TERMINAL_SIGNATURES")
        return result
    }
}
