/// Every pair of frames is similar enough to be one person (`frameSimilarityMin(model:)`, per
/// embedding model): a face swapped
/// in mid-capture, or a live attacker's frames mixed with a victim's, splits the frames into two
/// dissimilar groups.
public struct IdentityConsistencyCheck: LivenessCheck {
    public let settings: LivenessSettings

    public init(settings: LivenessSettings) {
        self.settings = settings
    }

    public var failureNames: [LivenessCheckName] { [.identityInconsistent] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        guard let similarity = context.pairwiseSimilarity else { return .pass }
        let threshold = settings.frameSimilarityMin(model: context.submission.evidence.model)
        return similarity.minimum < threshold ? .fail(.identityInconsistent) : .pass
    }
}
