import Biometrics
import FacePayCore
import Foundation
import Liveness
import Synchronization

/// The load generator of `facepay bench api`: `connections` terminals, each with its own client
/// certificate and one keep-alive mTLS connection, each looping challenge → genuine capture of
/// a random enrolled customer → payment, until the deadline. Latency is measured per payment,
/// challenge included, as a till would feel it.
public struct APILoadGenerator: Sendable {
    public struct Result: Sendable {
        public var approved = 0
        public var declined = 0
        public var errors = 0
        public var latenciesSeconds: [Double] = []
        public var measuredSeconds: Double = 0

        public var paymentsPerSecond: Double { measuredSeconds > 0 ? Double(approved) / measuredSeconds : 0 }

        public func percentileMilliseconds(_ fraction: Double) -> Double {
            guard !latenciesSeconds.isEmpty else { return 0 }
            let sorted = latenciesSeconds.sorted()
            let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))
            return sorted[index] * 1000
        }

        mutating func merge(_ other: Result) {
            approved += other.approved
            declined += other.declined
            errors += other.errors
            latenciesSeconds += other.latenciesSeconds
        }
    }

    public let identities: [SyntheticPerson]
    public let warmUpSeconds: Double
    public let measureSeconds: Double
    public let seed: UInt64
    /// Captures made before the clock starts, so the load generator's own CPU (on the same
    /// 2-core machine) is not spent while the server is measured.
    let pool: CapturePool

    public init(identities: [SyntheticPerson], warmUpSeconds: Double, measureSeconds: Double, seed: UInt64,
                pregeneratedCaptures: Int = 0) {
        precondition(!identities.isEmpty && measureSeconds > 0 && warmUpSeconds >= 0)
        self.identities = identities
        self.warmUpSeconds = warmUpSeconds
        self.measureSeconds = measureSeconds
        self.seed = seed
        pool = CapturePool(identities: identities, count: pregeneratedCaptures, seed: seed ^ 0x5EED)
    }

    public func run(terminals: [LiveClient]) async -> Result {
        let start = ContinuousClock.now
        let measureFrom = start + .milliseconds(Int64(warmUpSeconds * 1000))
        let deadline = measureFrom + .milliseconds(Int64(measureSeconds * 1000))
        var total = await withTaskGroup(of: Result.self) { group in
            for (index, terminal) in terminals.enumerated() {
                let workerSeed = seed &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
                group.addTask { await worker(terminal, seed: workerSeed, index: index, measureFrom: measureFrom, deadline: deadline) }
            }
            var merged = Result()
            for await result in group { merged.merge(result) }
            return merged
        }
        total.measuredSeconds = measureSeconds
        return total
    }

    func worker(_ terminal: LiveClient, seed: UInt64, index: Int, measureFrom: ContinuousClock.Instant,
                deadline: ContinuousClock.Instant) async -> Result {
        var random = SeededRandom(seed: seed)
        let generator = GenuineCaptureGenerator()
        var result = Result()
        var sequence = 0
        while ContinuousClock.now < deadline {
            let person = identities[Int.random(in: 0..<identities.count, using: &random)]
            let began = ContinuousClock.now
            var approved = false
            var failed = false
            do {
                let (challengeID, actions) = try await terminal.challenge()
                let face = pool.take(actions: actions, challengeID: challengeID)
                    ?? generator.capture(of: person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random)
                        .capture.faceJSON()
                let body = LiveClient.body(#""amount":\#(Int.random(in: 100...5000, using: &random)),"currency":"EUR""#, face: face)
                let reply = try await terminal.send(.POST, "/v1/payments", body: body, idempotencyKey: "bench-\(seed)-\(sequence)")
                sequence += 1
                if reply.status == 201 {
                    approved = reply.json()["status"] as? String == "approved"
                } else {
                    failed = true
                }
            } catch {
                failed = true
            }
            let ended = ContinuousClock.now
            guard began >= measureFrom, ended <= deadline else { continue }
            if failed { result.errors += 1 } else if approved { result.approved += 1 } else { result.declined += 1 }
            if !failed {
                let elapsed = ended - began
                result.latenciesSeconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
        }
        return result
    }
}

/// Genuine captures made ahead of time for every ordered pair of challenge actions, each used
/// once (the server's replay guard would refuse a second use). A capture is made citing a
/// placeholder challenge id of the real ids' length; `take` writes the real id in place.
final class CapturePool: Sendable {
    static let placeholderID = "chl_" + String(repeating: "a", count: 26)
    private static let prefix = Array(#"{"challenge_id":""#.utf8)
    private let captures: Mutex<[String: [[UInt8]]]>

    init(identities: [SyntheticPerson], count: Int, seed: UInt64) {
        let actions = ChallengeAction.allCases
        let pairs: [[ChallengeAction]] = actions.flatMap { first in actions.filter { $0 != first }.map { [first, $0] } }
        var byPair: [String: [[UInt8]]] = [:]
        if count > 0 {
            let perPair = count / pairs.count + 1
            let results = Mutex<[String: [[UInt8]]]>([:])
            DispatchQueue.concurrentPerform(iterations: pairs.count) { pairIndex in
                var random = SeededRandom(seed: seed &+ UInt64(pairIndex) &* 0x9E37_79B9)
                let generator = GenuineCaptureGenerator()
                var made: [[UInt8]] = []
                made.reserveCapacity(perPair)
                for _ in 0..<perPair {
                    let person = identities[Int.random(in: 0..<identities.count, using: &random)]
                    made.append(generator.capture(of: person, challengeID: Self.placeholderID, actions: pairs[pairIndex],
                                                  encoding: .base64, using: &random).capture.faceJSON())
                }
                let key = Self.key(pairs[pairIndex])
                results.withLock { $0[key] = made }
            }
            byPair = results.withLock { $0 }
        }
        captures = Mutex(byPair)
    }

    static func key(_ actions: [ChallengeAction]) -> String { actions.map(\.rawValue).joined(separator: ",") }

    /// A fresh capture answering `actions`, citing `challengeID`; nil when none is left.
    func take(actions: [ChallengeAction], challengeID: String) -> [UInt8]? {
        let idBytes = Array(challengeID.utf8)
        guard idBytes.count == Self.placeholderID.utf8.count,
              var capture = captures.withLock({ $0[Self.key(actions)]?.popLast() }),
              capture.starts(with: Self.prefix) else { return nil }
        capture.replaceSubrange(Self.prefix.count..<(Self.prefix.count + idBytes.count), with: idBytes)
        return capture
    }
}
