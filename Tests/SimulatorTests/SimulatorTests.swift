import Biometrics
import FacePayCore
import Foundation
import Liveness
import Testing
import Simulator

/// Seed of a randomised test: `FACEPAY_TEST_SEED` when set (to replay a failure), else `fallback`.
func testSeed(_ fallback: UInt64, _ name: String) -> UInt64 {
    let seed = ProcessInfo.processInfo.environment["FACEPAY_TEST_SEED"].flatMap(UInt64.init) ?? fallback
    print("\(name): seed \(seed) (set FACEPAY_TEST_SEED to replay)")
    return seed
}

@Suite("Simulator: the attack report against the real policy")
struct AttackReportTests {
    @Test("BPCER ≤ 1 % over 1,000 seeded genuine sessions")
    func bonaFideClassificationErrorRate() async throws {
        let seed = testSeed(20_260_101, "bonaFideClassificationErrorRate")
        let report = try await AttackReportRunner(genuineSessions: 1_000, attemptsPerFamily: 0, seed: seed).run()
        print(report.table)
        #expect(report.genuineSessions == 1_000)
        #expect(report.bpcer <= 0.01, "BPCER \(report.bpcer): \(report.genuineFailedChecks)")
    }

    @Test("APCER = 0 for every attack family, each caught by the checks it is built to trip")
    func attackClassificationErrorRate() async throws {
        let seed = testSeed(20_260_102, "attackClassificationErrorRate")
        let attempts = 100
        let report = try await AttackReportRunner(genuineSessions: 0, attemptsPerFamily: attempts, seed: seed).run()
        print(report.table)
        #expect(report.attacks.map(\.family) == AttackFamily.allCases.map(\.rawValue))
        for family in AttackFamily.allCases {
            let result = try #require(report.result(for: family))
            #expect(result.attempts == attempts)
            #expect(result.accepted == 0, "\(family.rawValue) accepted \(result.accepted)")
            #expect(result.apcer == 0)
            // Every attempt failed one of the family's expected checks (they are exclusive, or the
            // family's first one fires on every attempt).
            let expectedFailures = family.expectedChecks.map { result.failedChecks[$0.rawValue] ?? 0 }.reduce(0, +)
            switch family {
            case .printedPhoto: #expect(result.failedChecks[LivenessCheckName.padScoreLow.rawValue] == attempts)
            default: #expect(expectedFailures == attempts, "\(family.rawValue): \(result.failedChecks)")
            }
        }
    }

    @Test func sameSeedSameReportAndJSONShape() async throws {
        let runner = AttackReportRunner(genuineSessions: 20, attemptsPerFamily: 3, seed: 5)
        let first = try await runner.run()
        let second = try await runner.run()
        #expect(first == second)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.json.utf8)) as? [String: Any])
        #expect(object["bpcer"] is Double)
        #expect(object["genuine_sessions"] as? Int == 20)
        let attacks = try #require(object["attacks"] as? [[String: Any]])
        #expect(attacks.count == AttackFamily.allCases.count)
        #expect(attacks.first?["family"] as? String == "printed_photo")
        #expect(attacks.first?["attempts"] as? Int == 3)
        #expect(attacks.first?["apcer"] is Double)
        #expect(first.table.contains("BPCER"))
    }
}

