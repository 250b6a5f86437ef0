import ArgumentParser
import Biometrics
import Foundation

/// `facepay bench match`: 1:N search latency, throughput, recall@1, memory and build time over
/// synthetic galleries (definitions in `MatchBenchmark`). Run it on a release build
/// (`swift run -c release facepay bench match`): debug builds are ~100× slower for numeric code.
struct BenchMatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "1:N search over synthetic galleries: p50/p99, queries/s, recall@1, bytes per template, build time.",
        discussion: """
            A short run: --sizes 100000 --dims 128 --queries 200. The full default matrix \
            (10k, 100k, 1M × 128, 512) takes a few minutes and about 8 GB of memory.
            """)

    @Option(name: .long, parsing: .upToNextOption, help: "Gallery sizes (templates).")
    var sizes: [Int] = [10_000, 100_000, 1_000_000]

    @Option(name: .long, parsing: .upToNextOption, help: "Embedding dimensions.")
    var dims: [Int] = [128, 512]

    @Option(name: .long, help: "Queries per measurement.")
    var queries = 500

    @Option(name: .long, parsing: .upToNextOption, help: "Threads per query to measure.")
    var threads: [Int] = [1, 2]

    @Option(name: .long, parsing: .upToNextOption, help: "Search paths to measure: exact, approximate.")
    var index: [String] = ["exact", "approximate"]

    @Option(name: .long, help: "Share of inverted lists an approximate search probes (default: the index's, 0.08).")
    var probeFraction: Double?

    @Option(name: .long, help: "Inverted lists of the approximate index (default: the index's, √N).")
    var lists: Int?

    @Option(name: .long, help: "Seed of the synthetic galleries and probes.")
    var seed: UInt64 = 20_260_101

    @Flag(name: .long, help: "Print {\"results\": [...]} as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard sizes.allSatisfy({ $0 > 0 && $0 <= 10_000_000 }) else { throw ValidationError("--sizes must be 1…10000000") }
        guard dims.allSatisfy({ $0 > 0 && $0 <= 1024 }) else { throw ValidationError("--dims must be 1…1024") }
        guard queries > 0, queries <= 1_000_000 else { throw ValidationError("--queries must be 1…1000000") }
        guard threads.allSatisfy({ $0 >= 1 && $0 <= 64 }) else { throw ValidationError("--threads must be 1…64") }
        guard index.allSatisfy({ $0 == "exact" || $0 == "approximate" }) else {
            throw ValidationError("--index takes exact and/or approximate")
        }
        if let probeFraction, !(probeFraction > 0 && probeFraction <= 1) { throw ValidationError("--probe-fraction must be in (0, 1]") }
        if let lists, lists < 1 { throw ValidationError("--lists must be positive") }
    }

    func run() throws {
        var configuration = MatchBenchmark.Configuration()
        configuration.sizes = sizes
        configuration.dimensions = dims
        configuration.queries = queries
        configuration.threads = threads
        configuration.paths = index.compactMap { GallerySearchPath(rawValue: $0) }
        configuration.approximateProbeFraction = probeFraction
        configuration.approximateListCount = lists
        configuration.seed = seed
        // Progress on a terminal only, on stderr, so --json output stays clean.
        let progress: (@Sendable (String) -> Void)?
        if isatty(STDERR_FILENO) != 0 {
            progress = { message in FileHandle.standardError.write(Data("\u{1B}[2K\r\(message)".utf8)) }
        } else {
            progress = nil
        }
        let results = MatchBenchmark.run(configuration, progress: progress)
        if progress != nil { FileHandle.standardError.write(Data("\u{1B}[2K\r".utf8)) }
        if !json { print("compact pass: \(MatchBenchmark.compactPassInstructionSet)") }
        print(json ? MatchBenchmark.json(results) : MatchBenchmark.table(results), terminator: json ? "\n" : "")
    }
}
