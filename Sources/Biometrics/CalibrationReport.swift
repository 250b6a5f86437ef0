/// What `facepay calibrate --json` prints, and what a `CalibrationTable` can be loaded from:
/// `{"model_dim": 128, "genuine_pairs": …, "impostor_pairs": …, "thresholds": [{"fmr": 0.001,
/// "similarity": …, "fnmr": …}, …]}`.
public struct CalibrationReport: Sendable, Equatable, Codable {
    public let modelDimension: Int
    public let genuinePairs: Int
    public let impostorPairs: Int
    /// Rows by decreasing FMR, from 1e-2 down to the lowest the data supports.
    public let thresholds: [CalibrationPoint]

    public init(modelDimension: Int, genuinePairs: Int, impostorPairs: Int, thresholds: [CalibrationPoint]) {
        self.modelDimension = modelDimension
        self.genuinePairs = genuinePairs
        self.impostorPairs = impostorPairs
        self.thresholds = thresholds
    }

    enum CodingKeys: String, CodingKey {
        case modelDimension = "model_dim"
        case genuinePairs = "genuine_pairs"
        case impostorPairs = "impostor_pairs"
        case thresholds
    }
}

/// One point of a DET curve: the error rates of the threshold `similarity`.
public struct DETPoint: Sendable, Equatable {
    public let similarity: Float
    public let fmr: Double
    public let fnmr: Double

    public init(similarity: Float, fmr: Double, fnmr: Double) {
        self.similarity = similarity
        self.fmr = fmr
        self.fnmr = fnmr
    }
}

/// Everything one calibration run produces: the report (thresholds), the DET curve for the plot,
/// and summary statistics for the readable table.
public struct CalibrationResult: Sendable {
    public let report: CalibrationReport
    public let detCurve: [DETPoint]
    public let identityCount: Int
    public let embeddingCount: Int
    public let equalErrorRate: Double
    public let genuineMean: Double
    public let genuineStandardDeviation: Double
    public let impostorMean: Double
    public let impostorStandardDeviation: Double

    /// The table a `ModelProfile` uses, with a method line naming the data's size; `nil` when the
    /// data is too small to support even the 1e-2 row.
    public var table: CalibrationTable? {
        report.thresholds.isEmpty ? nil : CalibrationTable(report: report, method: methodDescription)
    }

    public var methodDescription: String {
        "empirical: \(embeddingCount) embeddings of \(identityCount) identities, "
            + "\(report.genuinePairs) genuine and \(report.impostorPairs) impostor pairs; "
            + "threshold = lowest with 95% upper bound of FMR at or below the row"
    }
}
