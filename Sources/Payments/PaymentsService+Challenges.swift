import FacePayCore
import FacePayWire
import Foundation

extension PaymentsService {
    /// `POST /v1/challenges` (terminal, kiosk): two random actions, bound to the device, single
    /// use, expiring. A locked-out device gets none. Not idempotent by key: a retry simply gets a
    /// fresh challenge, and each device holds only a few outstanding ones (429 beyond that).
    public func issueChallenge(_ caller: Caller) async throws -> UseCaseResponse {
        if let until = lockout.lockedUntil(deviceID: caller.device.id) {
            throw FacePayError(.tooManyRequests, code: "device_locked",
                               detail: "too many liveness failures; biometric calls are refused until \(until.rfc3339)",
                               retryAfterSeconds: max(1, Int(until.timeIntervalSince(clock.now()).rounded(.up))))
        }
        let challenge = try await challenges.issue(deviceID: caller.device.id)
        let body = try WireBody.encode(ChallengeResponse(challengeID: challenge.id, actions: challenge.actionNames,
                                                         expiresAt: challenge.expiresAt.rfc3339))
        return UseCaseResponse(status: 201, body: body)
    }
}
