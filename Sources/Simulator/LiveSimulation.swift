import Biometrics
import FacePayCore
import Foundation
import Liveness

/// `facepay simulate` against a running server: a kiosk enrols synthetic `sim-128` customers,
/// then a terminal sends payments — genuine customers (some with the phone hint), shoppers who
/// never enrolled, and attacks (printed photos of enrolled customers, replays of captures the
/// server accepted). It counts what the server decided; a false accept (a stranger or an attack
/// approved, or a customer charged as someone else) must never happen.
public struct LiveSimulation: Sendable {
    public struct Configuration: Sendable {
        public var customers = 20
        public var payments = 100
        public var strangerShare = 0.2
        public var attackShare = 0.2
        public var hintShare = 0.3
        public var concurrency = 4
        public var seed: UInt64 = 1

        public init() {}
    }

    public struct Report: Sendable, Codable {
        public var customersEnrolled = 0
        public var payments = 0
        public var approved = 0
        public var declines: [String: Int] = [:]
        public var strangersApproved = 0
        public var attacksApproved = 0
        public var wrongCustomerCharged = 0
        public var errors: [String: Int] = [:]

        public var falseAccepts: Int { strangersApproved + attacksApproved + wrongCustomerCharged }

        enum CodingKeys: String, CodingKey {
            case payments, approved, declines, errors
            case customersEnrolled = "customers_enrolled"
            case strangersApproved = "strangers_approved"
            case attacksApproved = "attacks_approved"
            case wrongCustomerCharged = "wrong_customer_charged"
        }

        public var table: String {
            func row(_ label: String, _ value: Int) -> String { label.padding(toLength: 34, withPad: " ", startingAt: 0) + String(value) }
            var lines = [row("customers enrolled", customersEnrolled), row("payments sent", payments), row("approved", approved)]
            for (code, count) in declines.sorted(by: { $0.key < $1.key }) { lines.append(row("declined \(code)", count)) }
            for (code, count) in errors.sorted(by: { $0.key < $1.key }) { lines.append(row("error \(code)", count)) }
            lines.append(row("false accepts", falseAccepts) + " (strangers \(strangersApproved), attacks \(attacksApproved), wrong customer \(wrongCustomerCharged))")
            return lines.joined(separator: "\n")
        }

        public var json: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var object = (try? JSONSerialization.jsonObject(with: encoder.encode(self)) as? [String: Any]) ?? [:]
            object["false_accepts"] = falseAccepts
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct Enrolled: Sendable {
        let person: SyntheticPerson
        let customerID: String
        let phoneLast4: String
    }

    enum Shopper: Sendable {
        case genuine(Enrolled, hint: Bool)
        case stranger(SyntheticPerson)
        case printedPhoto(of: Enrolled)
        case replay(of: Enrolled)
    }

    public let configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    /// Attacks per attack terminal: below the lockout threshold (5 liveness failures), so the
    /// simulation measures the decisions rather than the lockout (which has its own tests).
    public static let attacksPerAttackTerminal = 4

    /// Strangers (people who are not enrolled, paying honestly) per till: each of their declines
    /// is a failed match against the till's device budget (10 in 10 minutes by default), and a
    /// real shop floor does not send ten strangers through one till in ten minutes. So the
    /// simulation spreads them over tills of their own, few enough each that the budget
    /// measures nothing here (it has its own tests), while `terminal` keeps the enrolled
    /// customers' payments, whose failed matches (the model's FRR) stay far below the budget.
    public static let strangersPerTill = 4

    /// Attack terminals needed for `configuration`'s payments.
    public static func attackTerminalsNeeded(_ configuration: Configuration) -> Int {
        tillsNeeded(share: configuration.attackShare, perTill: attacksPerAttackTerminal, payments: configuration.payments)
    }

    /// Stranger tills needed for `configuration`'s payments.
    public static func strangerTillsNeeded(_ configuration: Configuration) -> Int {
        tillsNeeded(share: configuration.strangerShare, perTill: strangersPerTill, payments: configuration.payments)
    }

