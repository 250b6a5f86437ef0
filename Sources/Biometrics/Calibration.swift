import Foundation
import Synchronization

/// Calibration maths (pure): labelled embeddings → genuine and impostor cosine distributions over
/// all pairs → a threshold for each FMR row + a DET curve.
///
/// **Rows and their thresholds.** Rows follow 1-2-5 per decade from 1e-2 down. A row `f` is kept
/// only while `f · impostorPairs ≥ minimumExpectedImpostors` (10): below that the estimate would
/// rest on a handful of pairs, and in LFW the top impostor pairs are mostly label noise (one
/// person under two names, duplicated photos). The row's threshold is the lowest bin edge `t` at
/// which the one-sided 95 % upper confidence bound of the false-match rate, treating the count of
/// impostor scores ≥ t as Poisson, is still ≤ f. So a row claims its FMR with margin to spare
/// rather than on the nose. (Pairs sharing a face are not independent, so the true confidence is
/// lower than 95 %; the refusal below the table and the union bound in the open-set decision are
/// the further layers of caution.)
public enum Calibration {
    public static let highestFMR = 1e-2
    public static let minimumExpectedImpostors = 10.0

    /// Computes every pair once. Uses `threads` cores (default: up to 2), and reports progress
    /// in [0, 1] from worker threads.
    public static func run(
        _ samples: [LabelledEmbedding],
        threads threadCount: Int = min(2, ProcessInfo.processInfo.activeProcessorCount),
        progress: (@Sendable (Double) -> Void)? = nil
    ) -> CalibrationResult {
        precondition(samples.count >= 2, "calibration needs at least two embeddings")
        let dimension = samples[0].embedding.dimension
        precondition(samples.allSatisfy { $0.embedding.dimension == dimension }, "one model, one dimension")
        let padded = VectorKernels.paddedDimension(dimension)

        var identityIndex: [String: Int32] = [:]
        let labels: [Int32] = samples.map { sample in
            if let index = identityIndex[sample.identity] { return index }
            let index = Int32(identityIndex.count)
            identityIndex[sample.identity] = index
            return index
        }
        let vectors = PaddedMatrix(rows: samples.map(\.embedding.values), paddedColumns: padded)
        let workers = max(1, threadCount)
        let partials = PartialHistograms()
        let rowCount = samples.count
        let rowsDone = RowCounter()

        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var genuine = ScoreHistogram()
            var impostor = ScoreHistogram()
            // Rows interleaved across workers balance the triangular loop.
            var row = worker
            while row < rowCount {
                let rowVector = vectors.row(row)
                let rowLabel = labels[row]
                for other in (row + 1)..<rowCount {
                    let score = VectorKernels.dot(rowVector, vectors.row(other), paddedCount: padded)
                    if labels[other] == rowLabel { genuine.add(score) } else { impostor.add(score) }
                }
                row += workers
                let done = rowsDone.increment()
                if let progress, done % 64 == 0 {
                    progress(Double(done) / Double(rowCount))
                }
            }
            partials.store(genuine: genuine, impostor: impostor)
        }
        progress?(1)
        let (genuine, impostor) = partials.merged()
        return summarize(
            genuine: genuine, impostor: impostor, dimension: dimension,
            identityCount: identityIndex.count, embeddingCount: samples.count)
    }

    static func summarize(
        genuine: ScoreHistogram, impostor: ScoreHistogram, dimension: Int, identityCount: Int, embeddingCount: Int
    ) -> CalibrationResult {
        let impostorAtOrAbove = impostor.countsAtOrAbove()
        let genuineAtOrAbove = genuine.countsAtOrAbove()
        let impostorTotal = Double(impostor.total)
        let genuineTotal = Double(genuine.total)

        func fnmr(atBin bin: Int) -> Double {
            genuineTotal > 0 ? Double(genuine.total - genuineAtOrAbove[bin]) / genuineTotal : 0
        }

        var rows: [CalibrationPoint] = []
        for fmr in SyntheticCalibration.fmrSeries(from: highestFMR, downTo: 1e-15) {
            guard fmr * impostorTotal >= minimumExpectedImpostors else { break }
            let allowed = allowedImpostorCount(expected: fmr * impostorTotal)
            guard allowed >= 0 else { break }
            // Lowest edge whose count of impostors at or above it is within the allowance.
            var bin = ScoreHistogram.binCount
            while bin > 0, impostorAtOrAbove[bin - 1] <= UInt64(allowed) { bin -= 1 }
            rows.append(CalibrationPoint(fmr: fmr, similarity: ScoreHistogram.edge(bin), fnmr: fnmr(atBin: bin)))
        }

        let curve = detCurve(impostorAtOrAbove: impostorAtOrAbove, impostorTotal: impostorTotal, fnmr: fnmr(atBin:))
        // Where the curve crosses FMR = FNMR, to the curve's 0.01-decade resolution.
        let equalErrorRate = curve.map { max($0.fmr, $0.fnmr) }.min() ?? 1
        let genuineMoments = genuine.moments()
        let impostorMoments = impostor.moments()
        return CalibrationResult(
            report: CalibrationReport(
                modelDimension: dimension, genuinePairs: Int(genuine.total), impostorPairs: Int(impostor.total),
                thresholds: rows),
            detCurve: curve,
            identityCount: identityCount,
            embeddingCount: embeddingCount,
            equalErrorRate: equalErrorRate,
            genuineMean: genuineMoments.mean,
            genuineStandardDeviation: genuineMoments.standardDeviation,
            impostorMean: impostorMoments.mean,
            impostorStandardDeviation: impostorMoments.standardDeviation)
    }

    /// The largest impostor count k whose Poisson 95 % upper bound is ≤ `expected`
    /// (Wilson–Hilferty approximation: 3.00 for k = 0, 9.15 for k = 4).
    static func allowedImpostorCount(expected: Double) -> Int {
        var count = 0
        while poissonUpperBound95(count + 1) <= expected { count += 1 }
        return poissonUpperBound95(0) <= expected ? count : -1
    }

    static func poissonUpperBound95(_ count: Int) -> Double {
        let shifted = Double(count + 1)
        let z = 1.6448536269514722
        return shifted * pow(1 - 1 / (9 * shifted) + z / (3 * shifted.squareRoot()), 3)
    }

    /// The DET curve from the high-threshold end, thinned to points at least 0.01 decade apart in
    /// either rate so the SVG stays small.
    static func detCurve(
        impostorAtOrAbove: [UInt64], impostorTotal: Double, fnmr: (Int) -> Double
    ) -> [DETPoint] {
        guard impostorTotal > 0 else { return [] }
        var points: [DETPoint] = []
        var lastLogFMR = -Double.infinity
        var lastLogFNMR = Double.infinity
        for bin in stride(from: ScoreHistogram.binCount, through: 0, by: -1) {
            let fmr = Double(impostorAtOrAbove[bin]) / impostorTotal
            guard fmr > 0 else { continue }
            let falseNonMatch = fnmr(bin)
            let logFMR = log10(fmr)
            let logFNMR = log10(max(falseNonMatch, 1e-12))
            if logFMR - lastLogFMR >= 0.01 || lastLogFNMR - logFNMR >= 0.01 || bin == 0 {
                points.append(DETPoint(similarity: ScoreHistogram.edge(bin), fmr: fmr, fnmr: falseNonMatch))
                lastLogFMR = logFMR
                lastLogFNMR = logFNMR
            }
            if falseNonMatch == 0 { break }
        }
        return points
    }
}

private final class PartialHistograms: Sendable {
    private let parts: Mutex<[(genuine: ScoreHistogram, impostor: ScoreHistogram)]> = Mutex([])

    func store(genuine: ScoreHistogram, impostor: ScoreHistogram) {
        parts.withLock { $0.append((genuine, impostor)) }
    }

    func merged() -> (ScoreHistogram, ScoreHistogram) {
        parts.withLock { parts in
            var genuine = ScoreHistogram()
            var impostor = ScoreHistogram()
            for part in parts {
                genuine.merge(part.genuine)
                impostor.merge(part.impostor)
            }
            return (genuine, impostor)
        }
    }
}

private final class RowCounter: Sendable {
    private let done = Mutex(0)

    /// Counts one more row and returns the new total.
    func increment() -> Int {
        done.withLock { count in
            count += 1
            return count
        }
    }
}
