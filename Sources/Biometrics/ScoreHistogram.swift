/// Counts of cosine similarities in 2^18 equal bins over [-1, 1] (width ≈ 7.6e-6).
///
/// A histogram instead of a sorted array: 17.5 million impostor scores cost 2 MiB instead of
/// 70 MiB and no sort, and counts above a bin edge are exact. Bin edges are k / 2^17 − 1, exactly
/// representable as `Float`, so a threshold placed on an edge has an exactly known empirical rate:
/// bin `j` holds the scores s with edge(j) ≤ s < edge(j + 1) (computed in `Double`, where s + 1
/// is exact).
struct ScoreHistogram: Sendable, Equatable {
    static let binCount = 1 << 18
    static let binsPerUnit = Double(binCount / 2)

    private(set) var counts: [UInt64]
    private(set) var total: UInt64 = 0

    init() {
        counts = [UInt64](repeating: 0, count: Self.binCount)
    }

    static func bin(of score: Float) -> Int {
        let position = ((Double(score) + 1) * binsPerUnit).rounded(.down)
        guard position.isFinite else { return 0 }
        return max(0, min(binCount - 1, Int(position)))
    }

    /// The lower edge of bin `index`; `edge(binCount)` is 1.
    static func edge(_ index: Int) -> Float {
        Float(Double(index) / binsPerUnit - 1)
    }

    mutating func add(_ score: Float) {
        counts[Self.bin(of: score)] &+= 1
        total &+= 1
    }

    mutating func merge(_ other: ScoreHistogram) {
        for index in counts.indices { counts[index] &+= other.counts[index] }
        total &+= other.total
    }

    /// `result[j]` = number of scores ≥ edge(j), for j in 0...binCount.
    func countsAtOrAbove() -> [UInt64] {
        var suffix = [UInt64](repeating: 0, count: Self.binCount + 1)
        var running: UInt64 = 0
        for index in stride(from: Self.binCount - 1, through: 0, by: -1) {
            running &+= counts[index]
            suffix[index] = running
        }
        return suffix
    }

    /// Mean and standard deviation, from bin centres.
    func moments() -> (mean: Double, standardDeviation: Double) {
        guard total > 0 else { return (0, 0) }
        var sum = 0.0
        var squares = 0.0
        for (index, count) in counts.enumerated() where count > 0 {
            let centre = (Double(index) + 0.5) / Self.binsPerUnit - 1
            sum += Double(count) * centre
            squares += Double(count) * centre * centre
        }
        let mean = sum / Double(total)
        return (mean, max(0, squares / Double(total) - mean * mean).squareRoot())
    }
}