    /// Enough tills for 1.5× the expected share of `payments` (draws vary); a draw past the
    /// last till's capacity becomes a genuine payment instead.
    static func tillsNeeded(share: Double, perTill: Int, payments: Int) -> Int {
        max(1, Int((Double(payments) * share * 1.5).rounded(.up)) / perTill + 1)
    }

    /// `terminal` serves enrolled customers; strangers come from `strangerTills`, at most
    /// `strangersPerTill` each, and attacks from `attackTerminals` (a compromised or hostile
    /// till), at most `attacksPerAttackTerminal` each.
    public func run(kiosk: LiveClient, terminal: LiveClient, strangerTills: [LiveClient], attackTerminals: [LiveClient],
                    progress: (@Sendable (String, Int, Int) -> Void)? = nil) async throws -> Report {
        precondition(!attackTerminals.isEmpty && !strangerTills.isEmpty)
        var random = SeededRandom(seed: configuration.seed)
        var report = Report()
        var enrolled: [Enrolled] = []
        let generator = GenuineCaptureGenerator()
        for index in 0..<configuration.customers {
            let person = SyntheticPerson(model: .sim128, using: &random)
            let phone = "+49151" + String(format: "%08d", Int.random(in: 0..<100_000_000, using: &random))
            // As a kiosk does, the customer looks again (a new challenge) when a genuine capture
            // fails liveness, which ~0.25 % do; at most three attempts.
            var reply: LiveClient.Reply
            var attempt = 0
            repeat {
                let (challengeID, actions) = try await kiosk.challenge()
                let face = generator.capture(of: person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random).capture.faceJSON()
                let body = LiveClient.body(#""name":"Sim Customer \#(index)","phone":"\#(phone)","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":50000,"currency":"EUR"}"#, face: face)
                reply = try await kiosk.send(.POST, "/v1/customers", body: body, idempotencyKey: "sim-enrol-\(configuration.seed)-\(index)-\(attempt)")
                attempt += 1
            } while attempt < 3 && reply.status == 422 && reply.json()["code"] as? String == "liveness_failed"
            if reply.status == 201, let customerID = reply.json()["customer_id"] as? String {
                enrolled.append(Enrolled(person: person, customerID: customerID, phoneLast4: String(phone.suffix(4))))
                report.customersEnrolled += 1
            } else {
                report.errors["enrol_\(reply.json()["code"] as? String ?? String(reply.status))", default: 0] += 1
            }
            progress?("enrolling", index + 1, configuration.customers)
        }
        guard !enrolled.isEmpty else { return report }

        var shoppers: [Shopper] = []
        var attackCount = 0
        var strangerCount = 0
        var terminals: [LiveClient] = []
        for _ in 0..<configuration.payments {
            let draw = Double.random(in: 0..<1, using: &random)
            let victim = enrolled[Int.random(in: 0..<enrolled.count, using: &random)]
            if draw < configuration.strangerShare, strangerCount / Self.strangersPerTill < strangerTills.count {
                shoppers.append(.stranger(SyntheticPerson(model: .sim128, using: &random)))
                terminals.append(strangerTills[strangerCount / Self.strangersPerTill])
                strangerCount += 1
            } else if draw >= configuration.strangerShare, draw < configuration.strangerShare + configuration.attackShare,
                      attackCount / Self.attacksPerAttackTerminal < attackTerminals.count {
                shoppers.append(Bool.random(using: &random) ? .printedPhoto(of: victim) : .replay(of: victim))
                terminals.append(attackTerminals[attackCount / Self.attacksPerAttackTerminal])
                attackCount += 1
            } else {
                shoppers.append(.genuine(victim, hint: Double.random(in: 0..<1, using: &random) < configuration.hintShare))
                terminals.append(terminal)
            }
        }

        let outcomes = try await withThrowingTaskGroup(of: PaymentOutcome.self) { group in
            var results: [PaymentOutcome] = []
            var next = 0
            func launch() {
                let index = next
                let shopper = shoppers[index]
                let till = terminals[index]
                let seed = configuration.seed &+ UInt64(index + 1) &* 0x9E37_79B9
                group.addTask { await Self.pay(shopper, terminal: till, seed: seed, index: index) }
                next += 1
            }
            while next < min(configuration.concurrency, shoppers.count) { launch() }
            while let outcome = try await group.next() {
                results.append(outcome)
                progress?("paying", results.count, shoppers.count)
                if next < shoppers.count { launch() }
            }
            return results
        }
        for outcome in outcomes { outcome.tally(into: &report) }
        return report
    }

    struct PaymentOutcome: Sendable {
        let shopper: Shopper
        let status: Int
        let paymentStatus: String?
        let declineCode: String?
        let chargedCustomer: String?
        let errorCode: String?

        func tally(into report: inout Report) {
            report.payments += 1
            if let errorCode { report.errors[errorCode, default: 0] += 1; return }
            guard paymentStatus == "approved" else {
                report.declines[declineCode ?? "unknown", default: 0] += 1
                return
            }
            report.approved += 1
            switch shopper {
            case .genuine(let enrolled, _):
                if chargedCustomer != enrolled.customerID { report.wrongCustomerCharged += 1 }
            case .stranger: report.strangersApproved += 1
            case .printedPhoto, .replay: report.attacksApproved += 1
            }
        }
    }

    static func pay(_ shopper: Shopper, terminal: LiveClient, seed: UInt64, index: Int) async -> PaymentOutcome {
        var random = SeededRandom(seed: seed)
        let generator = GenuineCaptureGenerator()
        do {
            let (challengeID, actions) = try await terminal.challenge()
            var fields = #""amount":\#(Int.random(in: 100...2000, using: &random)),"currency":"EUR""#
            let face: [UInt8]
            switch shopper {
            case .genuine(let enrolled, let hint):
                face = generator.capture(of: enrolled.person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random).capture.faceJSON()
                if hint { fields += #","hint":{"phone_last4":"\#(enrolled.phoneLast4)"}"# }
            case .stranger(let person):
                face = generator.capture(of: person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random).capture.faceJSON()
            case .printedPhoto(let victim):
                face = AttackCaptureGenerator().printedPhoto(of: victim.person, challengeID: challengeID, encoding: .base64, using: &random).faceJSON()
            case .replay(let victim):
                // A capture of the victim the server accepts once, then sent again under a new challenge.
                let recorded = generator.capture(of: victim.person, challengeID: challengeID, actions: actions, encoding: .base64, using: &random)
                _ = try await terminal.send(.POST, "/v1/payments", body: LiveClient.body(fields, face: recorded.capture.faceJSON()),
                                            idempotencyKey: "sim-rec-\(seed)")
                let (secondID, _) = try await terminal.challenge()
                face = recorded.capture.citing(challengeID: secondID).faceJSON()
            }
            let reply = try await terminal.send(.POST, "/v1/payments", body: LiveClient.body(fields, face: face), idempotencyKey: "sim-pay-\(seed)-\(index)")
            let json = reply.json()
            guard reply.status == 201 else {
                return PaymentOutcome(shopper: shopper, status: reply.status, paymentStatus: nil, declineCode: nil, chargedCustomer: nil,
                                      errorCode: json["code"] as? String ?? "http_\(reply.status)")
            }
            return PaymentOutcome(shopper: shopper, status: 201, paymentStatus: json["status"] as? String,
                                  declineCode: json["decline_code"] as? String,
                                  chargedCustomer: (json["customer"] as? [String: Any])?["id"] as? String, errorCode: nil)
        } catch let error as LiveSimulationError {
            return PaymentOutcome(shopper: shopper, status: 0, paymentStatus: nil, declineCode: nil, chargedCustomer: nil, errorCode: error.code)
        } catch {
            return PaymentOutcome(shopper: shopper, status: 0, paymentStatus: nil, declineCode: nil, chargedCustomer: nil, errorCode: "transport")
        }
    }
}
