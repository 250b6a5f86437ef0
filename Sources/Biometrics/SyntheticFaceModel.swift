import FacePayCore

/// The `sim-128` model: a synthetic embedding space with a known generative process, used by the
/// simulator, the benchmarks and the analytic calibration of the `sim-128` profile.
///
/// - An identity is a uniformly random unit vector in R^dimension.
/// - A capture session adds a per-session offset (lighting, pose, ageing), N(0, sessionSigma²)
///   per component; each frame adds independent noise N(0, frameSigma²) per component; the
///   result is L2-normalised.
///
/// Two different identities then have cosine similarity ≈ N(0, 1/dimension); the same identity
/// across two sessions ≈ 1 / (1 + dimension·(2·sessionSigma² + frameSigma²)) on average.
public struct SyntheticFaceModel: Sendable {
    public static let sim128 = SyntheticFaceModel(dimension: 128, sessionSigma: 0.025, frameSigma: 0.012)

    public let dimension: Int
    public let sessionSigma: Double
    public let frameSigma: Double

    public init(dimension: Int, sessionSigma: Double, frameSigma: Double) {
        precondition(dimension > 0)
        self.dimension = dimension
        self.sessionSigma = sessionSigma
        self.frameSigma = frameSigma
    }

    /// A new identity: a random direction.
    public func identity(using random: inout SeededRandom) -> [Float] {
        Self.normalised((0..<dimension).map { _ in random.nextGaussian() })
    }

    /// The session centre: identity plus a per-session offset, unnormalised (frames add to it).
    public func session(of identity: [Float], using random: inout SeededRandom) -> [Double] {
        precondition(identity.count == dimension)
        return identity.map { Double($0) + sessionSigma * random.nextGaussian() }
    }

    /// One frame's embedding (unit length) from a session centre.
    public func frame(of session: [Double], using random: inout SeededRandom) -> [Float] {
        Self.normalised(session.map { $0 + frameSigma * random.nextGaussian() })
    }

    static func normalised(_ values: [Double]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { Float($0 / norm) }
    }
}
