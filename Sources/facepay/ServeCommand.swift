import ArgumentParser
import FacePayCore
import Foundation
import HTTPAPI
import Payments
import Logging
import ServiceLifecycle
import Storage

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

    @Option(help: "Target false-positive identification rate of 1:N decisions (env FACEPAY_TARGET_FPIR; default 0.001).")
    var targetFPIR: Double?

    @Option(help: "Minimum score gap to the best different customer (env FACEPAY_MATCH_MARGIN; default 0.05).")
    var matchMargin: Double?

    @Option(help: "Manual-capture hold lifetime in seconds (env FACEPAY_HOLD_SECONDS; default 604800 = 7 days).")
    var holdSeconds: Double?

    @Option(help: "Purge templates unused for this many days (env FACEPAY_TEMPLATE_RETENTION_DAYS; default 1095).")
    var templateRetentionDays: Double?

    @Option(help: "Liveness failures that lock a device out (env FACEPAY_LOCKOUT_FAILURES_MAX; default 5 in 180 s, for 1800 s).")
    var lockoutFailuresMax: Int?

    @Flag(help: "Require an Ed25519 Device-Signature from every terminal (env FACEPAY_REQUIRE_TERMINAL_SIGNATURES=1).")
    var requireTerminalSignatures = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = LogSetup.bootstrap(level: logLevel ?? environment["FACEPAY_LOG_LEVEL"])
        let isProduction = production || ["1", "true", "yes"].contains(environment["FACEPAY_PRODUCTION"]?.lowercased() ?? "")
        let directory = data.directory

        do {
            let database = try data.openDatabase(logger: logger)
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
                let written = try DevelopmentPKI.ensure(in: directory, database: database)
                if !written.isEmpty {
                    logger.notice("development PKI created", metadata: ["directory": .string(directory.pkiDirectory.path), "files": .string(written.joined(separator: " "))])
                }
                settings = ServerSettings(
                    serverCertificatePath: tlsCert ?? environment["FACEPAY_TLS_CERT"] ?? directory.serverCertificatePath,
                    serverKeyPath: tlsKey ?? environment["FACEPAY_TLS_KEY"] ?? directory.serverKeyPath,
                    clientCAPath: clientCA ?? environment["FACEPAY_CLIENT_CA"] ?? directory.caCertificatePath)
            }
            (settings.apiHost, settings.apiPort) = try ServerSettings.parseAddress(listen ?? environment["FACEPAY_LISTEN"] ?? "127.0.0.1:8443")
            (settings.opsHost, settings.opsPort) = try ServerSettings.parseAddress(opsListen ?? environment["FACEPAY_OPS_LISTEN"] ?? "127.0.0.1:9090")
            if let limit = bodyBytesMax ?? environment["FACEPAY_BODY_BYTES_MAX"].flatMap(Int.init) {
                guard limit > 0 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "body limit must be positive") }
                settings.limits.bodyBytesMax = limit
            }

            // Certificates first: a misconfigured listener is the likeliest production mistake.
            _ = try FacePayServer.tlsConfiguration(settings)
            let keyRing: TemplateKeyRingSource
            do {
                keyRing = try TemplateKeyRingSource(path: directory.templateKeyPath, environment: environment,
                                                    createIfMissing: !isProduction, logger: logger)
            } catch let error as FacePayError where error.code == "template_key_missing" {
                throw FacePayError(.badRequest, code: "template_key_missing",
                                   detail: "no template encryption key: set FACEPAY_TEMPLATE_KEY ('<key-id> <base64 of 32 bytes>') or FACEPAY_TEMPLATE_KEY_FILE, or put a key file at \(directory.templateKeyPath)")
            }
            let galleries = Galleries()
            let progress = TerminalProgress(label: "loading templates")
            let report = try galleries.load(from: database, keyRing: keyRing) { model, done, total in
                progress.update("\(model)", done: done, total: total)
            }
            progress.finish()
            // Identifiers and the reason only: the operator finds the row, nothing biometric is logged.
            for skipped in report.undecryptable {
                logger.error("template skipped: it does not decrypt; this customer cannot pay by face until the key is restored or they re-enrol", metadata: [
                    "customer_id": .string(skipped.customerID), "model": .string(skipped.model),
                    "key_id": .string(skipped.keyID), "reason": .string(skipped.reason),
                ])
            }
            logger.notice("gallery loaded", metadata: ["templates": "\(report.loaded)", "undecryptable": "\(report.undecryptable.count)"])
            let paymentsSettings = try paymentsSettings(environment)
            let server = try FacePayServer(settings: settings, database: database, galleries: galleries, keyRing: keyRing,
                                           paymentsSettings: paymentsSettings, logger: logger)
            let group = ServiceGroup(configuration: .init(
                services: server.services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let ports = try await server.boundPorts.waitUntilBound()
                if !isProduction {
                    // Write straight to fd 1 so the line is out at once even when stdout is a pipe.
                    FileHandle.standardOutput.write(Data((Self.curlLine(directory: directory, host: settings.apiHost, port: ports.api) + "\n").utf8))
                }
                try await tasks.waitForAll()
            }
        } catch let error as FacePayError {
            logger.critical("cannot start", metadata: ["code": .string(error.code)])
            throw CommandFailure(message: "\(error.detail) [\(error.code)]")
        }
    }

    /// The ready-to-paste call of `GET /v1/me` as the development terminal.
    static func curlLine(directory: DataDirectory, host: String, port: Int) -> String {
        let urlHost = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
        return "curl --cacert \(directory.caCertificatePath) --cert \(directory.deviceCertificatePath("T-DEV-1")) --key \(directory.deviceKeyPath("T-DEV-1")) https://\(urlHost):\(port)/v1/me"
    }

    /// The business settings from flags, then FACEPAY_* variables, then the product defaults.
    func paymentsSettings(_ environment: [String: String]) throws -> PaymentsSettings {
        var result = PaymentsSettings()
        func number(_ flag: Double?, _ variable: String) -> Double? { flag ?? environment[variable].flatMap(Double.init) }
        if let value = number(targetFPIR, "FACEPAY_TARGET_FPIR") {
            guard value > 0, value < 1 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "target FPIR must be in (0, 1)") }
            result.matchPolicy.targetFPIR = value
        }
        if let value = number(matchMargin, "FACEPAY_MATCH_MARGIN") {
            guard value >= 0, value < 1 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "match margin must be in [0, 1)") }
            result.matchPolicy.margin = Float(value)
        }
        if let value = number(holdSeconds, "FACEPAY_HOLD_SECONDS") {
            guard value >= 60 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "holds must last at least 60 s") }
            result.holdDurationSeconds = value
        }
        if let value = number(templateRetentionDays, "FACEPAY_TEMPLATE_RETENTION_DAYS") {
            guard value >= 1 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "template retention must be at least 1 day") }
            result.templateRetentionSeconds = value * 86_400
        }
        if let value = lockoutFailuresMax ?? environment["FACEPAY_LOCKOUT_FAILURES_MAX"].flatMap(Int.init) {
            guard value >= 1 else { throw FacePayError(.badRequest, code: "invalid_setting", detail: "lockout needs at least 1 failure") }
            result.liveness.lockoutFailuresMax = value
        }
        if requireTerminalSignatures || ["1", "true", "yes"].contains(environment["FACEPAY_REQUIRE_TERMINAL_SIGNATURES"]?.lowercased() ?? "") {
            result.liveness.requireTerminalSignatures = true
        }
        return result
    }
}
