import FacePayCore
import Foundation
import Liveness
import Stores
import Testing

/// The challenge and replay stores, as every backend must keep them.
@Suite("store contract: challenges single-use, replay memory shared")
struct LivenessContractTests {
    @Test("a challenge raced by 16 consumers is consumed exactly once; another device's is not burnt", arguments: StoreBackend.allCases)
    func challengeConsumedOnce(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let now = Date()
            for _ in 0..<5 {
                let challenge = ChallengeIssuer.makeChallenge(deviceID: terminal, now: now, ttlSeconds: 30)
                #expect(try await stores.challenges.insert(challenge, outstandingPerDeviceMax: 100, now: now) == .inserted)
                #expect(try await stores.challenges.consume(id: challenge.id, deviceID: kiosk, now: now) == .otherDevice)
                let winners = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<16 {
                        group.addTask {
                            if case .consumed = try await stores.challenges.consume(id: challenge.id, deviceID: terminal, now: now) { return 1 }
                            return 0
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(winners == 1)
            }
            let expired = ChallengeIssuer.makeChallenge(deviceID: terminal, now: now, ttlSeconds: 30)
            _ = try await stores.challenges.insert(expired, outstandingPerDeviceMax: 100, now: now)
            guard case .expired = try await stores.challenges.consume(id: expired.id, deviceID: terminal, now: now.addingTimeInterval(31)) else {
                Issue.record("an expired challenge was accepted"); return
            }
        }
    }

    @Test("a device holds at most its bound of outstanding challenges", arguments: StoreBackend.allCases)
    func outstandingBound(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let now = Date()
            for _ in 0..<3 {
                #expect(try await stores.challenges.insert(ChallengeIssuer.makeChallenge(deviceID: terminal, now: now, ttlSeconds: 30),
                                                           outstandingPerDeviceMax: 3, now: now) == .inserted)
            }
            #expect(try await stores.challenges.insert(ChallengeIssuer.makeChallenge(deviceID: terminal, now: now, ttlSeconds: 30),
                                                       outstandingPerDeviceMax: 3, now: now) == .tooManyOutstanding)
        }
    }

    @Test("a frame remembered by one instance is near for the next, with bits flipped; a new frame is not", arguments: StoreBackend.allCases)
    func replayMemoryIsShared(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            var random = SeededRandom(seed: 12)
            let seen = ReplayCode(words: SIMD8((0..<8).map { _ in random.next() }))
            let fresh = ReplayCode(words: SIMD8((0..<8).map { _ in random.next() }))
            let now = Date()
            #expect(try await stores.replayGuard().screen([seen], challengeID: "chl-a", now: now).nearFrames == 0)
            var flipped = seen.words
            flipped[0] ^= 0b1011
            let other = try await stores.replayGuard()
            #expect(try await other.screen([ReplayCode(words: flipped), fresh], challengeID: "chl-b", now: now.addingTimeInterval(1)).nearFrames == 1)
        }
    }
}

@Suite("The PostgreSQL backend is tested in CI")
struct PostgresConfiguredTests {
    @Test("CI runs the contract on PostgreSQL (FACEPAY_TEST_DATABASE_URL is set)")
    func postgresRunsInCI() {
        if ProcessInfo.processInfo.environment["FACEPAY_CI"] == "1" {
            #expect(StoreBackend.postgresURL != nil, "CI must export FACEPAY_TEST_DATABASE_URL (scripts/postgres-test-cluster.sh)")
        }
    }
}
