import ArgumentParser

/// `facepay bench match|ledger|api`: the performance figures of SPEC.md, measured in a release
/// build (`swift run -c release facepay bench …`), never by timed tests.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure matching, ledger and API speed (use a release build).",
        subcommands: [BenchMatchCommand.self, BenchLedgerCommand.self, BenchAPICommand.self, BenchLivenessCommand.self])
}
