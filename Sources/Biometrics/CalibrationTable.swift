/// One row of a calibration: accepting scores `>= similarity` falsely matches at most a
/// fraction `fmr` of stranger comparisons and falsely rejects a fraction `fnmr` of genuine ones.
public struct CalibrationPoint: Sendable, Equatable, Codable {
    /// Target false-match rate per comparison (the row's nominal value: 1e-2, 5e-3, 2e-3, 1e-3, …).
    public let fmr: Double
    /// Cosine-similarity threshold; a score at or above it is a match.
    public let similarity: Float
    /// False non-match rate measured (or modelled) at that threshold.
    public let fnmr: Double

    public init(fmr: Double, similarity: Float, fnmr: Double) {
        precondition(fmr > 0 && fmr < 1, "an FMR is a probability in (0, 1)")
        precondition(similarity.isFinite && (-1...1).contains(similarity), "a cosine threshold lies in [-1, 1]")
        precondition(fnmr >= 0 && fnmr <= 1, "an FNMR is a probability")
        self.fmr = fmr
        self.similarity = similarity
        self.fnmr = fnmr
    }
}

/// A model's calibration: similarity thresholds for false-match rates from 1e-2 down to the
/// lowest its data supports.
///
/// **Below the table: refusal.** `threshold(forFMR:)` returns `nil` for an FMR smaller than the
/// lowest row, and the open-set decision turns that into `.hintRequired`. We do not extrapolate
/// a fitted tail: the far tail of a real impostor distribution is where label noise, look-alikes
/// and relatives live, a parametric fit there is a guess, and in payments a wrong guess charges a
/// stranger's account. Asking for the phone hint shrinks the search until the table covers it.
///
/// **Between rows: the stricter row.** An FMR between two rows gets the threshold of the next
/// smaller FMR (a step, never an interpolation), so the false-match rate actually applied is never
/// above the one asked for. Rows follow a 1-2-5 series per decade to keep the steps small.
public struct CalibrationTable: Sendable, Equatable {
    /// Rows ordered by decreasing FMR (increasing threshold).
    public let points: [CalibrationPoint]
    /// How the table was made, for operators and audits, e.g. "empirical: 17500645 impostor pairs".
    public let method: String
    public let genuinePairs: Int
    public let impostorPairs: Int

    public init(points: [CalibrationPoint], method: String, genuinePairs: Int, impostorPairs: Int) {
        precondition(!points.isEmpty, "a calibration has at least one row")
        let ordered = points.sorted { $0.fmr > $1.fmr }
        for (higher, lower) in zip(ordered, ordered.dropFirst()) {
            precondition(higher.fmr > lower.fmr, "one row per FMR")
            precondition(higher.similarity <= lower.similarity, "a smaller FMR never has a lower threshold")
        }
        self.points = ordered
        self.method = method
        self.genuinePairs = genuinePairs
        self.impostorPairs = impostorPairs
    }

    /// A table from `facepay calibrate --json` output.
    public init(report: CalibrationReport, method: String) {
        self.init(points: report.thresholds, method: method, genuinePairs: report.genuinePairs, impostorPairs: report.impostorPairs)
    }

    /// The smallest false-match rate the table supports; below it there is no safe threshold.
    public var lowestFMR: Double { points[points.count - 1].fmr }

    /// The threshold whose false-match rate is at most `fmr`, or `nil` when the calibration has
    /// no safe threshold that low (see the type's rules).
    public func threshold(forFMR fmr: Double) -> Float? {
        row(forFMR: fmr)?.similarity
    }

    /// The row applied for `fmr`: the one with the largest FMR not above it.
    public func row(forFMR fmr: Double) -> CalibrationPoint? {
        guard fmr.isFinite, fmr > 0 else { return nil }
        // Tolerate the last bits of a division like 1e-3 / 500 landing a hair below a row.
        let tolerance = 1 + 1e-9
        return points.first { $0.fmr <= fmr * tolerance }
    }
}
