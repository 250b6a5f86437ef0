import Biometrics
import FacePayCore
import Foundation
import Testing
import Liveness

/// Nudges of the size the issue names: noise of this standard deviation per component, added to
/// the values exactly as sent (sim-128 frames are unit vectors; their own frame noise is 1.2e-2).
let replayNudges: [Double] = [1e-5, 1e-4, 1e-3, 3e-3]

func nudged(_ values: [Float], sigma: Double, _ random: inout SeededRandom) -> [Float] {
    values.map { $0 + Float(sigma * random.nextGaussian()) }
}

@Suite("Replay guard: codes, nudged replays, genuine repeats, bounds, restart")
struct ReplayGuardTests {
    static let model = SyntheticFaceModel.sim128
    static let settings = LivenessSettings()

    static func frames(_ count: Int, _ random: inout SeededRandom) -> [[Float]] {
        let session = model.session(of: model.identity(using: &random), using: &random)
        return (0..<count).map { _ in model.frame(of: session, using: &random) }
    }

    static func embeddings(_ values: [[Float]]) throws -> [Embedding] {
        try values.map { try Embedding(validating: $0, dimension: $0.count) }
    }

    /// The replay codes of one fresh simulated session's `count` frames.
    static func capture(_ count: Int, coder: ReplayCoder, _ random: inout SeededRandom) throws -> [ReplayCode] {
        coder.codes(of: try embeddings(frames(count, &random)))
    }

    static func code(_ bits: [Int]) -> ReplayCode {
        var words = SIMD8<UInt64>()
        for bit in bits { words[bit / 64] |= 1 << UInt64(bit % 64) }
        return ReplayCode(words: words)
    }

    static func store(framesMax: Int = 1_000, retentionSeconds: Double = 1_000_000) -> InMemoryReplayGuardStore {
        InMemoryReplayGuardStore(retentionSeconds: retentionSeconds, framesMax: framesMax,
                                 hammingMax: settings.replayHammingMax, coder: .fixed("replay-tests"))
    }

    @Test func codeBytesRoundTripAndDistance() {
        let code = Self.code([0, 63, 64, 200, 511])
        #expect(code.bytes.count == ReplayCode.byteCount)
        #expect(ReplayCode(bytes: code.bytes) == code)
        #expect(ReplayCode(bytes: [UInt8](repeating: 0, count: 63)) == nil)
        #expect(code.hammingDistance(to: Self.code([0, 63, 64])) == 2)
        #expect(code.hammingDistance(to: code) == 0)
    }

    @Test("codes ignore scale and encoding; another secret gives unrelated codes")
    func codesAreAFunctionOfDirectionAndSecret() throws {
        var random = SeededRandom(seed: 3)
        let raw = Self.frames(1, &random)[0]
        let coder = ReplayCoder.fixed("a")
        let reference = coder.codes(of: try Self.embeddings([raw]))[0]
        #expect(coder.codes(of: try Self.embeddings([raw.map { $0 * 3.5 }]))[0] == reference)
        #expect(ReplayCoder.fixed("a").codes(of: try Self.embeddings([raw]))[0] == reference, "same secret, same projection")
        // Under another secret the bits are independent: about half differ.
        let other = ReplayCoder.fixed("b").codes(of: try Self.embeddings([raw]))[0]
        #expect((200...312).contains(reference.hammingDistance(to: other)))
        // dlib's 128-d and any other dimension get their own projection.
        #expect(coder.codes(of: try Self.embeddings([Array(raw.prefix(100))])).count == 1)
    }

    @Test("replays nudged by 1e-5 … 3e-3 per component are found, every capture and nearly every frame")
    func nudgedReplaysAreNear() async throws {
        var random = SeededRandom(seed: testSeed(21, "nudgedReplaysAreNear"))
        let store = Self.store(framesMax: 100_000)
        let now = Date(timeIntervalSince1970: 1_000)
        var originals: [[[Float]]] = []
        for _ in 0..<60 {
            let capture = Self.frames(30, &random)
            originals.append(capture)
            _ = try await store.screen(store.coder.codes(of: Self.embeddings(capture)), challengeID: UUID().uuidString, now: now)
        }
        for sigma in replayNudges {
            var nearFrames = 0
            var fewestInACapture = Int.max
            for original in originals {
                let replay = original.map { nudged($0, sigma: sigma, &random) }
                let screening = try await store.screen(store.coder.codes(of: Self.embeddings(replay)), challengeID: UUID().uuidString, now: now)
                nearFrames += screening.nearFrames
                fewestInACapture = min(fewestInACapture, screening.nearFrames)
            }
            print("nudge \(sigma): \(nearFrames) of \(originals.count * 30) frames near, fewest in one capture \(fewestInACapture)")
            #expect(fewestInACapture >= Self.settings.replayNearFramesMin(frames: 30), "a nudged replay escaped at \(sigma)")
            #expect(nearFrames * 100 >= originals.count * 30 * 90, "fewer than 90 % of frames near at \(sigma)")
        }
    }