@Suite("Simulator: captures")
struct CaptureTests {
    @Test("the wire JSON decodes back to the same evidence", arguments: EmbeddingEncoding.allCases)
    func wireRoundTrip(encoding: EmbeddingEncoding) throws {
        var random = SeededRandom(seed: testSeed(3, "wireRoundTrip"))
        let person = SyntheticPerson(model: .sim128, using: &random)
        let generated = GenuineCaptureGenerator().capture(
            of: person, challengeID: Identifier.make(.challenge), actions: [.lookUp, .blink], encoding: encoding, using: &random)
        let body = generated.capture.faceJSON()
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(encoding == .array ? "\"embedding\"" : "\"embedding_b64\""))
        for key in ["challenge_id", "model", "frames", "t_ms", "yaw_deg", "pitch_deg", "eyes_open", "pad_score"] {
            #expect(text.contains("\"\(key)\""))
        }
        let decoded = try JSONDecoder().decode(FaceEvidence.self, from: Data(body))
        #expect(decoded == generated.capture.evidence)
        #expect(try decoded.validatedEmbeddings(dimension: 128).count == decoded.frames.count)
    }

    @Test func signedVariantVerifiesOverTheExactBytes() throws {
        var random = SeededRandom(seed: 4)
        let key = DeviceSigningKey()
        let capture = GenuineCaptureGenerator().capture(
            of: SyntheticPerson(model: .sim128, using: &random), challengeID: Identifier.make(.challenge),
            actions: [.turnRight, .lookDown], encoding: .base64, using: &random).capture
        let signed = SignedRequestBody(body: capture.faceJSON(), signingKey: key)
        let header = try #require(signed.signatureHeader)
        #expect(key.publicKey.isValidSignature(header, for: signed.body))
        #expect(!key.publicKey.isValidSignature(header, for: capture.citing(challengeID: "chl_other").faceJSON()))
        #expect(SignedRequestBody(body: signed.body, signingKey: nil).signatureHeader == nil)
    }

    @Test("sim-128 genuine frames sit far from both similarity thresholds")
    func genuineSimilarityMargins() throws {
        var random = SeededRandom(seed: testSeed(6, "genuineSimilarityMargins"))
        let settings = LivenessSettings()
        let generator = GenuineCaptureGenerator()
        var lowest: Float = 1
        var highest: Float = -1
        for _ in 0..<100 {
            let capture = generator.capture(
                of: SyntheticPerson(model: .sim128, using: &random), challengeID: "chl_x",
                actions: [.turnLeft, .turnRight], encoding: .array, using: &random).capture
            let similarity = try #require(PairwiseSimilarity(of: capture.evidence.validatedEmbeddings(dimension: 128)))
            lowest = min(lowest, similarity.minimum)
            highest = max(highest, similarity.maximum)
        }
        print("genuine pairwise similarity over 100 captures: min \(lowest), max \(highest)")
        #expect(lowest > settings.frameSimilarityMin(model: "sim-128") + 0.1)
        #expect(highest < settings.identicalFrameSimilarityMin - 0.005)
    }

    @Test("genuine motion answers every ordered pair of actions")
    func motionAnswersEveryPair() {
        var random = SeededRandom(seed: testSeed(8, "motionAnswersEveryPair"))
        let check = ActionSequenceCheck(settings: LivenessSettings())
        for first in ChallengeAction.allCases {
            for second in ChallengeAction.allCases where second != first {
                let frames = FaceMotion.performing([first, second], using: &random).map {
                    EvidenceFrame(timeMilliseconds: $0.timeMilliseconds, embedding: .values([1]), yawDegrees: $0.yawDegrees,
                                  pitchDegrees: $0.pitchDegrees, eyesOpen: $0.eyesOpen, padScore: 1)
                }
                let challenge = Challenge(id: Identifier.make(.challenge), deviceID: "T-1", actions: [first, second],
                                          issuedAt: Date(), expiresAt: Date().addingTimeInterval(30))
                let context = LivenessContext(
                    settings: LivenessSettings(),
                    submission: LivenessSubmission(evidence: FaceEvidence(challengeID: challenge.id, model: "m", frames: frames),
                                                   embeddingDimension: 1, deviceID: "T-1", deviceIsTerminal: true),
                    consumption: .consumed(challenge), embeddings: nil, replayNearFrames: 0)
                #expect(check.check(context) == .pass, "\(first) \(second)")
                let span = (frames.last?.timeMilliseconds ?? 0) - (frames.first?.timeMilliseconds ?? 0)
                #expect(frames.count >= 5 && frames.count <= 60 && span <= 10_000)
            }
        }
    }
}
