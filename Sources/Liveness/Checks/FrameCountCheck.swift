/// Between `framesMin` and `framesMax` frames: too few cannot show two actions, too many is not a
/// camera at a till (and is not looked at further).
public struct FrameCountCheck: LivenessCheck {
    public let framesMin: Int
    public let framesMax: Int

    public init(settings: LivenessSettings) {
        framesMin = settings.framesMin
        framesMax = settings.framesMax
    }

    public var failureNames: [LivenessCheckName] { [.tooFewFrames, .tooManyFrames] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        let count = context.frames.count
        if count < framesMin { return .fail(.tooFewFrames) }
        if count > framesMax { return .fail(.tooManyFrames) }
        return .pass
    }
}
