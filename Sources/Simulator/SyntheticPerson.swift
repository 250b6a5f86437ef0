import Biometrics
import FacePayCore

/// A synthetic person of the `sim-128` model: an identity direction. Every capture of them starts a
/// new session around it (`SyntheticFaceModel.session`), so two captures of one person differ as
/// two visits to a till do.
public struct SyntheticPerson: Sendable, Equatable {
    public let identity: [Float]

    public init(identity: [Float]) {
        precondition(!identity.isEmpty, "an identity has a dimension")
        self.identity = identity
    }

    public init(model: SyntheticFaceModel, using random: inout SeededRandom) {
        self.init(identity: model.identity(using: &random))
    }

    /// `count` distinct people.
    public static func population(_ count: Int, model: SyntheticFaceModel, using random: inout SeededRandom) -> [SyntheticPerson] {
        precondition(count > 0)
        return (0..<count).map { _ in SyntheticPerson(model: model, using: &random) }
    }
}
