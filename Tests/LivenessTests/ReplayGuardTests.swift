import Biometrics
import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Replay guard: fingerprints, bounds, restart")
struct ReplayGuardTests {
    static func embedding(_ seed: UInt64) throws -> Embedding {
        var random = SeededRandom(seed: seed)
        return try Embedding(validating: SyntheticFaceModel.sim128.identity(using: &random), dimension: 128)
    }

    @Test func fingerprintIgnoresEncodingAndScale() throws {
        var random = SeededRandom(seed: 3)
        let raw = SyntheticFaceModel.sim128.identity(using: &random)
        let reference = FrameFingerprint(of: try Embedding(validating: raw, dimension: 128))
        let scaled = FrameFingerprint(of: try Embedding(validating: raw.map { $0 * 3.5 }, dimension: 128))
        let base64 = FrameFingerprint(of: try Embedding(base64: { guard case .base64(let text) = EvidenceFrame.RawEmbedding.base64(of: raw) else { return "" }; return text }(), dimension: 128))
        // Printed with 6 decimals and parsed back, as a sloppy re-serialiser would.
        let reprinted = raw.map { Float(String(format: "%.6f", $0)) ?? 0 }
        let rounded = FrameFingerprint(of: try Embedding(validating: reprinted, dimension: 128))
        #expect(scaled == reference)
        #expect(base64 == reference)
        // Rounding may move a component near a bucket edge; across a capture one unchanged frame
        // suffices, so this is a soft expectation on one frame, printed for the record.
        print("6-decimal re-encoding keeps the fingerprint: \(rounded == reference)")
        #expect(FrameFingerprint(of: try Self.embedding(4)) != reference)
    }

    @Test func fingerprintBytesRoundTrip() throws {
        let fingerprint = FrameFingerprint(of: try Self.embedding(5))
        #expect(fingerprint.bytes.count == 16)
        #expect(FrameFingerprint(bytes: fingerprint.bytes) == fingerprint)
        #expect(FrameFingerprint(bytes: [UInt8](repeating: 0, count: 15)) == nil)
        #expect(fingerprint.description.count == 32)
    }

    @Test func genuineFramesOfOneCaptureNeverCollide() throws {
        let seed = testSeed(11, "genuineFramesOfOneCaptureNeverCollide")
        var random = SeededRandom(seed: seed)
        let model = SyntheticFaceModel.sim128
        var all = Set<FrameFingerprint>()
        var count = 0
        for _ in 0..<50 {
            let session = model.session(of: model.identity(using: &random), using: &random)
            for _ in 0..<30 {
                all.insert(FrameFingerprint(of: try Embedding(validating: model.frame(of: session, using: &random), dimension: 128)))
                count += 1
            }
        }
        #expect(all.count == count)
    }

    @Test func storeReportsOnlyEarlierFingerprints() async throws {
        let store = InMemoryReplayGuardStore(retentionSeconds: 100, fingerprintsMax: 100)
        let now = Date(timeIntervalSince1970: 1_000)
        let first = [FrameFingerprint(high: 1, low: 1), FrameFingerprint(high: 2, low: 2)]
        #expect(try await store.recordReturningSeen(first, now: now) == [])
        let second = [FrameFingerprint(high: 2, low: 2), FrameFingerprint(high: 3, low: 3)]
        #expect(try await store.recordReturningSeen(second, now: now) == [FrameFingerprint(high: 2, low: 2)])
        #expect(store.count == 3)
    }

    @Test func storeForgetsAfterRetentionCountingFromLastReceipt() async throws {
        let store = InMemoryReplayGuardStore(retentionSeconds: 100, fingerprintsMax: 100)
        let start = Date(timeIntervalSince1970: 1_000)
        let fingerprint = FrameFingerprint(high: 7, low: 7)
        _ = try await store.recordReturningSeen([fingerprint], now: start)
        // Seen again at +60: remembered until +160.
        #expect(try await store.recordReturningSeen([fingerprint], now: start.addingTimeInterval(60)) == [fingerprint])
        #expect(try await store.recordReturningSeen([fingerprint], now: start.addingTimeInterval(159)) == [fingerprint])
        #expect(try await store.recordReturningSeen([], now: start.addingTimeInterval(259)) == [])
        #expect(store.count == 0)
        #expect(try await store.recordReturningSeen([fingerprint], now: start.addingTimeInterval(260)) == [])
    }

    @Test func storeIsBoundedAndForgetsOldestFirst() async throws {
        let store = InMemoryReplayGuardStore(retentionSeconds: 1_000_000, fingerprintsMax: 1_000)
        var now = Date(timeIntervalSince1970: 1_000)
        for batch in 0..<100 {
            let fingerprints = (0..<30).map { FrameFingerprint(high: UInt64(batch), low: UInt64($0)) }
            _ = try await store.recordReturningSeen(fingerprints, now: now)
            now.addTimeInterval(1)
            #expect(store.count <= 1_000)
        }
        #expect(store.count == 1_000)
        // The newest batch is remembered, the oldest forgotten.
        #expect(try await store.recordReturningSeen([FrameFingerprint(high: 99, low: 0)], now: now).count == 1)
        #expect(try await store.recordReturningSeen([FrameFingerprint(high: 0, low: 0)], now: now).isEmpty)
    }

    @Test func replayFloodDoesNotGrowMemory() async throws {
        let store = InMemoryReplayGuardStore(retentionSeconds: 1_000_000, fingerprintsMax: 100)
        let capture = (0..<30).map { FrameFingerprint(high: 1, low: UInt64($0)) }
        var now = Date(timeIntervalSince1970: 0)
        for _ in 0..<5_000 {
            _ = try await store.recordReturningSeen(capture, now: now)
            now.addTimeInterval(0.5)
        }
        #expect(store.count == 30)
        #expect(try await store.recordReturningSeen(capture, now: now).count == 30)
    }

    @Test("a replayed capture is rejected by a new policy over the same store (restart)")
    func replaySurvivesRestart() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        let evidence = fixture.evidence(for: challenge)
        #expect(try await fixture.evaluate(evidence).passed)

        // "Restart": a new policy (and issuer) over the same persisted stores.
        let restarted = LivenessPolicy(settings: fixture.settings, challengeStore: fixture.challenges,
                                       replayGuard: fixture.replayGuard, clock: fixture.clock)
        fixture.clock.advance(seconds: 3_600)
        let fresh = try await fixture.challenge(challenge.actions)
        var replay = evidence
        replay.challengeID = fresh.id
        let verdict = try await restarted.evaluate(try fixture.submission(replay))
        #expect(verdict.failedChecks == [.frameReplayed])
        // Re-encoded as embedding_b64 and rescaled: still the same frames.
        let other = try await fixture.challenge(challenge.actions)
        var reencoded = evidence
        reencoded.challengeID = other.id
        for index in reencoded.frames.indices {
            reencoded.frames[index].embedding = .base64(of: evidence.frames[index].embedding.floats.map { $0 * 2 })
        }
        #expect(try await restarted.evaluate(try fixture.submission(reencoded)).failedChecks == [.frameReplayed])
    }
}
