import FacePayCore
import Foundation

/// The whole ledger in memory: the same rules as the SQLite store, with none of its I/O.
///
/// It is the reference model: unit tests drive it directly, and the storage tests run the same
/// random workload against it and against SQLite and compare. Ids are sequential so runs are
/// reproducible from a seed.
public struct LedgerBook: Sendable {
    public private(set) var accounts: [String: Account] = [:]
    public private(set) var transfers: [Transfer] = []
    public private(set) var payments: [String: Payment] = [:]
    public private(set) var refunds: [Refund] = []
    private var transferIndex: [String: Int] = [:]
    private var holdResolutions: [String: TransferKind] = [:]
    private var nextNumber = 1

    public init() {}

    private mutating func makeID(_ prefix: IDPrefix) -> String {
        defer { nextNumber += 1 }
        return "\(prefix.rawValue)_\(nextNumber)"
    }

    @discardableResult
    public mutating func createAccount(kind: AccountKind, ownerID: String, currency: Currency,
                                       debitsMustNotExceedCredits: Bool? = nil, paymentLimitMinor: Int64? = nil,
                                       dailyLimitMinor: Int64? = nil, now: Date) -> Account {
        let account = Account(id: makeID(.account), kind: kind, ownerID: ownerID, currency: currency,
                              debitsMustNotExceedCredits: debitsMustNotExceedCredits,
                              paymentLimitMinor: paymentLimitMinor, dailyLimitMinor: dailyLimitMinor, createdAt: now)
        accounts[account.id] = account
        return account
    }

    public mutating func setFrozen(_ frozen: Bool, accountID: String) {
        accounts[accountID]?.frozen = frozen
    }

    public func account(_ id: String) -> Account? { accounts[id] }

    public func holdState(_ id: String?) -> HoldState? {
        guard let id, let index = transferIndex[id] else { return nil }
        return HoldState(hold: transfers[index], resolution: holdResolutions[id])
    }

    /// What the wallet has spent on the UTC day of `now` (see `Payment.dailySpendMinor`).
    public func spentToday(accountID: String, now: Date) -> Int64 {
        let day = UTCDay.bounds(containing: now)
        return payments.values.lazy
            .filter { $0.accountID == accountID && $0.createdAt >= day.start && $0.createdAt < day.end }
            .reduce(0) { $0 + $1.dailySpendMinor }
    }

    public mutating func deposit(accountID: String, funding fundingID: String, amount: Money, now: Date) -> LedgerOutcome<TransferEffect> {
        let outcome = PaymentRules.deposit(into: accounts[accountID], from: accounts[fundingID], amount: amount,
                                           transferID: makeID(.transfer), deviceID: nil, now: now)
        if case .accepted(let effect) = outcome { record(effect) }
        return outcome
    }

    public mutating func pay(walletID: String, merchantAccountID: String, amount: Money, captureMethod: CaptureMethod,
                             holdExpiresAt: Date? = nil, now: Date) -> PaymentDecision {
        let merchant = accounts[merchantAccountID]
        let request = PaymentRequest(paymentID: makeID(.payment), amount: amount, captureMethod: captureMethod,
                                     customerID: accounts[walletID]?.ownerID, walletAccountID: walletID,
                                     merchantID: merchant?.ownerID ?? "M", deviceID: "T-MODEL",
                                     holdExpiresAt: holdExpiresAt)
        let decision = PaymentRules.pay(request, wallet: accounts[walletID], merchantAccount: merchant,
                                        spentTodayMinor: spentToday(accountID: walletID, now: now),
                                        transferID: makeID(.transfer), now: now)
        switch decision {
        case .accepted(let step): record(step)
        case .declined(let payment): payments[payment.id] = payment
        case .rejected: break
        }
        return decision
    }

    public mutating func capture(paymentID: String, amountMinor: Int64?, now: Date) -> LedgerOutcome<PaymentStep> {
        let payment = payments[paymentID]
        let outcome = PaymentRules.capture(payment, hold: holdState(payment?.holdTransferID),
                                           wallet: payment?.accountID.flatMap { accounts[$0] },
                                           merchantAccount: payment?.merchantAccountID.flatMap { accounts[$0] },
                                           amountMinor: amountMinor, transferID: makeID(.transfer), deviceID: nil, now: now)
        if case .accepted(let step) = outcome { record(step) }
        return outcome
    }

    public mutating func void(paymentID: String, now: Date) -> LedgerOutcome<PaymentStep> {
        let payment = payments[paymentID]
        let outcome = PaymentRules.void(payment, hold: holdState(payment?.holdTransferID),
                                        wallet: payment?.accountID.flatMap { accounts[$0] },
                                        merchantAccount: payment?.merchantAccountID.flatMap { accounts[$0] },
                                        transferID: makeID(.transfer), deviceID: nil, now: now)
        if case .accepted(let step) = outcome { record(step) }
        return outcome
    }

