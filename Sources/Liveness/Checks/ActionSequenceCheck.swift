/// The challenge's actions happen, in order. Each action is found greedily at the earliest frame
/// that completes it, searching after the frame that completed the previous one:
/// - turn left / right: a frame with yaw ≤ −`turnYawDegreesMin` / ≥ +, preceded somewhere in the
///   capture by a frame with |yaw| ≤ `turnNeutralYawDegreesMax` (SPEC: "at some frame before it";
///   a head held turned throughout is not a turn). The neutral frame may come before the previous
///   action's completion: a slow blink can still be reopening as the head starts to turn;
/// - look up / down: a frame with pitch ≥ `lookPitchDegreesMin` / ≤ −;
/// - blink: a frame with eyes_open < `blinkClosedEyesOpenMax`, then one with eyes_open >
///   `blinkOpenEyesOpenMin` at most `blinkReopenMillisecondsMax` later.
/// An action that completes nowhere is missing; one that completes only before its predecessor is
/// out of order. Missing wins when both apply. Greedy earliest completion is optimal here: finishing
/// an action earlier never prevents finding the next one.
public struct ActionSequenceCheck: LivenessCheck {
    public let settings: LivenessSettings

    public init(settings: LivenessSettings) {
        self.settings = settings
    }

    public var failureNames: [LivenessCheckName] { [.actionMissing, .actionOutOfOrder] }

    public func check(_ context: LivenessContext) -> LivenessCheckVerdict {
        // Unknown or another device's challenge: no actions to look for; ChallengeCheck failed.
        guard let challenge = context.challenge else { return .pass }
        let frames = context.frames
        var missing = false
        var outOfOrder = false
        var previousCompletion = -1
        for action in challenge.actions {
            if let completion = completionIndex(of: action, in: frames, after: previousCompletion) {
                previousCompletion = completion
            } else if completionIndex(of: action, in: frames, after: -1) != nil {
                outOfOrder = true
            } else {
                missing = true
            }
        }
        if missing { return .fail(.actionMissing) }
        if outOfOrder { return .fail(.actionOutOfOrder) }
        return .pass
    }

    /// Index of the earliest frame after `start` that completes `action`, or nil.
    func completionIndex(of action: ChallengeAction, in frames: [EvidenceFrame], after start: Int) -> Int? {
        switch action {
        case .turnLeft: turnCompletion(in: frames, after: start) { $0 <= -settings.turnYawDegreesMin }
        case .turnRight: turnCompletion(in: frames, after: start) { $0 >= settings.turnYawDegreesMin }
        case .lookUp: firstIndex(in: frames, after: start) { $0.pitchDegrees >= settings.lookPitchDegreesMin }
        case .lookDown: firstIndex(in: frames, after: start) { $0.pitchDegrees <= -settings.lookPitchDegreesMin }
        case .blink: blinkCompletion(in: frames, after: start)
        }
    }

    private func turnCompletion(in frames: [EvidenceFrame], after start: Int, reached: (Double) -> Bool) -> Int? {
        var sawNeutral = false
        for index in 0..<frames.count {
            let yaw = frames[index].yawDegrees
            if sawNeutral && index > start && reached(yaw) { return index }
            if abs(yaw) <= settings.turnNeutralYawDegreesMax { sawNeutral = true }
        }
        return nil
    }

    private func blinkCompletion(in frames: [EvidenceFrame], after start: Int) -> Int? {
        // The latest closed frame gives the shortest reopening time for any later open frame.
        var latestClosedTime: Int64?
        for index in (start + 1)..<max(frames.count, start + 1) {
            let frame = frames[index]
            if frame.eyesOpen < settings.blinkClosedEyesOpenMax {
                latestClosedTime = frame.timeMilliseconds
            } else if frame.eyesOpen > settings.blinkOpenEyesOpenMin, let closed = latestClosedTime,
                      frame.timeMilliseconds - closed <= settings.blinkReopenMillisecondsMax {
                return index
            }
        }
        return nil
    }

    private func firstIndex(in frames: [EvidenceFrame], after start: Int, where predicate: (EvidenceFrame) -> Bool) -> Int? {
        for index in (start + 1)..<max(frames.count, start + 1) where predicate(frames[index]) { return index }
        return nil
    }
}
