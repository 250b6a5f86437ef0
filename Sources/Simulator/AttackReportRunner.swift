import Biometrics
import FacePayCore
import Foundation
import Liveness

/// Runs genuine sessions and every attack family against the real liveness policy in process
/// (`InProcessLivenessService`: in-memory stores, `ManualWallClock`, wire JSON and signatures
/// included) and counts the outcomes. Deterministic for a seed.
///
/// Devices: `T-SIM-SIGNED`, a terminal with a registered key that signs every honest request;
/// `T-SIM-PLAIN` and `T-SIM-OTHER`, terminals without keys (allowed while
/// `requireTerminalSignatures` is off, the default). Genuine sessions alternate between the signed
/// and the plain terminal. Presentation attacks go through the honest signed terminal (its camera
/// sees the print or screen and it signs what it sees); injection attacks go through the plain
/// terminal — the weakest posture the default settings allow — except `unsigned_injection`, which
/// targets the signed one. Lockout is not applied: each attempt is judged on its own.
///
/// Challenge actions are drawn from the simulation's seeded generator (and stored through the
/// service as the issuer would store them) so that a seed replays exactly; the issuer's own
/// CSPRNG draw is covered by the Liveness tests.
public struct AttackReportRunner: Sendable {
    public static let signedTerminalID = "T-SIM-SIGNED"
    public static let plainTerminalID = "T-SIM-PLAIN"
    public static let otherTerminalID = "T-SIM-OTHER"

    public var genuineSessions: Int
    public var attemptsPerFamily: Int
    public var seed: UInt64
    public var settings: LivenessSettings
    public var families: [AttackFamily]
    /// Distinct synthetic people drawn as customers, victims and attackers.
    public var populationSize: Int

    public init(genuineSessions: Int, attemptsPerFamily: Int, seed: UInt64, settings: LivenessSettings = LivenessSettings(),
                families: [AttackFamily] = AttackFamily.allCases, populationSize: Int = 64) {
        precondition(genuineSessions >= 0 && attemptsPerFamily >= 0 && populationSize >= 2)
        self.genuineSessions = genuineSessions
        self.attemptsPerFamily = attemptsPerFamily
        self.seed = seed
        self.settings = settings
        self.families = families
        self.populationSize = populationSize
    }

    /// `progress(done, total)` is called after each session or attempt.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> AttackReport {
        var random = SeededRandom(seed: seed)
        let signingKey = DeviceSigningKey(seed: &random)
        let devices = [
            SimulatedDevice(id: Self.signedTerminalID, isTerminal: true, signingKey: signingKey),
            SimulatedDevice(id: Self.plainTerminalID, isTerminal: true, signingKey: nil),
            SimulatedDevice(id: Self.otherTerminalID, isTerminal: true, signingKey: nil),
        ]
        let service = InProcessLivenessService(settings: settings, devices: devices)
        let genuine = GenuineCaptureGenerator()
        let attacks = AttackCaptureGenerator(genuine: genuine)
        let people = SyntheticPerson.population(populationSize, model: genuine.model, using: &random)
        let total = genuineSessions + attemptsPerFamily * families.count
        var done = 0

        var genuineRejected = 0
        var genuineFailures = [String: Int]()
        for session in 0..<genuineSessions {
            let deviceID = session.isMultiple(of: 2) ? Self.signedTerminalID : Self.plainTerminalID
            let verdict = try await genuineSession(
                of: people.randomElement(using: &random) ?? people[0], deviceID: deviceID,
                encoding: session % 4 < 2 ? .array : .base64,
                service: service, generator: genuine, using: &random)
            if !verdict.passed { genuineRejected += 1 }
            for name in verdict.failedChecks { genuineFailures[name.rawValue, default: 0] += 1 }
            service.clock.advance(seconds: Double.random(in: 2...8, using: &random))
            done += 1
            progress?(done, total)
        }