    /// Expires every authorized payment whose hold is past due; returns the payments expired.
    @discardableResult
    public mutating func expireDueHolds(now: Date) -> [String] {
        let due = payments.values.filter { $0.status == .authorized && ($0.expiresAt ?? .distantFuture) <= now }
            .sorted { ($0.expiresAt!, $0.id) < ($1.expiresAt!, $1.id) }
        var expired: [String] = []
        for payment in due {
            let outcome = PaymentRules.expire(payment, hold: holdState(payment.holdTransferID),
                                              wallet: payment.accountID.flatMap { accounts[$0] },
                                              merchantAccount: payment.merchantAccountID.flatMap { accounts[$0] },
                                              transferID: makeID(.transfer), now: now)
            if case .accepted(let step) = outcome {
                record(step)
                expired.append(payment.id)
            }
        }
        return expired
    }

    public mutating func refund(paymentID: String, amountMinor: Int64, now: Date) -> LedgerOutcome<PaymentStep> {
        let payment = payments[paymentID]
        let outcome = PaymentRules.refund(payment, wallet: payment?.accountID.flatMap { accounts[$0] },
                                          merchantAccount: payment?.merchantAccountID.flatMap { accounts[$0] },
                                          amountMinor: amountMinor, refundID: makeID(.refund),
                                          transferID: makeID(.transfer), deviceID: nil, now: now)
        if case .accepted(let step) = outcome { record(step) }
        return outcome
    }

    private mutating func record(_ step: PaymentStep) {
        record(step.effect)
        payments[step.payment.id] = step.payment
        if let refund = step.refund { refunds.append(refund) }
    }

    private mutating func record(_ effect: TransferEffect) {
        transferIndex[effect.transfer.id] = transfers.count
        transfers.append(effect.transfer)
        accounts[effect.debitAccount.id] = effect.debitAccount
        accounts[effect.creditAccount.id] = effect.creditAccount
        if let pendingID = effect.transfer.pendingID { holdResolutions[pendingID] = effect.transfer.kind }
    }

    /// Every ledger invariant, recomputed from the transfers; empty when the books are sound.
    public func invariantViolations() -> [String] {
        var violations: [String] = []
        var expected: [String: (dPend: Int64, dPost: Int64, cPend: Int64, cPost: Int64)] = [:]
        for id in accounts.keys { expected[id] = (0, 0, 0, 0) }
        var holdAmounts: [String: Int64] = [:]
        for transfer in transfers {
            let amount = transfer.amountMinor
            if amount <= 0 { violations.append("transfer \(transfer.id) amount \(amount) is not positive") }
            if accounts[transfer.debitAccountID]?.currency != transfer.currency
                || accounts[transfer.creditAccountID]?.currency != transfer.currency {
                violations.append("transfer \(transfer.id) currency differs from its accounts'")
            }
            switch transfer.kind {
            case .deposit, .payment, .refund:
                expected[transfer.debitAccountID]!.dPost += amount
                expected[transfer.creditAccountID]!.cPost += amount
            case .hold:
                holdAmounts[transfer.id] = amount
                expected[transfer.debitAccountID]!.dPend += amount
                expected[transfer.creditAccountID]!.cPend += amount
            case .capture, .void, .expiry:
                let held = holdAmounts[transfer.pendingID ?? ""] ?? 0
                expected[transfer.debitAccountID]!.dPend -= held
                expected[transfer.creditAccountID]!.cPend -= held
                if transfer.kind == .capture {
                    expected[transfer.debitAccountID]!.dPost += amount
                    expected[transfer.creditAccountID]!.cPost += amount
                }
            }
        }
        var debits: Int64 = 0, credits: Int64 = 0
        for (id, account) in accounts.sorted(by: { $0.key < $1.key }) {
            let sums = expected[id]!
            if (account.debitsPending, account.debitsPosted, account.creditsPending, account.creditsPosted)
                != (sums.dPend, sums.dPost, sums.cPend, sums.cPost) {
                violations.append("account \(id) counters differ from its transfers")
            }
            if account.kind == .customerWallet && account.availableMinor < 0 {
                violations.append("wallet \(id) is below zero")
            }
            debits += account.debitsPending + account.debitsPosted
            credits += account.creditsPending + account.creditsPosted
        }
        if debits != credits { violations.append("total debits \(debits) != total credits \(credits)") }
        for payment in payments.values where payment.refundedMinor > payment.capturedMinor {
            violations.append("payment \(payment.id) refunded more than captured")
        }
        return violations
    }
}
