/// What a device measures of a face at one instant, apart from the embedding.
public struct MotionFrame: Sendable, Equatable {
    public var timeMilliseconds: Int64
    public var yawDegrees: Double
    public var pitchDegrees: Double
    public var eyesOpen: Double

    public init(timeMilliseconds: Int64, yawDegrees: Double, pitchDegrees: Double, eyesOpen: Double) {
        self.timeMilliseconds = timeMilliseconds
        self.yawDegrees = yawDegrees
        self.pitchDegrees = pitchDegrees
        self.eyesOpen = eyesOpen
    }
}
