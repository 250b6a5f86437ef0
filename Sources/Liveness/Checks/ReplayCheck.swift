/// The capture does not repeat one the server received before, in any earlier request, accepted or
/// not — exactly or nudged: fewer than `replayNearFramesMin(frames:)` of its frames (a third, at
/// least 2) lie nearer to earlier frames than genuine captures do (see `ReplayCodeIndex` and
/// docs/LIVENESS.md).
public struct ReplayCheck: LivenessCheck {
    public let settings: LivenessSettings

    public init(settings: LivenessSettings) {
        self.settings = settings
    }

    public var failureNames: [LivenessCheckName] { [.frameReplayed] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        guard let frames = context.embeddings?.count, context.replayNearFrames > 0 else { return .pass }
        return context.replayNearFrames >= settings.replayNearFramesMin(frames: frames) ? .fail(.frameReplayed) : .pass
    }
}
