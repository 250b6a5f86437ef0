import FacePayCore
import FacePayWire
import Foundation
import Ledger
@testable import Payments
import Synchronization
import Testing

/// The use cases' own rules, without a server: the shape checks of what a caller sends, the
/// deposit caps and the mapping of ledger refusals to stable codes.
@Suite("Payments: the use cases' rules")
struct PaymentRulesOfTheUseCasesTests {
    @Test(arguments: [Int64(0), -1, Int64.min])
    func amountsMustBePositive(amount: Int64) {
        #expect { try PaymentsService.positiveAmount(amount) } throws: { ($0 as? FacePayError)?.code == "invalid_request" }
    }

    @Test func positiveAmountsPass() throws {
        #expect(try PaymentsService.positiveAmount(1) == 1)
        #expect(try PaymentsService.positiveAmount(.max) == .max)
    }

    @Test func hintBucketIsExactlyFourASCIIDigits() throws {
        #expect(try PaymentsService.hintBucket(nil) == nil)
        #expect(try PaymentsService.hintBucket(hint("0042")) == "0042")
        for bad in ["042", "00421", "12a4", "١٢٣٤", ""] {
            #expect(throws: FacePayError.self) { try PaymentsService.hintBucket(hint(bad)) }
        }
    }

    @Test func captureMethodDefaultsToAutomatic() throws {
        #expect(try PaymentsService.captureMethod(nil) == .automatic)
        #expect(try PaymentsService.captureMethod("manual") == .manual)
        #expect(throws: FacePayError.self) { try PaymentsService.captureMethod("Manual") }
    }

    @Test func ledgerRefusalsKeepTheirCodes() {
        #expect(PaymentsService.ledgerError(.insufficientFunds).code == "insufficient_funds")
        #expect(PaymentsService.ledgerError(.paymentNotFound).kind == .notFound)
        #expect(PaymentsService.ledgerError(.exceedsPendingTransferAmount).code == "capture_exceeds_authorized")
        #expect(PaymentsService.ledgerError(.refundExceedsCaptured).code == "refund_exceeds_captured")
        #expect(PaymentsService.ledgerError(.pendingTransferExpired).code == "payment_not_authorized")
    }

    @Test func theHoldDefaultIsTheLedgers() {
        #expect(PaymentsSettings().holdDurationSeconds == PaymentRules.holdDurationSecondsDefault)
        #expect(PaymentsSettings().idempotencyKeyCharactersMax == Limits().idempotencyKeyCharactersMax)
    }
}

@Suite("Payments: deposit caps")
struct DepositCapsTests {
    let caps = DepositCaps()

    @Test func perDepositCap() throws {
        try caps.checkAmount(caps.perDepositMaxMinor)
        #expect { try caps.checkAmount(caps.perDepositMaxMinor + 1) } throws: { ($0 as? FacePayError)?.code == "deposit_limit_exceeded" }
    }

    @Test func perDayCapCountsWhatTheWalletTookToday() throws {
        try caps.check(caps.perDepositMaxMinor, depositedTodayMinor: caps.perDayMaxMinor - caps.perDepositMaxMinor)
        #expect(throws: FacePayError.self) { try caps.check(1, depositedTodayMinor: caps.perDayMaxMinor) }
        // A day's total near Int64.max cannot overflow into an accepted deposit.
        #expect(throws: FacePayError.self) { try caps.check(1, depositedTodayMinor: .max) }
    }

    @Test func theDayIsTheUTCDay() {
        let lateEvening = Date(timeIntervalSince1970: 86_400 * 20_000 + 86_399)
        #expect(DepositCaps.startOfUTCDay(lateEvening) == Date(timeIntervalSince1970: 86_400 * 20_000))
        #expect(DepositCaps.startOfUTCDay(Date(timeIntervalSince1970: 86_400 * 20_001)) == Date(timeIntervalSince1970: 86_400 * 20_001))
    }
}

@Suite("Payments: concurrency helpers")
struct ConcurrencyHelperTests {
    @Test func anIdempotencyKeyIsClaimedOncePerDevice() {
        let keys = InFlightIdempotencyKeys()
        #expect(keys.claim(deviceID: "T-1", key: "k"))
        #expect(!keys.claim(deviceID: "T-1", key: "k"))
        // Keys are scoped to the device: another terminal may use the same text.
        #expect(keys.claim(deviceID: "T-2", key: "k"))
        keys.release(deviceID: "T-1", key: "k")
        #expect(keys.claim(deviceID: "T-1", key: "k"))
        keys.release(deviceID: "T-1", key: "k")
        keys.release(deviceID: "T-2", key: "k")
        #expect(keys.count == 0)
    }

    @Test func theSerialGateLetsOneBodyRunAtATime() async throws {
        let gate = AsyncSerialGate()
        let probe = OverlapProbe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await gate.run {
                        probe.enter()
                        await Task.yield()
                        probe.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(probe.maximum == 1)
        #expect(probe.entries == 16)
    }
}

/// A hint as a terminal sends it.
private func hint(_ digits: String) throws -> HintBody {
    try JSONDecoder().decode(HintBody.self, from: Data("{\"phone_last4\":\"\(digits)\"}".utf8))
}

/// Counts bodies running at once.
private final class OverlapProbe: Sendable {
    private let state = Mutex<(running: Int, maximum: Int, entries: Int)>((0, 0, 0))

    func enter() { state.withLock { $0.running += 1; $0.maximum = max($0.maximum, $0.running); $0.entries += 1 } }
    func leave() { state.withLock { $0.running -= 1 } }
    var maximum: Int { state.withLock { $0.maximum } }
    var entries: Int { state.withLock { $0.entries } }
}
