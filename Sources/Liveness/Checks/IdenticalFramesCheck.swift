/// No two frames are identical, or so close (`identicalFrameSimilarityMin`) that only a still image
/// — repeated, or repeated with a little noise — explains them. A real camera's frames always
/// differ by far more.
public struct IdenticalFramesCheck: LivenessCheck {
    public let identicalFrameSimilarityMin: Float

    public init(settings: LivenessSettings) {
        identicalFrameSimilarityMin = settings.identicalFrameSimilarityMin
    }

    public var failureNames: [LivenessCheckName] { [.framesIdentical] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        guard let similarity = context.pairwiseSimilarity else { return .pass }
        return similarity.maximum >= identicalFrameSimilarityMin ? .fail(.framesIdentical) : .pass
    }
}
