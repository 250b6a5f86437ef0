import Foundation

/// The analytic calibration of a `SyntheticFaceModel` (the `sim-128` profile).
///
/// **Impostor scores, exactly.** Identities are uniformly random directions and all noise is
/// isotropic, so a stranger's probe and a template are two independent, rotation-invariant unit
/// vectors. Their cosine `c` then has density ∝ (1 − c²)^((d−3)/2) (≈ N(0, 1/d)), and for t ≥ 0
///
///     FMR(t) = P(c ≥ t) = ½ · I_{1−t²}((d − 1)/2, ½)
///
/// with `I` the regularised incomplete beta function. This is exact for the generative model, not
/// a fit, which is why the table can go far below anything an empirical sample supports; it stops
/// at 1e-12 because that already covers a billion templates at FPIR 1e-3 and because float32
/// similarity resolution (~6e-8 near 0.6) makes finer claims meaningless. Thresholds are rounded
/// up to the next float, so each row errs on the strict side.
///
/// **Genuine scores, approximately.** The FNMR column assumes the enrolment protocol the
/// simulator uses: a template is the normalised mean of `enrolmentFrames` frames of one session,
/// the probe one frame of another session. A first-order (delta-method) expansion of the cosine
/// gives a normal law with mean 1/√((1 + d·a)(1 + d·b)), a = σs² + σf²/m, b = σs² + σf², and the
/// standard deviation computed in `genuineScoreDistribution`. For `sim-128` that is ≈ N(0.917,
/// 0.010²): every threshold in the table (≤ 0.63) lies more than 25 σ below it, so the FNMR column
/// is 0 to double precision (values below 1e-15 are written as 0). `BiometricsTests` checks the
/// approximation against a simulation.
public enum SyntheticCalibration {
    public static let enrolmentFrames = 5

    /// FMR rows: 1-2-5 per decade from 1e-2 down to 1e-12.
    public static let fmrRows: [Double] = fmrSeries(from: 1e-2, downTo: 1e-12)

    public static func table(for model: SyntheticFaceModel) -> CalibrationTable {
        let genuine = genuineScoreDistribution(for: model)
        let points = fmrRows.map { fmr in
            let threshold = impostorThreshold(forFMR: fmr, dimension: model.dimension)
            let z = (Double(threshold) - genuine.mean) / genuine.standardDeviation
            let fnmr = 0.5 * erfc(-z / 2.0.squareRoot())
            return CalibrationPoint(fmr: fmr, similarity: threshold, fnmr: fnmr < 1e-15 ? 0 : fnmr)
        }
        return CalibrationTable(
            points: points,
            method: "analytic: impostor cosine of independent uniform directions in R^\(model.dimension); genuine by normal approximation",
            genuinePairs: 0, impostorPairs: 0)
    }

    /// The smallest float threshold t with P(impostor cosine ≥ t) ≤ fmr.
    public static func impostorThreshold(forFMR fmr: Double, dimension: Int) -> Float {
        precondition(fmr > 0 && fmr < 0.5, "thresholds are computed for FMR in (0, 0.5)")
        var low = 0.0
        var high = 1.0
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if impostorTail(middle, dimension: dimension) > fmr { low = middle } else { high = middle }
        }
        let rounded = Float(high)
        return Double(rounded) >= high ? rounded : rounded.nextUp
    }

    /// P(c ≥ t) for the cosine of two independent uniform unit vectors in R^dimension, t ≥ 0.
    public static func impostorTail(_ t: Double, dimension: Int) -> Double {
        precondition(dimension >= 2 && t >= 0 && t <= 1)
        if t >= 1 { return 0 }
        return 0.5 * regularizedIncompleteBeta(a: Double(dimension - 1) / 2, b: 0.5, x: 1 - t * t)
    }

    /// Mean and standard deviation of the genuine cosine under the protocol described above.
    public static func genuineScoreDistribution(for model: SyntheticFaceModel) -> (mean: Double, standardDeviation: Double) {
        let d = Double(model.dimension)
        let session = model.sessionSigma * model.sessionSigma
        let frame = model.frameSigma * model.frameSigma
        let a = session + frame / Double(enrolmentFrames)
        let b = session + frame
        let mean = 1 / ((1 + d * a) * (1 + d * b)).squareRoot()
        // Variance of log cos: the components of the noise along the identity (mostly cancelled by
        // the norms), the cross term x·y, and the fluctuation of the two noise norms.
        let alongTemplate = a * pow(d * a / (1 + d * a), 2)
        let alongProbe = b * pow(d * b / (1 + d * b), 2)
        let cross = d * a * b
        let templateNorm = 0.5 * d * a * a / pow(1 + d * a, 2)
        let probeNorm = 0.5 * d * b * b / pow(1 + d * b, 2)
        let logVariance = alongTemplate + alongProbe + cross + templateNorm + probeNorm
        return (mean, mean * logVariance.squareRoot())
    }

    /// 1-2-5 per decade: 1e-2, 5e-3, 2e-3, 1e-3, … down to `lowest` inclusive.
    public static func fmrSeries(from highest: Double, downTo lowest: Double) -> [Double] {
        var rows: [Double] = []
        var exponent = Int((log10(highest)).rounded())
        while true {
            for mantissa in [1.0, 0.5, 0.2] {
                let value = mantissa * pow(10, Double(exponent))
                if value > highest * (1 + 1e-9) { continue }
                if value < lowest * (1 - 1e-9) { return rows }
                rows.append(Double("\(mantissa)e\(exponent)") ?? value)
            }
            exponent -= 1
        }
    }

    /// I_x(a, b) by the continued fraction (modified Lentz), using the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
    static func regularizedIncompleteBeta(a: Double, b: Double, x: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(a: a, b: b, x: x) / a
        }
        let logFrontSwapped = lgamma(a + b) - lgamma(a) - lgamma(b) + b * log1p(-x) + a * log(x)
        return 1 - exp(logFrontSwapped) * continuedFraction(a: b, b: a, x: 1 - x) / b
    }

    private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m2 = Double(2 * m)
            var aa = Double(m) * (b - Double(m)) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + Double(m)) * (qab + Double(m)) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