        var results = [AttackReport.FamilyResult]()
        for family in families {
            var accepted = 0
            var failures = [String: Int]()
            for attempt in 0..<attemptsPerFamily {
                let pair = Self.distinctPair(people, &random)
                let verdict = try await mount(family, attempt: attempt, victim: pair.victim, attacker: pair.attacker,
                                              service: service, genuine: genuine, attacks: attacks, using: &random)
                if verdict.passed { accepted += 1 }
                for name in verdict.failedChecks { failures[name.rawValue, default: 0] += 1 }
                service.clock.advance(seconds: Double.random(in: 1...5, using: &random))
                done += 1
                progress?(done, total)
            }
            results.append(AttackReport.FamilyResult(
                family: family.rawValue, attempts: attemptsPerFamily, accepted: accepted,
                apcer: attemptsPerFamily == 0 ? 0 : Double(accepted) / Double(attemptsPerFamily), failedChecks: failures))
        }
        return AttackReport(
            seed: seed, genuineSessions: genuineSessions, genuineRejected: genuineRejected,
            bpcer: genuineSessions == 0 ? 0 : Double(genuineRejected) / Double(genuineSessions),
            genuineFailedChecks: genuineFailures, attacks: results)
    }

    /// One bona fide session: challenge, live capture, honest signature, submit.
    private func genuineSession(of person: SyntheticPerson, deviceID: String, encoding: EmbeddingEncoding,
                                service: InProcessLivenessService, generator: GenuineCaptureGenerator,
                                using random: inout SeededRandom) async throws -> LivenessVerdict {
        let challenge = try await service.issueChallenge(deviceID: deviceID, actions: Self.randomActions(&random))
        let capture = generator.capture(of: person, challengeID: challenge.id, actions: challenge.actions,
                                        encoding: encoding, using: &random).capture
        return try await service.submit(
            SignedRequestBody(body: capture.faceJSON(), signingKey: service.devices[deviceID]?.signingKey), deviceID: deviceID)
    }

    // One attack attempt, mounted as described on `AttackFamily`.
    private func mount(_ family: AttackFamily, attempt: Int, victim: SyntheticPerson, attacker: SyntheticPerson,
                       service: InProcessLivenessService, genuine: GenuineCaptureGenerator,
                       attacks: AttackCaptureGenerator, using random: inout SeededRandom) async throws -> LivenessVerdict {
        let signed = Self.signedTerminalID
        let plain = Self.plainTerminalID
        let encoding: EmbeddingEncoding = attempt.isMultiple(of: 3) ? .array : .base64
        let signingKey = service.devices[signed]?.signingKey
        func send(_ capture: SimulatedCapture, from deviceID: String) async throws -> LivenessVerdict {
            try await service.submit(
                SignedRequestBody(body: capture.faceJSON(), signingKey: service.devices[deviceID]?.signingKey), deviceID: deviceID)
        }

        // A genuine payment of the victim at `deviceID`, then up to ten minutes pass.
        func victimPays(from deviceID: String) async throws -> (SimulatedCapture, [ChallengeAction]) {
            let original = try await service.issueChallenge(deviceID: deviceID, actions: Self.randomActions(&random))
            let capture = genuine.capture(of: victim, challengeID: original.id, actions: original.actions,
                                          encoding: encoding, using: &random).capture
            _ = try await send(capture, from: deviceID)
            service.clock.advance(seconds: Double.random(in: 1...600, using: &random))
            return (capture, original.actions)
        }

        switch family {
        case .printedPhoto:
            let challenge = try await service.issueChallenge(deviceID: signed, actions: Self.randomActions(&random))
            return try await send(attacks.printedPhoto(of: victim, challengeID: challenge.id, encoding: encoding, using: &random),
                                  from: signed)

        case .screenReplay:
            let actions = Self.randomActions(&random)
            let recording = genuine.capture(of: victim, challengeID: "chl_recording", actions: actions,
                                            encoding: encoding, using: &random)
            let challenge = try await service.issueChallenge(deviceID: signed, actions: actions)
            return try await send(attacks.screenReplay(of: recording, challengeID: challenge.id, encoding: encoding, using: &random),
                                  from: signed)

        case .replayedCapture:
            // The victim pays; the adversary captured the body and later sends its frames under a
            // challenge asking the same actions.
            let (capture, actions) = try await victimPays(from: plain)
            let challenge = try await service.issueChallenge(deviceID: plain, actions: actions)
            return try await send(capture.citing(challengeID: challenge.id), from: plain)

        case .nudgedReplay:
            // The victim pays at this merchant's terminal, which keeps the capture and later sends
            // it, re-timed and nudged, for a fresh challenge with other actions, signed with its key.
            let (capture, _) = try await victimPays(from: signed)
            let challenge = try await service.issueChallenge(deviceID: signed, actions: Self.randomActions(&random))
            let sigma = AttackCaptureGenerator.nudges[attempt % AttackCaptureGenerator.nudges.count]
            return try await send(attacks.nudgedReplay(of: capture, challengeID: challenge.id, actions: challenge.actions,
                                                       noiseSigma: sigma, encoding: encoding, using: &random),
                                  from: signed)

        case .foreignDevice:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            let capture = genuine.capture(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                          encoding: encoding, using: &random).capture
            let verdict = try await send(capture, from: Self.otherTerminalID)
            // The stolen challenge stays outstanding on the victim's terminal until it expires.
            service.clock.advance(seconds: settings.challengeTTLSeconds)
            return verdict

        case .usedChallenge:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            let first = genuine.capture(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                        encoding: encoding, using: &random).capture
            _ = try await send(first, from: plain)
            let second = genuine.capture(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                         encoding: encoding, using: &random).capture
            return try await send(second, from: plain)

        case .expiredChallenge:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            service.clock.advance(seconds: settings.challengeTTLSeconds + Double.random(in: 0...60, using: &random))
            let capture = genuine.capture(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                          encoding: encoding, using: &random).capture
            return try await send(capture, from: plain)

        case .actionsMissing:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            return try await send(attacks.actionsMissing(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                                         encoding: encoding, using: &random), from: plain)

        case .actionsOutOfOrder:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            return try await send(attacks.actionsOutOfOrder(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                                            encoding: encoding, using: &random), from: plain)

        case .faceSwap:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            return try await send(attacks.faceSwap(attacker: attacker, victim: victim, challengeID: challenge.id,
                                                   actions: challenge.actions, encoding: encoding, using: &random), from: plain)

        case .staticFrames:
            let challenge = try await service.issueChallenge(deviceID: plain, actions: Self.randomActions(&random))
            let noiseSigma = [0, 1e-5, 2e-4][attempt % 3]
            return try await send(attacks.staticFrames(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                                       noiseSigma: noiseSigma, encoding: encoding, using: &random), from: plain)

        case .unsignedInjection:
            let challenge = try await service.issueChallenge(deviceID: signed, actions: Self.randomActions(&random))
            let capture = attacks.forged(of: victim, challengeID: challenge.id, actions: challenge.actions,
                                         encoding: encoding, using: &random)
            let body = capture.faceJSON()
            let header: String?
            switch attempt % 3 {
            case 0: header = nil
            case 1: header = DeviceSigningKey(seed: &random).signatureHeader(for: body)
            default:
                // A genuine signature by the device, lifted from another of its requests.
                header = signingKey?.signatureHeader(for: capture.citing(challengeID: "chl_elsewhere").faceJSON())
            }
            return try await service.submit(SignedRequestBody(body: body, signatureHeader: header), deviceID: signed)
        }
    }

    static func randomActions(_ random: inout SeededRandom) -> [ChallengeAction] {
        Array(ChallengeAction.allCases.shuffled(using: &random).prefix(Challenge.actionCount))
    }

    static func distinctPair(_ people: [SyntheticPerson], _ random: inout SeededRandom) -> (victim: SyntheticPerson, attacker: SyntheticPerson) {
        let victim = Int.random(in: 0..<people.count, using: &random)
        var attacker = Int.random(in: 0..<(people.count - 1), using: &random)
        if attacker >= victim { attacker += 1 }
        return (people[victim], people[attacker])
    }
}

extension DeviceSigningKey {
    /// A key from a seeded generator, so a simulation replays exactly. Never for a real device.
    init(seed random: inout SeededRandom) {
        let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: random.next() as UInt64) { Array($0) } }
        do {
            try self.init(rawRepresentation: bytes)
        } catch {
            preconditionFailure("32 bytes are a valid Ed25519 seed")
        }
    }
}
