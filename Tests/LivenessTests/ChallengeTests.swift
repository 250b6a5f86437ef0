import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Challenges: issuing, single use, races")
struct ChallengeTests {
    @Test func issuedChallengeHasTwoDistinctActionsAndTTL() async throws {
        let clock = ManualWallClock()
        let store = InMemoryChallengeStore()
        let issuer = ChallengeIssuer(settings: LivenessSettings(), store: store, clock: clock)
        let challenge = try await issuer.issue(deviceID: "T-1")
        #expect(Identifier.isWellFormed(challenge.id, .challenge))
        #expect(challenge.deviceID == "T-1")
        #expect(challenge.actions.count == 2 && Set(challenge.actions).count == 2)
        #expect(challenge.issuedAt == clock.now())
        #expect(challenge.expiresAt == clock.now().addingTimeInterval(30))
        #expect(challenge.usedAt == nil)
        #expect(store.count == 1)
    }

    @Test("all 20 ordered action pairs are drawn")
    func actionsCoverEveryOrderedPair() {
        var seen = Set<[ChallengeAction]>()
        for _ in 0..<2_000 {
            seen.insert(ChallengeIssuer.makeChallenge(deviceID: "T-1", now: Date(), ttlSeconds: 30).actions)
        }
        // P(some pair unseen in 2000 draws) ≈ 20 · (19/20)^2000 < 1e-40.
        #expect(seen.count == 20)
    }

    @Test func outstandingChallengesAreBounded() async throws {
        var settings = LivenessSettings()
        settings.challengesOutstandingPerDeviceMax = 3
        let clock = ManualWallClock()
        let store = InMemoryChallengeStore()
        let issuer = ChallengeIssuer(settings: settings, store: store, clock: clock)
        for _ in 0..<3 { _ = try await issuer.issue(deviceID: "T-1") }
        let error = await #expect(throws: FacePayError.self) { try await issuer.issue(deviceID: "T-1") }
        #expect(error?.code == "too_many_challenges")
        #expect(error?.kind == .tooManyRequests)
        // Other devices are unaffected; expiry frees the slots.
        _ = try await issuer.issue(deviceID: "T-2")
        clock.advance(seconds: 30)
        _ = try await issuer.issue(deviceID: "T-1")
    }

    @Test func consumeClassifiesInPrecedenceOrder() async throws {
        let clock = ManualWallClock()
        let store = InMemoryChallengeStore()
        let challenge = ChallengeIssuer.makeChallenge(deviceID: "T-1", now: clock.now(), ttlSeconds: 30)
        _ = try await store.insert(challenge, outstandingPerDeviceMax: 8, now: clock.now())
        #expect(try await store.consume(id: Identifier.make(.challenge), deviceID: "T-1", now: clock.now()) == .unknown)
        #expect(try await store.consume(id: challenge.id, deviceID: "T-2", now: clock.now()) == .otherDevice)
        guard case .consumed(let used) = try await store.consume(id: challenge.id, deviceID: "T-1", now: clock.now()) else {
            Issue.record("first consume must succeed")
            return
        }
        #expect(used.usedAt == clock.now())
        #expect(try await store.consume(id: challenge.id, deviceID: "T-1", now: clock.now()) == .alreadyUsed(used))
        // Used and expired: "used" wins; another device still learns only "other device".
        clock.advance(seconds: 60)
        #expect(try await store.consume(id: challenge.id, deviceID: "T-1", now: clock.now()) == .alreadyUsed(used))
        #expect(try await store.consume(id: challenge.id, deviceID: "T-2", now: clock.now()) == .otherDevice)
        // Purged long after expiry: unknown.
        #expect(try await store.deleteExpired(before: clock.now()) == 1)
        #expect(try await store.consume(id: challenge.id, deviceID: "T-1", now: clock.now()) == .unknown)
    }

    @Test("two tasks racing to consume one challenge: exactly one wins", arguments: 0..<50)
    func racingConsumers(round: Int) async throws {
        let clock = ManualWallClock()
        let store = InMemoryChallengeStore()
        let challenge = ChallengeIssuer.makeChallenge(deviceID: "T-1", now: clock.now(), ttlSeconds: 30)
        _ = try await store.insert(challenge, outstandingPerDeviceMax: 8, now: clock.now())
        let outcomes = try await withThrowingTaskGroup(of: ChallengeConsumption.self) { group in
            for _ in 0..<2 {
                group.addTask { try await store.consume(id: challenge.id, deviceID: "T-1", now: clock.now()) }
            }
            return try await group.reduce(into: [ChallengeConsumption]()) { $0.append($1) }
        }
        let winners = outcomes.filter { if case .consumed = $0 { true } else { false } }
        #expect(winners.count == 1)
        #expect(outcomes.contains { if case .alreadyUsed = $0 { true } else { false } })
    }

    @Test("two requests racing with one capture and one challenge: exactly one is live", arguments: 0..<20)
    func racingEvaluations(round: Int) async throws {
        var fixture = Fixture(seed: UInt64(round))
        let challenge = try await fixture.challenge()
        let submission = try fixture.submission(fixture.evidence(for: challenge))
        let policy = fixture.policy
        let verdicts = try await withThrowingTaskGroup(of: LivenessVerdict.self) { group in
            for _ in 0..<2 { group.addTask { try await policy.evaluate(submission) } }
            return try await group.reduce(into: [LivenessVerdict]()) { $0.append($1) }
        }
        #expect(verdicts.filter(\.passed).count == 1)
        let loser = verdicts.first { !$0.passed }
        // Whichever was screened first, the loser fails on the challenge alone: captures citing one
        // challenge are not each other's replays.
        #expect(loser?.failedChecks == [.challengeUsed])
    }
}
