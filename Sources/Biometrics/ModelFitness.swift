import Foundation

/// Whether a model can meet a match target at an acceptable false-reject rate, read off its
/// calibration: the FNMR of the row the decision would use for 1:1 (N = 1) and for a hint bucket
/// of `bucketSize` templates (N = bucketSize), both at most `frrMax`.
///
/// A target stricter than the calibration's lowest row has no threshold: every such attempt is
/// answered `hint_required`, which for the customer is a rejection, so it counts as FRR 100 %.
/// This is the matcher's FNMR alone; ambiguity (a runner-up within the margin) and liveness
/// failures only add to it, so a model that is unfit here is unfit in service.
public struct ModelFitness: Sendable, Equatable {
    /// **FRR bound 5 %.** One honest customer in twenty asked to try again is the most a shop
    /// floor tolerates before staff switch to a card; FIDO's biometric certification allows at
    /// most 3 % FRR at its FAR, 5 % leaves room for capture conditions.
    public static let frrMaxDefault = 0.05
    /// **Bucket of 10.** Customers who share the last four digits of a phone number: 100,000
    /// customers spread over 10,000 buckets.
    public static let bucketSizeDefault = 10

    public let modelID: String
    public let targetFPIR: Double
    public let bucketSize: Int
    public let frrMax: Double
    /// FNMR of the 1:1 row (FMR = target); 1 when the calibration has none that strict.
    public let frrOneToOne: Double
    /// FNMR of the bucket's row (FMR = target / bucketSize); 1 when there is none.
    public let frrBucket: Double

    public var isFit: Bool { frrOneToOne <= frrMax && frrBucket <= frrMax }

    public init(modelID: String, calibration: CalibrationTable, targetFPIR: Double,
                bucketSize: Int = bucketSizeDefault, frrMax: Double = frrMaxDefault) {
        precondition(targetFPIR > 0 && targetFPIR < 1 && bucketSize > 0 && (0...1).contains(frrMax))
        self.modelID = modelID
        self.targetFPIR = targetFPIR
        self.bucketSize = bucketSize
        self.frrMax = frrMax
        frrOneToOne = calibration.row(forFMR: targetFPIR)?.fnmr ?? 1
        frrBucket = calibration.row(forFMR: targetFPIR / Double(bucketSize))?.fnmr ?? 1
    }

    public init(profile: ModelProfile, policy: MatchPolicy, bucketSize: Int = bucketSizeDefault, frrMax: Double = frrMaxDefault) {
        self.init(modelID: profile.id, calibration: profile.calibration, targetFPIR: policy.targetFPIR,
                  bucketSize: bucketSize, frrMax: frrMax)
    }

    /// One line for operators: the target, both FRRs, the bound and the verdict.
    public var summary: String {
        func percent(_ value: Double) -> String { value >= 1 ? "100 % (no calibrated threshold)" : String(format: "%.1f %%", value * 100) }
        return "model \(modelID) at target FAR \(String(format: "%.0e", targetFPIR)) per attempt: FRR 1:1 \(percent(frrOneToOne)), "
            + "FRR in a hint bucket of \(bucketSize) \(percent(frrBucket)); bound \(String(format: "%.0f", frrMax * 100)) %: "
            + (isFit ? "fit for payments" : "NOT fit for payments at this target")
    }
}