    @Test("genuine repeat captures of the same people are never near their earlier captures")
    func genuineRepeatsAreNotNear() async throws {
        var random = SeededRandom(seed: testSeed(22, "genuineRepeatsAreNotNear"))
        let store = Self.store(framesMax: 100_000)
        let now = Date(timeIntervalSince1970: 1_000)
        let people = (0..<150).map { _ in Self.model.identity(using: &random) }
        var mostNear = 0
        for session in 0..<3 {
            for person in people {
                let centre = Self.model.session(of: person, using: &random)
                let capture = (0..<30).map { _ in Self.model.frame(of: centre, using: &random) }
                let screening = try await store.screen(store.coder.codes(of: Self.embeddings(capture)), challengeID: UUID().uuidString, now: now)
                if session > 0 { mostNear = max(mostNear, screening.nearFrames) }
            }
        }
        print("genuine repeats: at most \(mostNear) near frames in one capture")
        #expect(mostNear == 0)
    }

    @Test("LFW (dlib): nudged photos are near their original, other photos of the same person are not")
    func lfwNudgesAndSamePersonPhotos() async throws {
        // In CI the repository is cloned beside shared/.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.deletingLastPathComponent().appendingPathComponent("shared/data/lfw-dlib128-dev.jsonl.gz").path
        let lfw = try LabelledEmbeddingFile.read(path: path)
        var random = SeededRandom(seed: testSeed(23, "lfwNudgesAndSamePersonPhotos"))
        let coder = ReplayCoder.fixed("lfw")
        let hammingMax = Self.settings.replayHammingMax
        let codes = coder.codes(of: lfw.map(\.embedding))
        // Photos of one person that differ (LFW holds a few exact duplicates: the same picture).
        var byIdentity: [String: [Int]] = [:]
        for (index, row) in lfw.enumerated() { byIdentity[row.identity, default: []].append(index) }
        var pairs = 0
        var nearPairs = 0
        var closest = Int.max
        for indices in byIdentity.values where indices.count > 1 {
            for a in indices.indices {
                for b in indices.indices where b > a {
                    let (i, j) = (indices[a], indices[b])
                    guard lfw[i].embedding.values != lfw[j].embedding.values else { continue }
                    pairs += 1
                    let distance = codes[i].hammingDistance(to: codes[j])
                    closest = min(closest, distance)
                    if distance <= hammingMax { nearPairs += 1 }
                }
            }
        }
        print("LFW: \(nearPairs) of \(pairs) same-person photo pairs within \(hammingMax) bits; closest \(closest)")
        #expect(nearPairs * 1_000 <= pairs, "more than 1 in 1,000 same-person photo pairs near")
        // Nudged as sent (dlib vectors have norm ≈ 1.4, so the same sigma is a smaller angle).
        let sample = Array(lfw.prefix(2_000))
        for sigma in replayNudges {
            let replays = try sample.map { row in
                try Embedding(validating: nudged(row.embedding.values, sigma: sigma * 1.4, &random), dimension: 128)
            }
            let nudgedCodes = coder.codes(of: replays)
            let near = zip(codes.prefix(sample.count), nudgedCodes).filter { $0.hammingDistance(to: $1) <= hammingMax }.count
            print("LFW nudge \(sigma) (×1.4 for dlib's norm): \(near) of \(sample.count) photos near")
            // Per photo; a capture is declined once two of its frames are near.
            #expect(near * 100 >= sample.count * 90, "fewer than 90 % of nudged LFW photos near at \(sigma)")
        }
    }

    @Test func storeReportsOnlyEarlierCaptures() async throws {
        let store = Self.store()
        var random = SeededRandom(seed: 4)
        let now = Date(timeIntervalSince1970: 1_000)
        let codes = store.coder.codes(of: try Self.embeddings(Self.frames(4, &random) + Self.frames(1, &random)))
        let first = try await store.screen([codes[0], codes[1]], challengeID: UUID().uuidString, now: now)
        #expect(first.nearFrames == 0)
        // Frames of one capture are not compared with each other.
        #expect(try await store.screen([codes[2], codes[2]], challengeID: UUID().uuidString, now: now).nearFrames == 0)
        var flipped = codes[1]
        flipped.words[3] ^= 0b111
        let second = try await store.screen([flipped, codes[4]], challengeID: UUID().uuidString, now: now)
        #expect(second.nearFrames == 1)
        #expect(second.captureID > first.captureID)
        #expect(store.count == 6)
    }

