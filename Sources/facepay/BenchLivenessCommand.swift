import ArgumentParser
import Biometrics
import FacePayCore
import Foundation
import Liveness
import Simulator

/// `facepay bench liveness`: CPU cost of one full liveness evaluation of a 30-frame 128-d capture
/// (validation, fingerprints, challenge consumption, replay guard, every check), in process with
/// in-memory stores, so the figure is the policy itself (SQLite work is measured by bench api).
struct BenchLivenessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "liveness", abstract: "CPU cost of one full liveness check (release build).")

    @Option(name: .long, help: "Evaluations to time.")
    var iterations = 20_000

    @Option(name: .long, help: "Distinct people the captures come from, in turn (1: every capture is the same face, the replay memory's worst case).")
    var people = 1_000

    @Option(name: .long, help: "Frames per capture.")
    var frames = 30

    @Flag(name: .long, help: "Sign each capture with a device key (adds one Ed25519 verification of the body).")
    var signed = false

    @Option(name: .long, help: "How the capture carries embeddings (and so the signed body): array or base64.")
    var encoding = "base64"

    func validate() throws {
        guard people >= 1 else { throw ValidationError("--people is at least 1") }
    }

    func run() async throws {
        var random = SeededRandom(seed: 7)
        let model = SyntheticFaceModel.sim128
        // The replay memory's cost grows with how many remembered frames share a code chunk with a
        // new one, i.e. with earlier captures of the same face: a till's customers are many people.
        let persons = (0..<people).map { _ in SyntheticPerson(model: model, using: &random) }
        let clock = ManualWallClock()
        var settings = LivenessSettings()
        settings.framesMax = max(settings.framesMax, frames)
        let key = DeviceSigningKey()

        // Pre-build the captures (fresh frames each, so the replay guard never short-circuits) and
        // challenges outside the timed loop.
        let challenges = InMemoryChallengeStore(capacity: iterations + 1)
        let replay = InMemoryReplayGuardStore(settings: settings)
        let policy = LivenessPolicy(settings: settings, challengeStore: challenges, replayGuard: replay, clock: clock)
        var submissions = [LivenessSubmission]()
        submissions.reserveCapacity(iterations)
        let actions: [ChallengeAction] = [.turnLeft, .blink]
        var motion = FaceMotion.performing(actions, using: &random)
        while motion.count < frames { motion += FaceMotion.still(frameCount: frames - motion.count, using: &random)
            .map { MotionFrame(timeMilliseconds: motion.last.map { $0.timeMilliseconds + 70 } ?? 0, yawDegrees: $0.yawDegrees,
                               pitchDegrees: $0.pitchDegrees, eyesOpen: $0.eyesOpen) } }
        motion = Array(motion.prefix(frames))
        for index in motion.indices { motion[index].timeMilliseconds = Int64(index) * 70 }
        let pad = [Double](repeating: 0.97, count: frames)
        for iteration in 0..<iterations {
            let person = persons[iteration % people]
            let challenge = Challenge(id: Identifier.make(.challenge), deviceID: "T-BENCH", actions: actions,
                                      issuedAt: clock.now(), expiresAt: clock.now().addingTimeInterval(3600))
            _ = try await challenges.insert(challenge, outstandingPerDeviceMax: Int.max, now: clock.now())
            // A new session per capture, as every payment is: frames of one session captured again
            // and again would, thousands of captures later, come near each other by chance.
            let session = CaptureSession(of: person, model: model, using: &random)
            let embeddings = motion.map { session.embedding(at: $0, using: &random) }
            let capture = SimulatedCapture(challengeID: challenge.id, modelName: "sim-128", motion: motion,
                                           embeddings: embeddings, padScores: pad,
                                           encoding: encoding == "array" ? .array : .base64)
            let body = signed ? capture.faceJSON() : []
            submissions.append(LivenessSubmission(
                evidence: capture.evidence, embeddingDimension: model.dimension, deviceID: "T-BENCH", deviceIsTerminal: true,
                devicePublicKey: signed ? key.publicKey : nil, requestBody: body,
                signatureHeader: signed ? key.signatureHeader(for: body) : nil))
        }

        var passed = 0
        let cpuStart = Self.processCPUSeconds()
        let wallStart = ContinuousClock.now
        for submission in submissions where try await policy.evaluate(submission).passed { passed += 1 }
        let wall = ContinuousClock.now - wallStart
        let cpu = Self.processCPUSeconds() - cpuStart
        precondition(passed == iterations, "bench captures must pass (\(passed)/\(iterations))")
        let perEvaluation = cpu / Double(iterations) * 1e6
        let bodyBytes = submissions.first?.requestBody.count ?? 0
        print("LivenessPolicy.evaluate, \(frames) frames × \(model.dimension)-d, \(people) people, "
              + "embeddings as \(encoding), " + (signed ? "signed body of \(bodyBytes) bytes" : "unsigned")
              + ", \(iterations) evaluations")
        print(String(format: "CPU per evaluation: %.1f µs   (wall %.1f µs)", perEvaluation,
                     Double(wall.components.attoseconds) / 1e12 / Double(iterations) + Double(wall.components.seconds) * 1e6 / Double(iterations)))
        if signed, let key = submissions.first?.devicePublicKey {
            // The signature alone, for the split.
            let verifyStart = Self.processCPUSeconds()
            var valid = 0
            for submission in submissions where key.isValidSignature(submission.signatureHeader ?? "", for: submission.requestBody) {
                valid += 1
            }
            precondition(valid == iterations)
            print(String(format: "  of which Ed25519 verification of the body: %.1f µs",
                         (Self.processCPUSeconds() - verifyStart) / Double(iterations) * 1e6))
        }
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
