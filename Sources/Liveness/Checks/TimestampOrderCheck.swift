/// `t_ms` strictly increases: frames come from one camera in time order. Equal or falling times
/// mean spliced or fabricated sequences.
public struct TimestampOrderCheck: LivenessCheck {
    public init() {}

    public var failureNames: [LivenessCheckName] { [.timestampsNotIncreasing] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        let frames = context.frames
        for index in frames.indices.dropFirst() where frames[index].timeMilliseconds <= frames[index - 1].timeMilliseconds {
            return .fail(.timestampsNotIncreasing)
        }
        return .pass
    }
}
