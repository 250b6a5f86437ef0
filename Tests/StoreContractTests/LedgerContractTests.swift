import FacePayCore
import Foundation
import Ledger
import Stores
import Testing

/// The ledger's and the customer store's units of work, as every backend must commit them.
@Suite("store contract: ledger units, idempotency, erasure, audit chain")
struct LedgerContractTests {
    @Test("enrolment is one unit: customer, wallet, deposit, template and event; its answer is stored under the key", arguments: StoreBackend.allCases)
    func enrolmentIsOneStoredUnit(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let frame = Contract.frame(device: kiosk, key: "enrol-1")
            let (customerID, accountID, first) = try await Contract.enrol(stores, depositMinor: 7_000, frame: frame)
            #expect(!first.replayed)
            #expect(try await stores.customers.customer(id: customerID)?.accountID == accountID)
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 7_000)
            #expect(try await Contract.events(stores, "customer.enrolled").map(\.subject) == [customerID])

            // The same key and request: the stored answer, byte for byte, and nothing runs again.
            let stored = try await stores.idempotency.storedResponse(deviceID: kiosk, key: "enrol-1", fingerprint: frame.fingerprint)
            #expect(stored == IdempotentResponse(status: first.status, body: first.body, replayed: true))
            let (otherID, _, again) = try await Contract.enrol(stores, depositMinor: 7_000, frame: frame)
            #expect(again.replayed && again.body == first.body)
            #expect(try await stores.customers.customer(id: otherID) == nil)
            // The same key with another request: a conflict, from the read and from the unit.
            let changed = Contract.frame(device: kiosk, key: "enrol-1", body: "another body")
            await #expect { try await stores.idempotency.storedResponse(deviceID: kiosk, key: "enrol-1", fingerprint: changed.fingerprint) }
                throws: { ($0 as? FacePayError)?.code == "idempotency_conflict" }
            await #expect { _ = try await Contract.enrol(stores, depositMinor: 7_000, frame: changed) }
                throws: { ($0 as? FacePayError)?.code == "idempotency_conflict" }
            // The key is the device's: another device may use the same text.
            #expect(try await stores.idempotency.storedResponse(deviceID: terminal, key: "enrol-1", fingerprint: frame.fingerprint) == nil)
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("a unit whose respond throws leaves nothing and stores nothing; a retry runs it", arguments: StoreBackend.allCases)
    func throwingRespondRollsBack(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let frame = Contract.frame(device: kiosk, key: "enrol-undone")
            let enrolment = Contract.newEnrolment(customerID: LedgerIdentifier.make(.customer), depositMinor: 500)
            await #expect(throws: Contract.Refused.self) {
                _ = try await stores.customers.enrol(enrolment, frame: frame) { _, _ in throw Contract.Refused() }
            }
            #expect(try await stores.customers.customer(id: enrolment.customerID) == nil)
            #expect(try await stores.idempotency.storedResponse(deviceID: kiosk, key: "enrol-undone", fingerprint: frame.fingerprint) == nil)
            #expect(try await Contract.events(stores, "customer.enrolled").isEmpty)
            let retried = try await stores.customers.enrol(enrolment, frame: frame) { _, _ in StoredResponse(status: 201, body: Data("ok".utf8)) }
            #expect(!retried.replayed)
            #expect(try await stores.customers.customer(id: enrolment.customerID) != nil)
        }
    }

    @Test("40 concurrent payments against a wallet that affords 7: exactly 7 approved, balance 0", arguments: StoreBackend.allCases)
    func concurrentPaymentsNeverOverdraw(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            try await Contract.openMerchantAccount(stores)
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 70, frame: Contract.frame(device: kiosk, key: "e"))
            let statuses = try await Contract.payConcurrently(stores, customerID: customerID, count: 40, amountMinor: 10, keyPrefix: "pay")
            try await Self.expectSevenOfForty(stores, statuses, accountID: accountID)
        }
    }

    /// 40 payments of 10 against a wallet of 70: 7 approved, 33 declined, each once in the chain.
    static func expectSevenOfForty(_ stores: BackendStores, _ statuses: [String], accountID: String) async throws {
        #expect(statuses.filter { $0 == "approved" }.count == 7)
        #expect(statuses.filter { $0 == "declined:insufficient_funds" }.count == 33)
        #expect(try await stores.audit.account(id: accountID)?.availableMinor == 0)
        #expect(try await Contract.events(stores, "payment.approved").count == 7 + 1)
        #expect(try await Contract.events(stores, "payment.declined").count == 33)
        #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
    }

    @Test("on PostgreSQL, a batch whose set of payments fails runs every payment alone: nothing lost, nothing twice",
          arguments: StoreBackend.allCases.filter { $0 == .postgres })
    func failedSetRunsAlone(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            try await Contract.openMerchantAccount(stores)
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 70, frame: Contract.frame(device: kiosk, key: "e"))
            // The next statement that inserts payments fails once (a sequence is not rolled back
            // with the transaction): that is the first batch's set, never a lone unit's retry.
            try await stores.tamper("CREATE SEQUENCE injected_failures")
            try await stores.tamper("""
                CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('injected_failures') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
                    RETURN NULL;
                END $$
                """)
            try await stores.tamper("CREATE TRIGGER fail_once BEFORE INSERT ON payments FOR EACH STATEMENT EXECUTE FUNCTION fail_once()")
            let statuses = try await Contract.payConcurrently(stores, customerID: customerID, count: 40, amountMinor: 10, keyPrefix: "pay")
            try await stores.tamper("""
                DO $$ BEGIN IF (SELECT last_value FROM injected_failures) < 2 THEN RAISE EXCEPTION 'no set failed'; END IF; END $$
                """)
            try await Self.expectSevenOfForty(stores, statuses, accountID: accountID)
        }
    }

    @Test("a wallet's daily limit holds across concurrent payments: the day's spend counts every payment before it", arguments: StoreBackend.allCases)
    func dailyLimitUnderConcurrency(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            try await Contract.openMerchantAccount(stores)
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            // The operator's setting (no API sets it): at most 25 a day.
            try await stores.tamper("UPDATE accounts SET daily_limit = 25 WHERE id = '\(accountID)'")
            _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 5, key: "first")
            let statuses = try await Contract.payConcurrently(stores, customerID: customerID, count: 12, amountMinor: 10, keyPrefix: "limited")
            // 5 spent, then two of 10 fit under 25; the other ten are declined.
            #expect(statuses.filter { $0 == "approved" }.count == 2, "\(statuses)")
            #expect(statuses.filter { $0.hasPrefix("declined:") }.count == 10, "\(statuses)")
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 1_000 - 25)
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("units that fail among concurrent ones are undone alone; the others commit", arguments: StoreBackend.allCases)
    func failingUnitsAmongConcurrentOnes(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            try await Contract.openMerchantAccount(stores)
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            // Interleaved, so that a batching store puts failing and succeeding units in one batch.
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<48 {
                    group.addTask {
                        let paid = try? await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "mixed-\(index)",
                                                           refuse: index % 3 == 0)
                        return (index, paid?.status == "approved")
                    }
                }
                return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes.filter { $0.value }.map(\.key).sorted() == (0..<48).filter { $0 % 3 != 0 })
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 1_000 - 32 * 10)
            #expect(try await Contract.events(stores, "payment.approved").count == 32 + 1)
            for index in stride(from: 0, to: 48, by: 3) {
                let fingerprint = Contract.frame(device: terminal, key: "mixed-\(index)").fingerprint
                #expect(try await stores.idempotency.storedResponse(deviceID: terminal, key: "mixed-\(index)", fingerprint: fingerprint) == nil)
            }
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("the same key sent twice at once makes one payment, and both get its answer", arguments: StoreBackend.allCases)
    func duplicateKeyRaceMakesOnePayment(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            try await Contract.openMerchantAccount(stores)
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            let paymentID = LedgerIdentifier.make(.payment)
            let answers = try await withThrowingTaskGroup(of: IdempotentResponse.self) { group in
                for _ in 0..<2 {
                    group.addTask { try await Contract.pay(stores, customerID: customerID, amountMinor: 100, key: "same", paymentID: paymentID).response }
                }
                return try await group.reduce(into: [IdempotentResponse]()) { $0.append($1) }
            }
            #expect(answers.filter { !$0.replayed }.count == 1)
            #expect(Set(answers.map(\.body)).count == 1)
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 900)
        }
    }

    @Test("capture, void and refund follow the payment's state", arguments: StoreBackend.allCases)
    func paymentChanges(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 1_000, frame: Contract.frame(device: kiosk, key: "e"))
            let held = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "hold-1", manual: true)
            #expect(held.status == "authorized")
            let captured = try await Contract.change(stores, .capture(amountMinor: 4), held.paymentID, key: "capture-1")
            #expect(captured.step?.payment.capturedMinor == 4)
            #expect(captured.customer?.id == customerID, "respond gets the payment's customer")
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 996, "the rest of the hold went back")
            let refunded = try await Contract.change(stores, .refund(amountMinor: nil), held.paymentID, key: "refund-1")
            #expect(refunded.step?.refund?.amountMinor == 4)
            #expect(try await Contract.change(stores, .refund(amountMinor: nil), held.paymentID, key: "refund-2").code == .paymentNotRefundable)
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 1_000)

            let second = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "hold-2", manual: true)
            #expect(try await Contract.change(stores, .void, second.paymentID, key: "void-2").step?.payment.status == .voided)
            #expect(try await Contract.change(stores, .capture(amountMinor: nil), second.paymentID, key: "capture-2").code != nil)
            #expect(try await Contract.change(stores, .void, "pay_doesnotexist", key: "void-x").code != nil)
            #expect(try await stores.ledger.payment(id: second.paymentID)?.status == .voided)
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("a deposit's admit sees the wallet's day total inside the unit; refused or unknown, nothing moves", arguments: StoreBackend.allCases)
    func depositAdmission(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 700, frame: Contract.frame(device: kiosk, key: "e"))
            let totals = Contract.Seen()
            let deposit = WalletDeposit(customerID: customerID, amount: Money(amountMinor: 300, currency: euro), depositsCountedSince: .distantPast)
            let posted = try await stores.ledger.deposit(deposit, frame: Contract.frame(device: kiosk, key: "d-1"), admit: { customer, total in
                totals.add(customer == nil ? -1 : total)
            }, respond: { _, outcome, balance in
                StoredResponse(status: outcome.value == nil ? 422 : 201, body: Data("\(balance)".utf8))
            })
            #expect(posted.status == 201 && String(decoding: posted.body, as: UTF8.self) == "1000")
            await #expect(throws: Contract.Refused.self) {
                _ = try await stores.ledger.deposit(deposit, frame: Contract.frame(device: kiosk, key: "d-2"), admit: { _, total in
                    totals.add(total)
                    throw Contract.Refused()
                }, respond: { _, _, _ in StoredResponse(status: 201, body: Data()) })
            }
            #expect(totals.values == [700, 1_000])
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 1_000)
            let unknown = WalletDeposit(customerID: "cus_nobody", amount: Money(amountMinor: 1, currency: euro), depositsCountedSince: .distantPast)
            await #expect {
                _ = try await stores.ledger.deposit(unknown, frame: Contract.frame(device: kiosk, key: "d-3"), admit: { customer, _ in
                    totals.add(customer == nil ? -1 : 0)
                }, respond: { _, _, _ in StoredResponse(status: 201, body: Data()) })
            } throws: { ($0 as? FacePayError)?.code == "not_found" }
            #expect(totals.values.last == -1)
        }
    }

    @Test("a declined payment and the failed attempts it carries are recorded together", arguments: StoreBackend.allCases)
    func declinedWithAttempts(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let declined = DeclinedPayment(paymentID: LedgerIdentifier.make(.payment), amount: Money(amountMinor: 500, currency: euro),
                                           captureMethod: .automatic, declineCode: "no_match", merchantID: merchant, deviceID: terminal,
                                           reference: "till 4", auditDetail: ["match_decision": .string("no_match")])
            let attempts = FailedAttempts(failures: [AttemptFailure(budget: "device_match", subject: terminal)],
                                          audits: [AuditEntry(actor: terminal, action: "device.locked", subject: terminal,
                                                              detail: ["reason": .string("match_failures")])])
            let answer = try await stores.ledger.recordDeclined(declined, attempts: attempts, frame: Contract.frame(device: terminal, key: "p")) { payment in
                StoredResponse(status: 201, body: Data(payment.id.utf8))
            }
            #expect(String(decoding: answer.body, as: UTF8.self) == declined.paymentID)
            let payment = try await stores.ledger.payment(id: declined.paymentID)
            #expect(payment?.status == .declined && payment?.declineCode == "no_match" && payment?.reference == "till 4")
            #expect(try await Contract.events(stores, "payment.declined").map(\.subject) == [declined.paymentID])
            #expect(try await Contract.events(stores, "device.locked").map(\.subject) == [terminal])
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("erasure deletes every template, marks the customer and is stored; the money stays", arguments: StoreBackend.allCases)
    func erasure(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, accountID, _) = try await Contract.enrol(stores, depositMinor: 250, frame: Contract.frame(device: kiosk, key: "e"))
            try await stores.customers.recordFaceAttempt(
                AuditEntry(actor: terminal, action: "verification.accepted", subject: customerID, detail: [:]), attempts: .none,
                used: TemplateUse(customerID: customerID, modelID: Contract.model, captureID: nil), now: Date())
            let frame = Contract.frame(device: kiosk, key: "erase")
            let rows = Contract.Seen()
            let (first, _) = try await stores.customers.eraseBiometrics(customerID: customerID, captureID: 1, frame: frame) { removed in
                rows.add(Int64(removed))
                return StoredResponse(status: 204, body: Data())
            }
            #expect(first.status == 204 && !first.replayed)
            #expect(rows.values == [1])
            #expect(try await stores.customers.customer(id: customerID)?.biometricsErasedAt != nil)
            #expect(try await stores.audit.account(id: accountID)?.availableMinor == 250)
            #expect(try await Contract.events(stores, "customer.biometrics_erased").map(\.subject) == [customerID])
            let (again, forgotten) = try await stores.customers.eraseBiometrics(customerID: customerID, captureID: 1, frame: frame) { _ in
                Issue.record("a replayed erasure ran again")
                return StoredResponse(status: 204, body: Data())
            }
            #expect(again.replayed && forgotten.isEmpty)
            #expect(try await stores.customers.completeErasure(customerID: customerID, erasedAt: Date(), attemptsMax: 20))
            #expect(try await stores.audit.verifyIntegrity(newSinceLastRun: 10).ok)
        }
    }

    @Test("retention purges only templates still unused since the cutoff, each purge audited", arguments: StoreBackend.allCases)
    func retentionPurge(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, _, _) = try await Contract.enrol(stores, depositMinor: 0, frame: Contract.frame(device: kiosk, key: "e"))
            let future = Date().addingTimeInterval(3_600)
            #expect(try await stores.customers.customersWithTemplatesUnused(since: Date().addingTimeInterval(-3_600), limit: 10).isEmpty)
            #expect(try await stores.customers.customersWithTemplatesUnused(since: future, limit: 10) == [customerID])
            try await stores.customers.purgeTemplates(of: [customerID], unusedSince: future, now: Date())
            #expect(try await stores.customers.customersWithTemplatesUnused(since: future, limit: 10).isEmpty)
            #expect(try await Contract.events(stores, "customer.template_purged").map(\.subject) == [customerID])
            try await stores.customers.compactAfterDeletion()
        }
    }
}
