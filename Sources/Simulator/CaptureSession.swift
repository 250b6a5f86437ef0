import Biometrics
import FacePayCore

/// Where a capture's embeddings come from: one `sim-128` session of a person (identity plus a
/// session offset, `SyntheticFaceModel.session`), each frame adding the model's frame noise
/// (`SyntheticFaceModel.frame`). On top of the model, turning the head moves the embedding along a
/// per-session direction (0.25 of a unit per 90° of yaw or pitch, comparable to the frame noise at
/// 40°), because real embeddings drift with pose.
public struct CaptureSession: Sendable {
    public static let poseDriftPerRightAngle = 0.25

    public let model: SyntheticFaceModel
    public let centre: [Double]
    private let yawDirection: [Double]
    private let pitchDirection: [Double]

    public init(of person: SyntheticPerson, model: SyntheticFaceModel, using random: inout SeededRandom) {
        self.init(centre: model.session(of: person.identity, using: &random), model: model, using: &random)
    }

    /// A session around a known centre (a screen replaying a recorded session).
    public init(centre: [Double], model: SyntheticFaceModel, using random: inout SeededRandom) {
        precondition(centre.count == model.dimension, "centre has the model's dimension")
        self.model = model
        self.centre = centre
        yawDirection = Self.unitDirection(model.dimension, &random)
        pitchDirection = Self.unitDirection(model.dimension, &random)
    }

    /// One frame's unit-length embedding for a face at `motion`'s pose. `noiseScale` < 1 models a
    /// still picture, whose frames differ only by sensor noise.
    public func embedding(at motion: MotionFrame, noiseScale: Double = 1, using random: inout SeededRandom) -> [Float] {
        let yaw = motion.yawDegrees / 90 * Self.poseDriftPerRightAngle
        let pitch = motion.pitchDegrees / 90 * Self.poseDriftPerRightAngle
        var shifted = centre
        for index in shifted.indices {
            shifted[index] += yaw * yawDirection[index] + pitch * pitchDirection[index]
        }
        let frameModel = noiseScale == 1 ? model : SyntheticFaceModel(
            dimension: model.dimension, sessionSigma: model.sessionSigma, frameSigma: model.frameSigma * noiseScale)
        return frameModel.frame(of: shifted, using: &random)
    }

    private static func unitDirection(_ dimension: Int, _ random: inout SeededRandom) -> [Double] {
        let raw = (0..<dimension).map { _ in random.nextGaussian() }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return raw.map { $0 / norm }
    }
}
