import FacePayCore
import Foundation

/// `facepay bench match`: 1:N search over synthetic galleries.
///
/// Gallery templates are uniformly random unit vectors (identities of a `SyntheticFaceModel`);
/// each probe is a noisy copy of a random template, with the sim-128 session + frame noise scaled
/// to the dimension (per-component variance ∝ 1/d, so a genuine pair scores ≈ 0.92 at any d).
/// The template a probe came from is the known right answer.
///
/// Per gallery (n, dim) and per path (exact, approximate) and thread count:
/// - latency: one query at a time, each allowed `threads` threads; p50/p99 over all queries;
///   `qps` = queries / wall time of that sequential run;
/// - `recall_at_1`: exact path, the share of queries whose top-1 is the probe's source template;
///   approximate path, the share whose top-1 equals the exact path's top-1 for the same probe;
/// - `bytes_per_template`: `GalleryIndex.bytesPerTemplate` (int8 codes + float32 vector +
///   scale/error + id slot, plus the approximate index's list entry and centroid share);
/// - `build_s`: exact, loading the templates (quantisation + copy); approximate, that plus
///   training and assigning the inverted file.
public enum MatchBenchmark {
    public struct Configuration: Sendable, Equatable {
        public var sizes: [Int] = [10_000, 100_000, 1_000_000]
        public var dimensions: [Int] = [128, 512]
        public var queries = 500
        public var threads: [Int] = [1, 2]
        public var paths: [GallerySearchPath] = [.exact, .approximate]
        public var seed: UInt64 = 20_260_101
        /// Overrides `GalleryIndex.Configuration.approximateProbeFraction` when set.
        public var approximateProbeFraction: Double?
        /// Overrides `GalleryIndex.Configuration.approximateListCount` when set.
        public var approximateListCount: Int?

        public init() {}
    }

    public struct Result: Sendable, Equatable, Codable {
        public let index: String
        public let n: Int
        public let dim: Int
        public let threads: Int
        public let p50Microseconds: Double
        public let p99Microseconds: Double
        public let qps: Double
        public let recallAt1: Double
        public let bytesPerTemplate: Int
        public let buildSeconds: Double

        enum CodingKeys: String, CodingKey {
            case index, n, dim, threads
            case p50Microseconds = "p50_us"
            case p99Microseconds = "p99_us"
            case qps
            case recallAt1 = "recall_at_1"
            case bytesPerTemplate = "bytes_per_template"
            case buildSeconds = "build_s"
        }
    }

    /// Runs every configured combination; `progress` receives one-line status messages.
    public static func run(_ configuration: Configuration, progress: (@Sendable (String) -> Void)? = nil) -> [Result] {
        precondition(configuration.queries > 0 && configuration.sizes.allSatisfy { $0 > 0 })
        var results: [Result] = []
        for dimension in configuration.dimensions {
            for size in configuration.sizes {
                results += runGallery(size: size, dimension: dimension, configuration: configuration, progress: progress)
            }
        }
        return results
    }

    static func runGallery(
        size: Int, dimension: Int, configuration: Configuration, progress: (@Sendable (String) -> Void)?
    ) -> [Result] {
        let label = "n=\(size) dim=\(dimension)"
        progress?("\(label): generating templates")
        let padded = VectorKernels.paddedDimension(dimension)
        let gallery = randomUnitRows(count: size, dimension: dimension, paddedColumns: padded, seed: configuration.seed &+ UInt64(size) &+ UInt64(dimension) << 32)
        let subjectIDs = (0..<size).map { "s\($0)" }

        var indexConfiguration = GalleryIndex.Configuration()
        indexConfiguration.approximateSearchTemplatesMin = .max  // paths are chosen per query below
        if let fraction = configuration.approximateProbeFraction { indexConfiguration.approximateProbeFraction = fraction }
        if let lists = configuration.approximateListCount { indexConfiguration.approximateListCount = lists }
        let index = GalleryIndex(modelID: "bench-\(dimension)", dimension: dimension, configuration: indexConfiguration)

        let loadStart = DispatchTime.now()
        index.bulkLoad(rows: gallery, subjectIDs: subjectIDs) { step in
            if step.completed == step.total || step.completed % 131_072 < 16_384 {
                progress?("\(label): loading \(step.completed)/\(step.total)")
            }
        }
        let exactBuildSeconds = seconds(since: loadStart)
        let exactBytes = index.bytesPerTemplate

        var approximateBuildSeconds = 0.0
        if configuration.paths.contains(.approximate) {
            let buildStart = DispatchTime.now()
            index.rebuildApproximateIndex { step in
                if step.phase == .trainingApproximateIndex || step.completed == step.total {
                    progress?("\(label): \(step.phase.rawValue) \(step.completed)/\(step.total)")
                }
            }
            approximateBuildSeconds = exactBuildSeconds + seconds(since: buildStart)
        }
        let approximateBytes = index.bytesPerTemplate

        // Probes: noisy copies of random templates.
        var random = SeededRandom(seed: configuration.seed ^ 0x9E37_79B9)
        let noiseSigma = (2 * 0.025 * 0.025 + 0.012 * 0.012).squareRoot() * (128 / Double(dimension)).squareRoot()
        var probes: [(embedding: Embedding, source: String)] = []
        probes.reserveCapacity(configuration.queries)
        for _ in 0..<configuration.queries {
            let source = Int.random(in: 0..<size, using: &random)
            let row = gallery.row(source)
            var noisy = [Double](repeating: 0, count: dimension)
            for component in 0..<dimension { noisy[component] = Double(row[component]) + noiseSigma * random.nextGaussian() }
            probes.append((Embedding(trustedUnitVector: SyntheticFaceModel.normalised(noisy)), subjectIDs[source]))
        }

        var results: [Result] = []
        var exactTopOne: [String?] = Array(repeating: nil, count: probes.count)
        for path in configuration.paths {
            for threads in configuration.threads {
                progress?("\(label): \(path.rawValue) search, \(threads) thread(s), \(probes.count) queries")
                let options = GallerySearchOptions(path: path == .approximate ? .approximate : .exact, threadsMax: threads)
                for probe in probes.prefix(10) { _ = index.searchResult(probe.embedding, options: options) }  // warm-up
                var latencies: [Double] = []
                latencies.reserveCapacity(probes.count)
                var correct = 0
                let runStart = DispatchTime.now()
                for (number, probe) in probes.enumerated() {
                    let start = DispatchTime.now()
                    let result = index.searchResult(probe.embedding, options: options)
                    latencies.append(seconds(since: start) * 1e6)
                    let top = result.candidates.first?.subjectID
                    if path == .exact {
                        if exactTopOne[number] == nil { exactTopOne[number] = top }
                        if top == probe.source { correct += 1 }
                    } else {
                        let reference = exactTopOne[number] ?? probe.source
                        if top == reference { correct += 1 }
                    }
                }
                let wallSeconds = seconds(since: runStart)
                latencies.sort()
                results.append(Result(
                    index: path == .approximate ? "approximate" : "exact", n: size, dim: dimension, threads: threads,
                    p50Microseconds: percentile(latencies, 0.50), p99Microseconds: percentile(latencies, 0.99),
                    qps: Double(probes.count) / wallSeconds, recallAt1: Double(correct) / Double(probes.count),
                    bytesPerTemplate: path == .approximate ? approximateBytes : exactBytes,
                    buildSeconds: path == .approximate ? approximateBuildSeconds : exactBuildSeconds))
            }
        }
        return results
    }

