import Foundation

/// Runs the real `facepay` executable built next to the tests, as an operator would.
struct FacePayBinary {
    let url: URL

    /// The `facepay` built in the same folder as the test bundle (swift test builds it).
    static func locate() throws -> FacePayBinary {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("facepay"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/facepay"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw BinaryMissing(searched: candidates.map(\.path))
        }
        return FacePayBinary(url: found)
    }

    struct BinaryMissing: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "facepay executable not found (run swift build); looked at \(searched)" }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("facepay-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts `facepay ARGS` in `directory`; stdout and stderr go to files there.
    func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> RunningProcess {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stdoutURL = directory.appendingPathComponent("stdout-\(UUID().uuidString).txt")
        let stderrURL = directory.appendingPathComponent("stderr-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
        return RunningProcess(process: process, stdoutURL: stdoutURL, stderrURL: stderrURL)
    }

    /// `facepay serve` in development mode on free ports (port 0) in `directory`.
    func startDevelopmentServer(in directory: URL) throws -> RunningProcess {
        try start(["serve", "--listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"], in: directory)
    }

    /// A development server started in a fresh temporary directory, with the curl line it printed;
    /// afterwards the server is killed if still running and the directory removed.
    static func withDevelopmentServer<T>(
        _ body: (_ binary: FacePayBinary, _ directory: URL, _ server: RunningProcess, _ curl: String) async throws -> T
    ) async throws -> T {
        let binary = try locate()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try binary.startDevelopmentServer(in: directory)
        defer { server.killIfRunning() }
        return try await body(binary, directory, server, try await server.firstLine())
    }

    /// Runs `facepay ARGS` to completion.
    func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let running = try start(arguments, in: directory, environment: environment)
        let status = try await running.waitForExit(timeout: .seconds(300))
        return (status, running.stdout, running.stderr)
    }
}

struct RunningProcess {
    let process: Process
    let stdoutURL: URL
    let stderrURL: URL

    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Waits until standard output has a complete first line (polling), or fails. The timeouts
    /// here are safety nets, not speed checks: CPU-heavy synchronous suites can hold both
    /// cooperative threads of a 2-core machine while this test waits for its turn.
    func firstLine(timeout: Duration = .seconds(300)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = stdout
            if let newline = text.firstIndex(of: "\n") { return String(text[..<newline]) }
            guard process.isRunning else { throw Failure("process exited early: \(stderr)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("no output line within \(timeout): \(stderr)")
    }

    func waitForExit(timeout: Duration = .seconds(300)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.interrupt()
                kill(process.processIdentifier, SIGKILL)
                throw Failure("process did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    func terminate() { kill(process.processIdentifier, SIGTERM) }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL: the process gets no chance to finish anything.
    func sigkill() { kill(process.processIdentifier, SIGKILL) }

    func killIfRunning() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a shell command line (the printed curl line, as a user would paste it).
func shell(_ commandLine: String, in directory: URL) async throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", commandLine]
    process.currentDirectoryURL = directory
    let output = directory.appendingPathComponent("shell-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: output)
    try process.run()
    let status = try await RunningProcess(process: process, stdoutURL: output, stderrURL: output).waitForExit()
    return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}