    @Test("captures citing one challenge are not compared with each other (that race is challenge_used's)")
    func sameChallengeIsNotAReplay() async throws {
        let store = Self.store()
        var random = SeededRandom(seed: 9)
        let now = Date(timeIntervalSince1970: 1_000)
        let codes = try Self.capture(10, coder: store.coder, &random)
        _ = try await store.screen(codes, challengeID: "chl_one", now: now)
        #expect(try await store.screen(codes, challengeID: "chl_one", now: now).nearFrames == 0)
        #expect(try await store.screen(codes, challengeID: "chl_two", now: now).nearFrames == 10)
    }

    @Test func storeForgetsAfterRetention() async throws {
        let store = Self.store(retentionSeconds: 100)
        let start = Date(timeIntervalSince1970: 1_000)
        let code = Self.code([7])
        _ = try await store.screen([code], challengeID: UUID().uuidString, now: start)
        #expect(try await store.screen([code], challengeID: UUID().uuidString, now: start.addingTimeInterval(60)).nearFrames == 1)
        // The first sighting is gone after 100 s; the second (at +60) lasts until +160.
        #expect(try await store.screen([code], challengeID: UUID().uuidString, now: start.addingTimeInterval(159)).nearFrames == 1)
        #expect(try await store.screen([], challengeID: UUID().uuidString, now: start.addingTimeInterval(260)).nearFrames == 0)
        #expect(store.count == 0)
        #expect(try await store.screen([code], challengeID: UUID().uuidString, now: start.addingTimeInterval(261)).nearFrames == 0)
    }

    @Test func storeIsBoundedAndForgetsOldestFirst() async throws {
        let store = Self.store(framesMax: 1_000)
        var random = SeededRandom(seed: 5)
        var now = Date(timeIntervalSince1970: 1_000)
        var captures: [[ReplayCode]] = []
        for _ in 0..<100 {
            let codes = try Self.capture(30, coder: store.coder, &random)
            captures.append(codes)
            _ = try await store.screen(codes, challengeID: UUID().uuidString, now: now)
            now.addTimeInterval(1)
            #expect(store.count <= 1_000)
        }
        #expect(store.count == 1_000)
        #expect(try await store.screen(captures[99], challengeID: UUID().uuidString, now: now).nearFrames == 30, "the newest capture is remembered")
        #expect(try await store.screen(captures[0], challengeID: UUID().uuidString, now: now).nearFrames == 0, "the oldest is forgotten")
    }

    @Test func replayFloodDoesNotGrowMemory() async throws {
        let store = Self.store(framesMax: 100)
        var random = SeededRandom(seed: 6)
        let capture = try Self.capture(30, coder: store.coder, &random)
        var now = Date(timeIntervalSince1970: 0)
        for _ in 0..<5_000 {
            _ = try await store.screen(capture, challengeID: UUID().uuidString, now: now)
            now.addTimeInterval(0.5)
        }
        #expect(store.count == 100)
        #expect(try await store.screen(capture, challengeID: UUID().uuidString, now: now).nearFrames == 30)
    }

    @Test("forgetting a capture (erasure) stops matching its frames, not other captures'")
    func forgetStopsMatching() async throws {
        let store = Self.store()
        var random = SeededRandom(seed: 7)
        let now = Date(timeIntervalSince1970: 1_000)
        let erased = try Self.capture(20, coder: store.coder, &random)
        let kept = try Self.capture(20, coder: store.coder, &random)
        let erasedID = try await store.screen(erased, challengeID: UUID().uuidString, now: now).captureID
        _ = try await store.screen(kept, challengeID: UUID().uuidString, now: now)
        store.forget(captureIDs: [erasedID])
        #expect(try await store.screen(erased, challengeID: UUID().uuidString, now: now).nearFrames == 0)
        #expect(try await store.screen(kept, challengeID: UUID().uuidString, now: now).nearFrames == 20)
    }

    @Test("a replayed capture, exact or nudged, is rejected by a new policy over the same store (restart)")
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
        #expect(try await restarted.evaluate(try fixture.submission(replay)).failedChecks == [.frameReplayed])
        // Re-encoded as embedding_b64, rescaled and nudged: still the same frames.
        var random = SeededRandom(seed: 8)
        for sigma in replayNudges {
            let other = try await fixture.challenge(challenge.actions)
            var reencoded = evidence
            reencoded.challengeID = other.id
            for index in reencoded.frames.indices {
                reencoded.frames[index].embedding = .base64(of: nudged(evidence.frames[index].embedding.floats, sigma: sigma, &random).map { $0 * 2 })
            }
            #expect(try await restarted.evaluate(try fixture.submission(reencoded)).failedChecks == [.frameReplayed], "nudge \(sigma)")
        }
        // The same person again, in a new session: live.
        let again = try await fixture.challenge(challenge.actions)
        let genuine = fixture.evidence(for: again)
        #expect(try await restarted.evaluate(try fixture.submission(genuine)).passed)
    }
}
