import FacePayCore
import Foundation
import Ledger
import Stores
import Synchronization

/// The contract tests' vocabulary: frames, an enrolment, a payment and a change, each through
/// the store protocols only.
enum Contract {
    static let model = "sim-128"

    struct Refused: Error {}

    /// Values seen inside a unit's closures, read after it.
    final class Seen: Sendable {
        private let seen = Mutex<[Int64]>([])
        func add(_ value: Int64) { seen.withLock { $0.append(value) } }
        var values: [Int64] { seen.withLock { $0 } }
    }

    static func frame(device: String, key: String, body: String? = nil) -> IdempotencyFrame {
        IdempotencyFrame(deviceID: device, key: key, fingerprint: RequestFingerprint(method: "POST", path: "/contract", body: Data((body ?? key).utf8)),
                         now: Date())
    }

    static func newEnrolment(customerID: String, depositMinor: Int64, captureID: Int64 = Int64.random(in: 1...Int64.max)) -> NewEnrolment {
        var template = [Float](repeating: 0, count: 128)
        template[Int.random(in: 0..<128)] = 1
        return NewEnrolment(customerID: customerID, fullName: "Contract Customer", phoneE164: "+4915112345678", consentVersion: "2026-01",
                            kioskID: kiosk, initialDeposit: Money(amountMinor: depositMinor, currency: euro), template: template,
                            modelID: model, captureID: captureID)
    }

    /// Enrols a new customer whose wallet gets `depositMinor`; the stored answer is the account id.
    static func enrol(_ stores: BackendStores, depositMinor: Int64, frame: IdempotencyFrame)
        async throws -> (customerID: String, accountID: String, response: IdempotentResponse) {
        let enrolment = newEnrolment(customerID: LedgerIdentifier.make(.customer), depositMinor: depositMinor)
        let response = try await stores.customers.enrol(enrolment, frame: frame) { account, deposit in
            if case .rejected? = deposit { throw Refused() }
            return StoredResponse(status: 201, body: Data(account.id.utf8))
        }
        return (enrolment.customerID, String(decoding: response.body, as: UTF8.self), response)
    }

    /// A matched payment from the customer's wallet; the stored answer is "<payment id> <status>".
    /// A payment of the contract's merchant; `refuse` makes its respond throw after the unit has
    /// written everything (so all of it must roll back).
    static func pay(_ stores: BackendStores, customerID: String, amountMinor: Int64, key: String, manual: Bool = false,
                    paymentID: String = LedgerIdentifier.make(.payment),
                    refuse: Bool = false) async throws -> (paymentID: String, status: String, response: IdempotentResponse) {
        let payment = MatchedPayment(paymentID: paymentID, amount: Money(amountMinor: amountMinor, currency: euro),
                                     captureMethod: manual ? .manual : .automatic, customerID: customerID, merchantID: merchant,
                                     deviceID: terminal, reference: nil, holdExpiresAt: manual ? Date().addingTimeInterval(3_600) : nil,
                                     auditDetail: [:], template: TemplateUse(customerID: customerID, modelID: model, captureID: nil))
        let response = try await stores.ledger.pay(payment, attempts: .none, frame: frame(device: terminal, key: key)) { decision, customer in
            precondition(customer.id == customerID)
            if refuse { throw Refused() }
            let status = switch decision {
            case .accepted(let step): step.payment.status.rawValue
            case .declined(let payment): "declined:\(payment.declineCode ?? "")"
            case .rejected: throw Refused()
            }
            return StoredResponse(status: 201, body: Data("\(paymentID) \(status)".utf8))
        }
        let fields = String(decoding: response.body, as: UTF8.self).split(separator: " ")
        return (String(fields[0]), String(fields[1]), response)
    }

    /// `count` payments of `amountMinor` by one customer at once; their statuses as `pay` reports them.
    static func payConcurrently(_ stores: BackendStores, customerID: String, count: Int, amountMinor: Int64,
                                keyPrefix: String) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<count {
                group.addTask { try await pay(stores, customerID: customerID, amountMinor: amountMinor, key: "\(keyPrefix)-\(index)").status }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
    }

    /// The merchant's first payment, by another customer: it opens the merchant's account, so the
    /// payments after it can run together (a batching store runs a merchant's first payment alone).
    static func openMerchantAccount(_ stores: BackendStores) async throws {
        let (customerID, _, _) = try await enrol(stores, depositMinor: 100, frame: frame(device: kiosk, key: "opener"))
        let opened = try await pay(stores, customerID: customerID, amountMinor: 10, key: "opener-pays")
        precondition(opened.status == "approved")
    }

    /// A change to a payment, reporting what `respond` saw (the step, or the refusal's code).
    static func change(_ stores: BackendStores, _ change: PaymentChange, _ paymentID: String, key: String)
        async throws -> (step: PaymentStep?, code: LedgerResultCode?, customer: Customer?) {
        let seen = Mutex<(PaymentStep?, LedgerResultCode?, Customer?)>((nil, nil, nil))
        _ = try? await stores.ledger.change(change, paymentID: paymentID, frame: frame(device: terminal, key: key)) { outcome, customer in
            switch outcome {
            case .accepted(let step):
                seen.withLock { $0 = (step, nil, customer) }
                return StoredResponse(status: 200, body: Data())
            case .rejected(let code):
                seen.withLock { $0 = (nil, code, customer) }
                throw Refused()
            }
        }
        return seen.withLock { $0 }
    }

    static func events(_ stores: BackendStores, _ action: String) async throws -> [AuditEvent] {
        try await stores.audit.auditEvents(AuditEventQuery(action: action, limit: 500)).events
    }
}
