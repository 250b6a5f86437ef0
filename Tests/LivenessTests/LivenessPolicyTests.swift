import Biometrics
import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Liveness policy: each check on its own minimal case")
struct LivenessPolicyTests {
    @Test("a genuine capture passes every check and yields its frames", arguments: [false, true])
    func genuinePasses(base64: Bool) async throws {
        var fixture = Fixture()
        for actions in [[ChallengeAction.turnLeft, .blink], [.lookUp, .turnRight], [.blink, .lookDown]] {
            let challenge = try await fixture.challenge(actions)
            let evidence = fixture.evidence(for: challenge, base64: base64)
            let verdict = try await fixture.evaluate(evidence)
            #expect(verdict.failedChecks == [])
            guard case .live(let capture) = verdict else { Issue.record("not live"); return }
            #expect(capture.challenge.id == challenge.id)
            #expect(capture.frameEmbeddings.count == evidence.frames.count)
            let norm = capture.probe.values.reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-4)
        }
        // Every check individually passes on a genuine context, too.
        let challenge = try await fixture.challenge()
        let evidence = fixture.evidence(for: challenge)
        let embeddings = try evidence.validatedEmbeddings(dimension: 128)
        let context = LivenessContext(
            settings: fixture.settings, submission: try fixture.submission(evidence), consumption: .consumed(challenge),
            embeddings: embeddings, replayNearFrames: 0)
        for check in LivenessPolicy.defaultChecks(settings: fixture.settings) {
            #expect(check.check(context) == .pass, "\(type(of: check)) fired on a genuine capture")
        }
    }

    @Test("every check name belongs to exactly one default check")
    func namesCovered() {
        let names = LivenessPolicy.defaultChecks(settings: LivenessSettings()).flatMap(\.failureNames)
        #expect(names.count == LivenessCheckName.allCases.count)
        #expect(Set(names) == Set(LivenessCheckName.allCases))
        #expect(LivenessCheckName.allCases.map(\.rawValue) == [
            "challenge_unknown", "challenge_expired", "challenge_used", "challenge_other_device", "too_few_frames",
            "too_many_frames", "timestamps_not_increasing", "span_too_long", "action_missing", "action_out_of_order",
            "identity_inconsistent", "frames_identical", "frame_replayed", "pad_score_low", "signature_missing",
            "signature_invalid",
        ])
    }

    @Test func challengeUnknown() async throws {
        var fixture = Fixture()
        let never = Challenge(id: Identifier.make(.challenge), deviceID: Fixture.plainTerminal, actions: [.turnLeft, .blink],
                              issuedAt: fixture.clock.now(), expiresAt: fixture.clock.now().addingTimeInterval(30))
        #expect(try await fixture.evaluate(fixture.evidence(for: never)).failedChecks == [.challengeUnknown])
        var garbage = fixture.evidence(for: never)
        garbage.challengeID = "'; DROP TABLE challenges; --"
        #expect(try await fixture.evaluate(garbage).failedChecks == [.challengeUnknown])
    }

    @Test func challengeExpired() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        fixture.clock.advance(seconds: 30)
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge)).failedChecks == [.challengeExpired])
    }

    @Test func challengeJustBeforeExpiryPasses() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        fixture.clock.advance(seconds: 29.999)
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge)).passed)
    }

    @Test func challengeUsed() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge)).passed)
        // Fresh frames, same challenge: only the challenge is wrong.
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge)).failedChecks == [.challengeUsed])
    }

    @Test func challengeOtherDeviceDoesNotBurnIt() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge(deviceID: "T-OWNER")
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge)).failedChecks == [.challengeOtherDevice])
        // The owner can still use it.
        #expect(try await fixture.evaluate(fixture.evidence(for: challenge), deviceID: "T-OWNER").passed)
    }

    @Test func tooFewFrames() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge([.turnLeft, .blink])
        var evidence = fixture.evidence(for: challenge)
        // Four frames that still answer the challenge: neutral, turned left, eyes closed, open.
        let keep = [2, 5, 11, 12]
        evidence.frames = keep.map { evidence.frames[$0] }
        #expect(try await fixture.evaluate(evidence).failedChecks == [.tooFewFrames])
    }

    @Test func tooManyFrames() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        var evidence = fixture.evidence(for: challenge)
        let extra = fixture.evidence(for: challenge)
        var time = evidence.frames.last?.timeMilliseconds ?? 0
        while evidence.frames.count <= fixture.settings.framesMax {
            time += 50
            var frame = extra.frames[evidence.frames.count % extra.frames.count]
            frame.timeMilliseconds = time
            frame.yawDegrees = 0
            frame.eyesOpen = 0.9
            evidence.frames.append(frame)
        }
        #expect(evidence.frames.count == 61)
        #expect(try await fixture.evaluate(evidence).failedChecks == [.tooManyFrames])
        // Not looked at: nothing was recorded by the replay guard.
        #expect(fixture.replayGuard.count == 0)
    }

    @Test func timestampsNotIncreasing() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        var evidence = fixture.evidence(for: challenge)
        evidence.frames[1].timeMilliseconds = evidence.frames[0].timeMilliseconds
        #expect(try await fixture.evaluate(evidence).failedChecks == [.timestampsNotIncreasing])
    }

    @Test func spanTooLong() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        var evidence = fixture.evidence(for: challenge)
        let last = evidence.frames.count - 1
        evidence.frames[last].timeMilliseconds = evidence.frames[0].timeMilliseconds + 10_001
        #expect(try await fixture.evaluate(evidence).failedChecks == [.spanTooLong])
        var exactly = fixture.evidence(for: try await fixture.challenge())
        exactly.frames[last].timeMilliseconds = exactly.frames[0].timeMilliseconds + 10_000
        #expect(try await fixture.evaluate(exactly).passed)
    }

    @Test("an action that never happens is missing", arguments: ChallengeAction.allCases)
    func actionMissing(action: ChallengeAction) async throws {
        var fixture = Fixture()
        let other = ChallengeAction.allCases.first { $0 != action } ?? .blink
        let challenge = try await fixture.challenge([other, action])
        // Answer `other` only; nothing of `action` appears anywhere.
        let evidence = CaptureBuilder.evidence(challengeID: challenge.id, actions: [other],
                                               identity: fixture.identity, using: &fixture.random)
        #expect(try await fixture.evaluate(evidence).failedChecks == [.actionMissing])
    }

    @Test("actions in the wrong order", arguments: [
        [ChallengeAction.turnLeft, .turnRight], [.lookUp, .lookDown], [.blink, .turnLeft], [.lookDown, .blink],
    ])
    func actionOutOfOrder(actions: [ChallengeAction]) async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge(actions)
        let evidence = CaptureBuilder.evidence(challengeID: challenge.id, actions: actions.reversed(),
                                               identity: fixture.identity, using: &fixture.random)
        #expect(try await fixture.evaluate(evidence).failedChecks == [.actionOutOfOrder])
    }

    @Test func turnNeedsNeutralStart() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge([.turnLeft, .blink])
        var evidence = fixture.evidence(for: challenge)
        // Head already turned from the first frame to the end of the turn: no neutral start.
        for index in 0..<8 { evidence.frames[index].yawDegrees = -25 }
        #expect(try await fixture.evaluate(evidence).failedChecks == [.actionMissing])
    }

    @Test func slowBlinkIsNotABlink() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge([.turnLeft, .blink])
        var evidence = fixture.evidence(for: challenge)
        // Frames 10, 11 closed; reopen at 12. Push the reopening (and everything after) 1 s later.
        for index in 12..<evidence.frames.count { evidence.frames[index].timeMilliseconds += 1_000 }
        #expect(try await fixture.evaluate(evidence).failedChecks == [.actionMissing])
    }

    @Test func identityInconsistent() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        var evidence = fixture.evidence(for: challenge)
        let stranger = CaptureBuilder.model.identity(using: &fixture.random)
        let swapped = fixture.evidence(for: challenge, identity: stranger)
        for index in evidence.frames.indices where index >= evidence.frames.count / 2 {
            evidence.frames[index].embedding = swapped.frames[index].embedding
        }
        #expect(try await fixture.evaluate(evidence).failedChecks == [.identityInconsistent])
    }

    @Test("the identity threshold is per model: 0.85 is one person for sim-128, not for dlib")
    func identityThresholdPerModel() async throws {
        func mixedEvidence(model: String) async throws -> (Fixture, FaceEvidence) {
            var fixture = Fixture(seed: 7)
            var evidence = fixture.evidence(for: try await fixture.challenge())
            evidence.model = model
            // A direction orthogonal to the first frame: the second half leans 0.87 towards it.
            var random = SeededRandom(seed: 70)
            let first = evidence.frames[0].embedding.floats
            var direction = (0..<128).map { _ in Float(random.nextGaussian()) }
            let projection = zip(direction, first).map { $0 * $1 }.reduce(0, +)
            direction = zip(direction, first).map { $0 - projection * $1 }
            let norm = direction.map { $0 * $0 }.reduce(0, +).squareRoot()
            for index in evidence.frames.indices where index >= evidence.frames.count / 2 {
                let values = evidence.frames[index].embedding.floats
                evidence.frames[index].embedding = .values(zip(values, direction).map { 0.87 * $0 + 0.493 * $1 / norm })
            }
            return (fixture, evidence)
        }
        let (simFixture, simEvidence) = try await mixedEvidence(model: "sim-128")
        #expect(try await simFixture.evaluate(simEvidence).passed)
        let (dlibFixture, dlibEvidence) = try await mixedEvidence(model: "dlib-resnet-v1")
        #expect(try await dlibFixture.evaluate(dlibEvidence).failedChecks == [.identityInconsistent])
    }

    @Test func framesIdentical() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        var evidence = fixture.evidence(for: challenge)
        evidence.frames[5].embedding = evidence.frames[4].embedding
        #expect(try await fixture.evaluate(evidence).failedChecks == [.framesIdentical])
        // Near-identical (noise of 1e-4 per component on a copy) counts too.
        var nearly = fixture.evidence(for: try await fixture.challenge())
        var random = SeededRandom(seed: 9)
        nearly.frames[5].embedding = .values(nearly.frames[4].embedding.floats.map { $0 + Float(1e-4 * random.nextGaussian()) })
        #expect(try await fixture.evaluate(nearly).failedChecks == [.framesIdentical])
    }

    @Test func frameReplayed() async throws {
        var fixture = Fixture()
        let first = try await fixture.challenge()
        let earlier = fixture.evidence(for: first)
        #expect(try await fixture.evaluate(earlier).passed)
        // A few frames of an earlier capture are tolerated (a third of the frames make a replay:
        // chance nearness of a few frames never declines a customer) ...
        let required = fixture.settings.replayNearFramesMin(frames: earlier.frames.count)
        #expect(required == (earlier.frames.count + 2) / 3)
        let second = try await fixture.challenge()
        var few = fixture.evidence(for: second)
        for index in 0..<(required - 1) { few.frames[index * 2].embedding = earlier.frames[index * 2].embedding }
        #expect(try await fixture.evaluate(few).passed)
        // ... a third are a replay.
        let third = try await fixture.challenge()
        var evidence = fixture.evidence(for: third)
        for index in 0..<required { evidence.frames[index * 2 + 1].embedding = earlier.frames[index * 2 + 1].embedding }
        #expect(try await fixture.evaluate(evidence).failedChecks == [.frameReplayed])
    }

    @Test func replayOfARejectedCaptureIsCaughtToo() async throws {
        var fixture = Fixture()
        let unknown = Challenge(id: Identifier.make(.challenge), deviceID: Fixture.plainTerminal, actions: [.turnLeft, .blink],
                                issuedAt: fixture.clock.now(), expiresAt: fixture.clock.now().addingTimeInterval(30))
        let evidence = fixture.evidence(for: unknown)
        #expect(try await fixture.evaluate(evidence).failedChecks == [.challengeUnknown])
        let real = try await fixture.challenge()
        var again = evidence
        again.challengeID = real.id
        #expect(try await fixture.evaluate(again).failedChecks == [.frameReplayed])
    }

    @Test func padScoreLow() async throws {
        var fixture = Fixture()
        var oneBadFrame = fixture.evidence(for: try await fixture.challenge())
        oneBadFrame.frames[7].padScore = 0.49
        #expect(try await fixture.evaluate(oneBadFrame).failedChecks == [.padScoreLow])
        var lowMean = fixture.evidence(for: try await fixture.challenge())
        for index in lowMean.frames.indices { lowMean.frames[index].padScore = 0.89 }
        #expect(try await fixture.evaluate(lowMean).failedChecks == [.padScoreLow])
        var atBounds = fixture.evidence(for: try await fixture.challenge())
        for index in atBounds.frames.indices { atBounds.frames[index].padScore = 0.9 }
        #expect(try await fixture.evaluate(atBounds).passed)
    }

    @Test func signatureMissing() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge(deviceID: Fixture.signedTerminal)
        let verdict = try await fixture.evaluate(fixture.evidence(for: challenge), deviceID: Fixture.signedTerminal,
                                                 signature: .some(nil))
        #expect(verdict.failedChecks == [.signatureMissing])
    }

    @Test func signatureInvalid() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge(deviceID: Fixture.signedTerminal)
        let otherKey = DeviceSigningKey()
        let evidence = fixture.evidence(for: challenge)
        let body = Array(try JSONEncoder().encode(evidence))
        let verdict = try await fixture.evaluate(evidence, deviceID: Fixture.signedTerminal,
                                                 signature: otherKey.signatureHeader(for: body))
        #expect(verdict.failedChecks == [.signatureInvalid])
    }

    @Test("a verdict lists every failed check, in order")
    func everyFailureListed() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge([.turnLeft, .blink], deviceID: Fixture.signedTerminal)
        var evidence = fixture.evidence(for: challenge)
        for index in evidence.frames.indices {
            evidence.frames[index].eyesOpen = 0.9
            evidence.frames[index].padScore = 0.3
        }
        evidence.frames[4].embedding = evidence.frames[3].embedding
        fixture.clock.advance(seconds: 31)
        let verdict = try await fixture.evaluate(evidence, deviceID: Fixture.signedTerminal, signature: .some(nil))
        #expect(verdict.failedChecks == [.challengeExpired, .actionMissing, .framesIdentical, .padScoreLow, .signatureMissing])
    }

    @Test func invalidEmbeddingThrowsAndConsumesNothing() async throws {
        var fixture = Fixture()
        let challenge = try await fixture.challenge()
        let good = fixture.evidence(for: challenge)
        var cases = [FaceEvidence]()
        var shortVector = good
        shortVector.frames[2].embedding = .values(Array(good.frames[2].embedding.floats.prefix(127)))
        cases.append(shortVector)
        var notANumber = good
        notANumber.frames[2].embedding = .base64(of: [Float](repeating: .nan, count: 128))
        cases.append(notANumber)
        var zero = good
        zero.frames[2].embedding = .values([Float](repeating: 0, count: 128))
        cases.append(zero)
        for evidence in cases {
            let error = await #expect(throws: FacePayError.self) { try await fixture.evaluate(evidence) }
            #expect(error?.code == "invalid_embedding")
            #expect(error?.kind == .badRequest)
            #expect(error?.detail.contains("frames[2].embedding") == true)
        }
        // Nothing was consumed or recorded: the good capture still passes.
        #expect(fixture.replayGuard.count == 0)
        #expect(try await fixture.evaluate(good).passed)
    }
}
