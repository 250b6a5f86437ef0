import FacePayCore
import Foundation

/// The double-entry state machine for one transfer (TigerBeetle's create_transfers, reduced to
/// what FacePay needs). Pure: it is given the accounts and hold it touches and returns either
/// the transfer with both accounts updated, or the first failing rule in the precedence order of
/// `LedgerResultCode`. It never reads a clock; `now` is passed in.
///
/// Counter effects (debit account's debits_*, credit account's credits_*):
/// - deposit, payment, refund: posted += amount
/// - hold: pending += amount
/// - capture of hold h for amount a ≤ h.amount: pending -= h.amount; posted += a (the rest is released)
/// - void, expiry of hold h: pending -= h.amount (the transfer's amount is h.amount)
public enum TransferRules {
    public static func decide(_ proposal: TransferProposal, debit: Account?, credit: Account?, hold: HoldState?,
                              spentTodayMinor: Int64 = 0, now: Date) -> LedgerOutcome<TransferEffect> {
        let kind = proposal.kind

        // 1. The request itself.
        if !kind.resolvesHold || kind == .capture, let amount = proposal.amountMinor, amount <= 0 {
            return .rejected(.amountMustBePositive)
        }
        if !kind.resolvesHold {
            guard proposal.amountMinor != nil else { return .rejected(.amountMustBePositive) }
            if proposal.debitAccountID == proposal.creditAccountID { return .rejected(.accountsMustBeDifferent) }
        }
        if kind == .hold {
            guard let expiresAt = proposal.expiresAt, expiresAt > now else { return .rejected(.expiryMustBeInFuture) }
        }

        // 2. Existence.
        guard let debit else { return .rejected(.debitAccountNotFound) }
        guard let credit else { return .rejected(.creditAccountNotFound) }
        precondition(debit.id == proposal.debitAccountID && credit.id == proposal.creditAccountID,
                     "accounts passed do not match the proposal")
        var held: Transfer?
        if kind.resolvesHold {
            guard let hold, hold.hold.id == proposal.pendingID else { return .rejected(.pendingTransferNotFound) }
            guard hold.hold.kind == .hold else { return .rejected(.pendingTransferNotPending) }
            precondition(hold.hold.debitAccountID == debit.id && hold.hold.creditAccountID == credit.id,
                         "a hold is resolved between its own accounts")
            held = hold.hold

            // 3. State of the hold.
            switch hold.resolution {
            case .capture?: return .rejected(.pendingTransferAlreadyPosted)
            case .void?: return .rejected(.pendingTransferAlreadyVoided)
            case .expiry?: return .rejected(.pendingTransferExpired)
            default: break
            }
            let expiresAt = hold.hold.expiresAt ?? .distantFuture
            if kind == .expiry {
                if now < expiresAt { return .rejected(.pendingTransferNotExpired) }
            } else if now >= expiresAt {
                // Past its expiry a hold is dead even before the expiry service has posted it.
                return .rejected(.pendingTransferExpired)
            }
        }

        // 4. Accounts. Releasing a hold (void, expiry) is allowed on a frozen account: it only
        // gives the holder money back.
        if kind != .void && kind != .expiry && (debit.frozen || credit.frozen) {
            return .rejected(.accountFrozen)
        }
        if debit.currency != proposal.currency || credit.currency != proposal.currency {
            return .rejected(.currencyMismatch)
        }

        // 5. Amounts.
        let amount: Int64
        if let held {
            switch kind {
            case .capture:
                amount = proposal.amountMinor ?? held.amountMinor
                if amount > held.amountMinor { return .rejected(.exceedsPendingTransferAmount) }
            default:
                amount = held.amountMinor
            }
        } else {
            amount = proposal.amountMinor!
        }

        if kind == .payment || kind == .hold {
            if let limit = debit.paymentLimitMinor, amount > limit { return .rejected(.limitExceeded) }
            if let limit = debit.dailyLimitMinor {
                let (total, overflowed) = spentTodayMinor.addingReportingOverflow(amount)
                if overflowed || total > limit { return .rejected(.limitExceeded) }
            }
        }

        var newDebit = debit
        var newCredit = credit
        guard apply(kind: kind, amount: amount, heldAmount: held?.amountMinor,
                    debitsPending: &newDebit.debitsPending, debitsPosted: &newDebit.debitsPosted),
              apply(kind: kind, amount: amount, heldAmount: held?.amountMinor,
                    debitsPending: &newCredit.creditsPending, debitsPosted: &newCredit.creditsPosted)
        else { return .rejected(.overflow) }
        // The sums must fit too, so balances (credits - debits) are always representable.
        guard !newDebit.debitsPending.addingReportingOverflow(newDebit.debitsPosted).overflow,
              !newCredit.creditsPending.addingReportingOverflow(newCredit.creditsPosted).overflow
        else { return .rejected(.overflow) }

        if debit.debitsMustNotExceedCredits && !kind.resolvesHold
            && newDebit.debitsPending + newDebit.debitsPosted > newDebit.creditsPosted {
            return .rejected(.insufficientFunds)
        }

        let transfer = Transfer(id: proposal.id, kind: kind, debitAccountID: debit.id, creditAccountID: credit.id,
                                amountMinor: amount, currency: proposal.currency, pendingID: held?.id,
                                expiresAt: kind == .hold ? proposal.expiresAt : nil, createdAt: now,
                                paymentID: proposal.paymentID, deviceID: proposal.deviceID, merchantID: proposal.merchantID)
        assertInvariants(before: debit, after: newDebit)
        assertInvariants(before: credit, after: newCredit)
        return .accepted(TransferEffect(transfer: transfer, debitAccount: newDebit, creditAccount: newCredit))
    }

    /// Applies one side's counter change; false on overflow. (Named for the debit side; the
    /// credit side passes its credit counters.)
    private static func apply(kind: TransferKind, amount: Int64, heldAmount: Int64?,
                              debitsPending pending: inout Int64, debitsPosted posted: inout Int64) -> Bool {
        switch kind {
        case .deposit, .payment, .refund:
            let (sum, overflowed) = posted.addingReportingOverflow(amount)
            if overflowed { return false }
            posted = sum
        case .hold:
            let (sum, overflowed) = pending.addingReportingOverflow(amount)
            if overflowed { return false }
            pending = sum
        case .capture, .void, .expiry:
            let heldAmount = heldAmount!
            // A stored pending counter smaller than an unresolved hold means the books are
            // already corrupt: stop rather than write on top of it.
            precondition(pending >= heldAmount, "pending counter below an unresolved hold")
            pending -= heldAmount
            if kind == .capture {
                let (sum, overflowed) = posted.addingReportingOverflow(amount)
                if overflowed { return false }
                posted = sum
            }
        }
        return true
    }

    /// TigerBeetle style: check what must hold after every change, in release builds too.
    private static func assertInvariants(before: Account, after: Account) {
        precondition(after.debitsPending >= 0 && after.debitsPosted >= 0
                     && after.creditsPending >= 0 && after.creditsPosted >= 0, "negative counter")
        func withinCredits(_ account: Account) -> Bool {
            !account.debitsMustNotExceedCredits || account.debitsPending + account.debitsPosted <= account.creditsPosted
        }
        precondition(!withinCredits(before) || withinCredits(after), "a transfer overdrew an account that must not be")
    }
}
