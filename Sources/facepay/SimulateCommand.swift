import ArgumentParser
import Foundation
import HTTPAPI
import Simulator
import Storage
import Stores

/// `facepay simulate`: the kiosk and terminal simulator.
/// - With no mode flag it drives a running server over mutual TLS with the development kiosk
///   and terminal certificates of `--data-dir` (or the ones given): enrols `--customers`
///   synthetic customers, then sends `--payments` payments mixing genuine customers, shoppers
///   who never enrolled and attacks; prints what the server decided and the false accepts.
/// - `--attacks` runs genuine sessions and every attack family in process against the real
///   liveness policy and prints an ISO/IEC 30107-3 style report (APCER per family, BPCER).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate kiosks and terminals against a running server, or (--attacks) the in-process liveness attack report.")

    @Flag(name: .long, help: "Run the in-process liveness attack report (APCER per attack family, BPCER).")
    var attacks = false

    @Option(name: .long, help: "Genuine (bona fide) sessions.")
    var sessions = 1000

    @Option(name: .long, help: "Attempts per attack family (default: sessions / 5, at least 100).")
    var attempts: Int?

    @Option(name: .long, help: "Seed of the simulation (default: random, printed).")
    var seed: UInt64?

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @OptionGroup var data: DataDirectoryOptions

    @Option(name: .long, help: "Server URL (live mode).")
    var url = "https://127.0.0.1:8443"

    @Option(name: .long, help: "Customers to enrol (live mode).")
    var customers = 20

    @Option(name: .long, help: "Payments to send (live mode).")
    var payments = 100

    @Option(name: .long, help: "Payments in flight at once (live mode; at most 4 with one terminal certificate).")
    var concurrency = 4

    @Option(name: .long, help: "Kiosk certificate/key base path, without .pem/.key (default: DATA_DIR/pki/K-DEV-1).")
    var kiosk: String?

    @Option(name: .long, help: "Terminal certificate/key base path, without .pem/.key (default: DATA_DIR/pki/T-DEV-1).")
    var terminal: String?

    @Option(name: .long, help: "CA certificate of the server (default: DATA_DIR/pki/ca.pem).")
    var caCertificate: String?

    func validate() throws {
        guard customers >= 1, customers <= 1_000_000, payments >= 0, payments <= 10_000_000 else {
            throw ValidationError("--customers must be 1…1000000 and --payments 0…10000000")
        }
        guard (1...4).contains(concurrency) else { throw ValidationError("--concurrency must be 1…4") }
        guard sessions >= 0, sessions <= 1_000_000 else { throw ValidationError("--sessions must be 0…1000000") }
        if let attempts, attempts < 0 || attempts > 1_000_000 { throw ValidationError("--attempts must be 0…1000000") }
    }

    func run() async throws {
        var system = SystemRandomNumberGenerator()
        let seed = self.seed ?? system.next()
        guard attacks else { return try await runLive(seed: seed) }
        let runner = AttackReportRunner(
            genuineSessions: sessions, attemptsPerFamily: attempts ?? max(100, sessions / 5), seed: seed)
        // Progress on a terminal only, on stderr, so `--json` output stays clean.
        let progress: (@Sendable (Int, Int) -> Void)?
        if isatty(STDERR_FILENO) != 0 {
            progress = { done, total in
                guard done == total || done.isMultiple(of: 50) else { return }
                let line = "\rsimulating \(done)/\(total)" + (done == total ? "\n" : "")
                FileHandle.standardError.write(Data(line.utf8))
            }
        } else {
            progress = nil
        }
        let report = try await runner.run(progress: progress)
        print(json ? report.json : report.table)
    }

    /// Live mode: kiosk and terminal against a running server.
    func runLive(seed: UInt64) async throws {
        let directory = data.directory
        let kioskBase = kiosk ?? directory.pkiDirectory.appendingPathComponent("K-DEV-1").path
        let terminalBase = terminal ?? directory.pkiDirectory.appendingPathComponent("T-DEV-1").path
        let ca = caCertificate ?? directory.caCertificatePath
        var configuration = LiveSimulation.Configuration()
        configuration.customers = customers
        configuration.payments = payments
        configuration.concurrency = concurrency
        configuration.seed = seed
        let kioskClient: LiveClient
        let terminalClient: LiveClient
        var attackClients: [LiveClient] = []
        var strangerClients: [LiveClient] = []
        do {
            kioskClient = try LiveClient(baseURL: url, certificatePath: kioskBase + ".pem", keyPath: kioskBase + ".key", caPath: ca)
            terminalClient = try LiveClient(baseURL: url, certificatePath: terminalBase + ".pem", keyPath: terminalBase + ".key", caPath: ca)
            for base in try await provisionTerminals("ATTACK", LiveSimulation.attackTerminalsNeeded(configuration), seed: seed) {
                attackClients.append(try LiveClient(baseURL: url, certificatePath: base + ".pem", keyPath: base + ".key", caPath: ca, connectionsMax: 1))
            }
            for base in try await provisionTerminals("TILL", LiveSimulation.strangerTillsNeeded(configuration), seed: seed) {
                strangerClients.append(try LiveClient(baseURL: url, certificatePath: base + ".pem", keyPath: base + ".key", caPath: ca, connectionsMax: 1))
            }
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure(message: "cannot load device certificates (\(kioskBase).pem, \(terminalBase).pem, \(ca)): \(error)")
        }
        let progress = TerminalProgress(label: "simulate")
        let report: LiveSimulation.Report
        do {
            report = try await LiveSimulation(configuration: configuration).run(kiosk: kioskClient, terminal: terminalClient,
                                                                                strangerTills: strangerClients, attackTerminals: attackClients) { phase, done, total in
                progress.update(phase, done: done, total: total)
            }
            progress.finish()
        } catch {
            try? await kioskClient.shutdown()
            try? await terminalClient.shutdown()
            throw CommandFailure(message: "simulation against \(url) failed: \(error)")
        }
        try? await kioskClient.shutdown()
        try? await terminalClient.shutdown()
        for client in attackClients + strangerClients { try? await client.shutdown() }
        if json { print(report.json) } else { print("seed \(seed)\n" + report.table) }
        if report.falseAccepts > 0 { throw ExitCode(3) }
    }

    /// The simulator's own tills (`ATTACK`: the hostile tills the attacks come from; `TILL`: the
    /// tills strangers pay at): terminals of merchant M-SIM issued by the data directory's CA
    /// and registered (the server reads devices per request, so no restart).
    func provisionTerminals(_ kind: String, _ count: Int, seed: UInt64) async throws -> [String] {
        let directory = data.directory
        guard FileManager.default.fileExists(atPath: directory.caKeyPath) else {
            throw CommandFailure(message: "live simulation needs the development CA of \(directory.root.path) (run facepay serve or facepay pki init there)")
        }
        let authority = try CertificateAuthority.load(certificatePath: directory.caCertificatePath, keyPath: directory.caKeyPath)
        let folder = directory.root.appendingPathComponent("simulator", isDirectory: true)
        var bases: [String] = []
        var devices: [Device] = []
        for index in 0..<count {
            let id = "T-SIM-\(kind)-\(seed % 1_000_000)-\(index)"
            let base = folder.appendingPathComponent(id).path
            if !FileManager.default.fileExists(atPath: base + ".pem") {
                try authority.issueDeviceCertificate(deviceID: id, role: DeviceRole.terminal.rawValue).write(to: folder, baseName: id)
            }
            devices.append(Device(id: id, role: .terminal, merchantID: "M-SIM", createdAt: Date()))
            bases.append(base)
        }
        try await CommandErrors.run { try await data.addDevicesIfAbsent(devices) }
        return bases
    }
}
