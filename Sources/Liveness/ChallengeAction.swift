/// One thing a customer is asked to do in front of the camera. Raw values are the wire names.
public enum ChallengeAction: String, Sendable, Codable, CaseIterable, Hashable {
    case turnLeft = "turn_left"
    case turnRight = "turn_right"
    case lookUp = "look_up"
    case lookDown = "look_down"
    case blink = "blink"
}
