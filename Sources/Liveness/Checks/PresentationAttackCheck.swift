/// The device's passive presentation-attack scores: mean ≥ `padScoreMeanMin` and every frame ≥
/// `padScoreMin`. Trusted only as far as the device is — which is what signatures are for.
public struct PresentationAttackCheck: LivenessCheck {
    public let padScoreMeanMin: Double
    public let padScoreMin: Double

    public init(settings: LivenessSettings) {
        padScoreMeanMin = settings.padScoreMeanMin
        padScoreMin = settings.padScoreMin
    }

    public var failureNames: [LivenessCheckName] { [.padScoreLow] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        let frames = context.frames
        guard !frames.isEmpty else { return .pass }
        var sum = 0.0
        var minimum = Double.infinity
        for frame in frames {
            sum += frame.padScore
            minimum = min(minimum, frame.padScore)
        }
        let mean = sum / Double(frames.count)
        return mean < padScoreMeanMin || minimum < padScoreMin ? .fail(.padScoreLow) : .pass
    }
}