    /// The results as the table `facepay bench match` prints.
    /// The instruction set the gallery scan uses on this CPU (see CVectorKernels).
    public static var compactPassInstructionSet: String { VectorKernels.compactPassInstructionSet }

    public static func table(_ results: [Result]) -> String {
        let header = ["index", "n", "dim", "threads", "p50 µs", "p99 µs", "qps", "recall@1", "B/template", "build s"]
        var rows = [header]
        for result in results {
            rows.append([
                result.index, String(result.n), String(result.dim), String(result.threads),
                String(format: "%.1f", result.p50Microseconds), String(format: "%.1f", result.p99Microseconds),
                String(format: "%.0f", result.qps), String(format: "%.4f", result.recallAt1),
                String(result.bytesPerTemplate), String(format: "%.2f", result.buildSeconds),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `{"results": [...]}`, keys in the documented order (written by hand: `JSONEncoder` does
    /// not keep key order; every value is a finite number or a fixed word).
    public static func json(_ results: [Result]) -> String {
        let rows = results.map { result in
            "    {\"index\": \"\(result.index)\", \"n\": \(result.n), \"dim\": \(result.dim), \"threads\": \(result.threads), "
                + "\"p50_us\": \(rounded(result.p50Microseconds)), \"p99_us\": \(rounded(result.p99Microseconds)), "
                + "\"qps\": \(rounded(result.qps)), \"recall_at_1\": \(result.recallAt1), "
                + "\"bytes_per_template\": \(result.bytesPerTemplate), \"build_s\": \(rounded(result.buildSeconds))}"
        }
        return "{\n  \"results\": [\n" + rows.joined(separator: ",\n") + "\n  ]\n}"
    }

    private static func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[max(0, min(sorted.count - 1, rank))]
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// `count` uniformly random unit vectors (normalised Gaussian vectors), generated on two
    /// threads with a fast Box–Muller that uses both outputs.
    static func randomUnitRows(count: Int, dimension: Int, paddedColumns: Int, seed: UInt64) -> PaddedMatrix {
        let matrix = PaddedMatrix(rowCount: count, paddedColumns: paddedColumns)
        let writer = MatrixWriter(matrix)
        let parts = count >= 8192 ? 2 : 1
        _ = runParts(parts) { part, partCount in
            var random = SeededRandom(seed: seed &+ UInt64(part) &* 0x9E37_79B9_7F4A_7C15)
            let start = count * part / partCount
            let end = count * (part + 1) / partCount
            for row in start..<end {
                let target = writer.row(row)
                var sumOfSquares: Float = 0
                var column = 0
                while column < dimension {
                    let (first, second) = gaussianPair(&random)
                    target[column] = first
                    sumOfSquares += first * first
                    if column + 1 < dimension {
                        target[column + 1] = second
                        sumOfSquares += second * second
                    }
                    column += 2
                }
                let scale = 1 / sumOfSquares.squareRoot()
                for component in 0..<dimension { target[component] *= scale }
            }
            return 0
        }
        return matrix
    }

    @inline(__always)
    static func gaussianPair(_ random: inout SeededRandom) -> (Float, Float) {
        let bits = random.next()
        let uniform1 = (Float(bits >> 40) + 0.5) * 0x1p-24
        let uniform2 = Float((bits >> 16) & 0xFF_FFFF) * 0x1p-24
        let radius = (-2 * logf(uniform1)).squareRoot()
        let angle = 2 * Float.pi * uniform2
        return (radius * cosf(angle), radius * sinf(angle))
    }
}

/// Lets generator threads fill disjoint rows of a matrix that is not yet shared.
private final class MatrixWriter: @unchecked Sendable {
    // Each thread writes only its own row range, before the matrix is read.
    private let matrix: PaddedMatrix

    init(_ matrix: PaddedMatrix) { self.matrix = matrix }

    func row(_ index: Int) -> UnsafeMutablePointer<Float> { UnsafeMutablePointer(mutating: matrix.row(index)) }
}
