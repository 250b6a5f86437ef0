import FacePayCore
import FacePayWire
import Foundation

extension PaymentsService {
    /// `POST /v1/challenges` (terminal, kiosk): two random actions, bound to the device, single
    /// use, expiring. A locked-out device gets none. Not idempotent by key: a retry simply gets a
    /// fresh challenge, and each device holds only a few outstanding ones (429 beyond that).
    public func issueChallenge(_ caller: Caller) async throws -> UseCaseResponse {
        try refuseIfLocked(caller.device.id)
        let challenge = try await challenges.issue(deviceID: caller.device.id)
        let body = try WireBody.encode(ChallengeResponse(challengeID: challenge.id, actions: challenge.actionNames,
                                                         expiresAt: challenge.expiresAt.rfc3339))
        return UseCaseResponse(status: 201, body: body)
    }
}
