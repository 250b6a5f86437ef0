import Biometrics
import FacePayCore
import Foundation
import Testing

@Suite("Model profiles and calibration tables")
struct CalibrationTableTests {
    /// Thresholds from scipy: brentq(½·betainc(63.5, 0.5, 1 − t²) − f).
    static let scipyThresholds: [(fmr: Double, threshold: Double)] = [
        (1e-2, 0.20464273351506837), (1e-3, 0.2696462149830787), (1e-6, 0.40443022480515106),
        (1e-9, 0.4974890862647284), (1e-12, 0.5689497750240994),
    ]

    @Test("sim-128 thresholds are the exact impostor tail, rounded up")
    func simThresholds() throws {
        let table = ModelProfile.sim128.calibration
        #expect(table.points.first?.fmr == 1e-2)
        #expect(table.lowestFMR == 1e-12)
        #expect(table.points.count == 31)
        for (fmr, reference) in Self.scipyThresholds {
            let threshold = try #require(table.threshold(forFMR: fmr))
            #expect(Double(threshold) >= reference)
            #expect(Double(threshold) - reference < 1e-6)
        }
        #expect(table.threshold(forFMR: 1e-13) == nil)
    }

    @Test("sim-128 genuine-score approximation agrees with a simulation of the model")
    func simGenuineApproximation() {
        let model = SyntheticFaceModel.sim128
        var random = SeededRandom(seed: TestSupport.seed("simGenuineApproximation"))
        var scores: [Double] = []
        for _ in 0..<400 {
            let identity = model.identity(using: &random)
            let enrolment = model.session(of: identity, using: &random)
            let frames = (0..<SyntheticCalibration.enrolmentFrames).map { _ in
                Embedding(trustedUnitVector: model.frame(of: enrolment, using: &random))
            }
            let template = Embedding.meanTemplate(of: frames)
            let payment = model.session(of: identity, using: &random)
            let probe = Embedding(trustedUnitVector: model.frame(of: payment, using: &random))
            scores.append(Double(template.similarity(to: probe)))
        }
        let mean = scores.reduce(0, +) / Double(scores.count)
        let sd = (scores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(scores.count - 1)).squareRoot()
        let predicted = SyntheticCalibration.genuineScoreDistribution(for: model)
        print("sim-128 genuine: simulated mean \(mean) sd \(sd); predicted \(predicted.mean) sd \(predicted.standardDeviation)")
        #expect(abs(mean - predicted.mean) < 0.004)
        #expect(sd > predicted.standardDeviation * 0.6 && sd < predicted.standardDeviation * 1.6)
        // Every genuine pair clears the strictest row.
        let strictest = Double(ModelProfile.sim128.calibration.points.last?.similarity ?? 1)
        #expect(scores.allSatisfy { $0 > strictest })
    }

    @Test("between rows the stricter row applies; below the table there is no threshold")
    func stepAndRefusal() throws {
        let table = ModelProfile.dlibResNetV1.calibration
        #expect(table.lowestFMR == 1e-6)
        let at1e3 = try #require(table.threshold(forFMR: 1e-3))
        let at5e4 = try #require(table.threshold(forFMR: 5e-4))
        #expect(table.threshold(forFMR: 9e-4) == at5e4)
        #expect(table.threshold(forFMR: 1e-3 * (1 - 1e-12)) == at1e3)  // rounding slack only
        #expect(table.threshold(forFMR: 0.5) == table.points.first?.similarity)
        #expect(table.threshold(forFMR: 9.99e-7) == nil)
        #expect(table.threshold(forFMR: 0) == nil)
        #expect(table.threshold(forFMR: .nan) == nil)
        // Monotone: a smaller FMR never has a lower threshold.
        for (looser, stricter) in zip(table.points, table.points.dropFirst()) {
            #expect(looser.fmr > stricter.fmr && looser.similarity <= stricter.similarity)
        }
    }

    @Test("dlib-resnet-v1: the usual Euclidean 0.6 rule sits far below every row")
    func dlibTableShape() {
        // On unit vectors, distance 0.6 is cosine 0.82; the 1e-2 row is ≈ 0.908.
        #expect(ModelProfile.dlibResNetV1.calibration.points.allSatisfy { $0.similarity > 0.9 })
        #expect(ModelProfile.dlibResNetV1.calibration.impostorPairs == 17_500_645)
    }
}
