/// No frame repeats one the server received before, in any earlier request, accepted or not (see
/// `FrameFingerprint` for what counts as the same frame).
public struct ReplayCheck: LivenessCheck {
    public init() {}

    public var failureNames: [LivenessCheckName] { [.frameReplayed] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        context.fingerprintsSeenBefore.isEmpty ? .pass : .fail(.frameReplayed)
    }
}
