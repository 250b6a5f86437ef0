/// The capture lasts at most `captureSpanMillisecondsMax` from first to last frame: a live answer
/// is quick, and a long window gives an attacker time to stage one.
public struct CaptureSpanCheck: LivenessCheck {
    public let captureSpanMillisecondsMax: Int64

    public init(settings: LivenessSettings) {
        captureSpanMillisecondsMax = settings.captureSpanMillisecondsMax
    }

    public var failureNames: [LivenessCheckName] { [.spanTooLong] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        // Times were bounded to 0...2^40 while decoding, so the differences cannot overflow.
        let times = context.frames.map(\.timeMilliseconds)
        guard let first = times.min(), let last = times.max() else { return .pass }
        return last - first > captureSpanMillisecondsMax ? .fail(.spanTooLong) : .pass
    }
}
