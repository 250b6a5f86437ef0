import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores

/// The ledger's units of work on PostgreSQL. The rules are the Ledger module's
/// (`PaymentRules`), applied to rows read under `FOR UPDATE` inside a chain transaction
/// (`PostgresChainTransaction`: the audit chain head is its first lock, so two nodes paying from
/// one wallet at once decide one after the other, and no two ledger writes deadlock). The
/// accounts are still locked in id order, for any writer that does not take the head.
extension PostgresStores: PaymentLedger {
    static let systemActor = LedgerEvents.systemActor
    static let systemOwnerID = "system"

    public func payment(id: String) async throws -> Payment? {
        try await database.read { connection in try await PostgresRows.payment(connection, id: id) }
    }

    public func recordDeclined(_ payment: DeclinedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
                               respond: @escaping @Sendable (Payment) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { transaction in
            let now = Timestamp.truncated(frame.now)
            precondition(payment.amount.amountMinor > 0, "the use case validates the amount")
            let recorded = Payment(id: payment.paymentID, status: .declined, captureMethod: payment.captureMethod,
                                   amountMinor: payment.amount.amountMinor, currency: payment.amount.currency, declineCode: payment.declineCode,
                                   customerID: nil, accountID: nil, merchantID: payment.merchantID, merchantAccountID: nil,
                                   deviceID: payment.deviceID, reference: payment.reference, createdAt: now)
            try await PostgresRows.insert(recorded, transaction.connection)
            try await transaction.append(LedgerEvents.declinedBeforeLedger(recorded, extra: payment.auditDetail), now: now)
            try await self.write(attempts, transaction, now: now)
            return try respond(recorded)
        }
    }

    /// A payment without failed attempts to record (the usual one) joins its batch's set-oriented
    /// path (`PostgresPaymentBatch`: a few statements for the whole batch); `unit` below is what
    /// it runs instead when it cannot (its merchant's first payment, a key seen twice in the
    /// batch, or the set path failing), and what every other payment runs.
    public func pay(_ payment: MatchedPayment, attempts: FailedAttempts, frame: IdempotencyFrame,
                    respond: @escaping @Sendable (PaymentDecision, Customer) throws -> StoredResponse) async throws -> IdempotentResponse {
        let unit: @Sendable (PostgresChainTransaction) async throws -> StoredResponse = { transaction in
            let connection = transaction.connection
            let now = Timestamp.truncated(frame.now)
            guard let customer = try await PostgresRows.customer(connection, id: payment.customerID) else {
                throw Self.galleryOutOfSync(payment)
            }
            let request = Self.paymentRequest(payment, customer: customer, now: now)
            let (wallet, existingMerchantAccount) = try await PostgresRows.lockPaymentAccounts(
                connection, walletID: customer.accountID, merchantID: request.merchantID, currency: request.amount.currency)
            let spentToday = wallet?.dailyLimitMinor == nil
                ? 0 : try await PostgresRows.spentToday(connection, accountIDs: [customer.accountID], now: now)[customer.accountID] ?? 0
            // The gallery only proposed this customer: another node may have erased (or purged) the
            // template since this node's index was last told.
            let templateLastUsed = try await PostgresRows.shareLockTemplates(connection, [(customer.id, payment.template.modelID)])
                .values.first
            let transferID = LedgerIdentifier.make(.transfer, now: now)
            var merchantAccount = existingMerchantAccount
            if merchantAccount == nil {
                // Decide against a provisional account first, so a rejected payment opens nothing.
                let provisional = Account(id: "acc_provisional", kind: .merchant, ownerID: request.merchantID,
                                          currency: request.amount.currency, createdAt: now)
                if case .rejected(let code) = PaymentRules.pay(request, wallet: wallet, merchantAccount: provisional,
                                                               spentTodayMinor: spentToday, transferID: transferID, now: now) {
                    return try respond(.rejected(code), customer)
                }
                merchantAccount = try await Self.createAccount(transaction, kind: .merchant, ownerID: request.merchantID,
                                                               currency: request.amount.currency, actor: Self.systemActor, now: now)
            }
            let decision = Self.decide(payment, request, wallet: wallet, merchantAccount: merchantAccount, spentToday: spentToday,
                                       templateFound: templateLastUsed != nil, transferID: transferID, now: now)
            // Whatever the ledger says, the capture was this customer's: erasing them forgets it.
            if templateLastUsed != nil, let captureID = payment.template.captureID {
                try await PostgresReplayGuardStore.attribute(connection, captureID: captureID, customerID: customer.id)
            }
            switch decision {
            case .accepted(let step):
                try await PostgresRows.write(step.effect, connection)
                try await PostgresRows.insert(step.payment, connection)
                if let lastUsed = templateLastUsed, TemplateUse.isStale(lastUsed, now: now) {
                    try await Self.touchTemplate(connection, customerID: customer.id, model: payment.template.modelID, now: now)
                }
            case .declined(let declined):
                try await PostgresRows.insert(declined, connection)
            case .rejected:
                break
            }
            if let event = LedgerEvents.paymentDecided(decision, request, extra: payment.auditDetail) {
                try await transaction.append(event, now: now)
            }
            try await self.write(attempts, transaction, now: now)
            return try respond(decision, customer)
        }
        guard attempts == .none else { return try await idempotently(frame, unit) }
        return try await idempotently(frame, set: PostgresPaymentBatch.Unit(payment: payment, frame: frame, respond: respond), unit)
    }

    static func galleryOutOfSync(_ payment: MatchedPayment) -> FacePayError {
        FacePayError(.internalFailure, code: "gallery_out_of_sync", detail: "matched customer \(payment.customerID) has no row")
    }

    /// The ledger's request for a matched payment of `customer` (a manual capture's hold expiry
    /// settled to the stored precision): the same for one unit and for a batch.
    static func paymentRequest(_ payment: MatchedPayment, customer: Customer, now: Date) -> PaymentRequest {
        var request = PaymentRequest(
            paymentID: payment.paymentID, amount: payment.amount, captureMethod: payment.captureMethod,
            customerID: customer.id, walletAccountID: customer.accountID, merchantID: payment.merchantID,
            deviceID: payment.deviceID, reference: payment.reference, holdExpiresAt: payment.holdExpiresAt)
        if request.captureMethod == .manual {
            request.holdExpiresAt = Timestamp.truncated(request.holdExpiresAt ?? now.addingTimeInterval(PaymentRules.holdDurationSecondsDefault))
        }
        return request
    }

    /// The decision, given what the unit's transaction read: the ledger's rules, or `no_match`
    /// when the matched template is gone (no customer named).
    static func decide(_ payment: MatchedPayment, _ request: PaymentRequest, wallet: Account?, merchantAccount: Account?, spentToday: Int64,
                       templateFound: Bool, transferID: String, now: Date) -> PaymentDecision {
        guard templateFound else {
            return .declined(Payment(id: payment.paymentID, status: .declined, captureMethod: payment.captureMethod,
                                     amountMinor: payment.amount.amountMinor, currency: payment.amount.currency, declineCode: "no_match",
                                     customerID: nil, accountID: nil, merchantID: payment.merchantID, merchantAccountID: nil,
                                     deviceID: payment.deviceID, reference: payment.reference, createdAt: now))
        }
        return PaymentRules.pay(request, wallet: wallet, merchantAccount: merchantAccount, spentTodayMinor: spentToday,
                                transferID: transferID, now: now)
    }

    public func change(_ change: PaymentChange, paymentID: String, frame: IdempotencyFrame,
                       respond: @escaping @Sendable (LedgerOutcome<PaymentStep>, Customer?) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { transaction in
            let outcome: LedgerOutcome<PaymentStep>
            switch change {
            case .capture(let amount):
                outcome = try await Self.resolveHold(transaction, paymentID: paymentID, kind: .capture, amountMinor: amount,
                                                     deviceID: frame.deviceID, now: frame.now)
            case .void:
                outcome = try await Self.resolveHold(transaction, paymentID: paymentID, kind: .void, amountMinor: nil,
                                                     deviceID: frame.deviceID, now: frame.now)
            case .refund(let amount):
                outcome = try await Self.refund(transaction, paymentID: paymentID, amountMinor: amount, deviceID: frame.deviceID, now: frame.now)
            }
            let customerID: String? = if case .accepted(let step) = outcome { step.payment.customerID } else { nil }
            let customer = if let customerID { try await PostgresRows.customer(transaction.connection, id: customerID) } else { nil as Customer? }
            return try respond(outcome, customer)
        }
    }

    public func deposit(_ deposit: WalletDeposit, frame: IdempotencyFrame,
                        admit: @escaping @Sendable (Customer?, Int64) throws -> Void,
                        respond: @escaping @Sendable (Customer, LedgerOutcome<Transfer>, Int64) throws -> StoredResponse) async throws -> IdempotentResponse {
        try await idempotently(frame) { transaction in
            let connection = transaction.connection
            let customer = try await PostgresRows.customer(connection, id: deposit.customerID)
            if let customer { _ = try await PostgresRows.lockAccounts(connection, ids: [customer.accountID]) }
            let deposited = if let customer {
                try await PostgresRows.depositedMinor(connection, accountID: customer.accountID, since: deposit.depositsCountedSince)
            } else { Int64(0) }
            try admit(customer, deposited)
            guard let customer else { throw FacePayError(.notFound, code: "not_found", detail: "no customer \(deposit.customerID)") }
            let outcome = try await Self.deposit(transaction, accountID: customer.accountID, amount: deposit.amount, deviceID: frame.deviceID,
                                                 actor: frame.deviceID, now: frame.now)
            let balance = try await PostgresRows.account(connection, id: customer.accountID)?.availableMinor ?? 0
            return try respond(customer, outcome, balance)
        }
    }

    // MARK: Steps shared by the units

    /// Opens an account (its unique index refuses a second one of that owner, kind and currency).
    static func createAccount(_ transaction: PostgresChainTransaction, kind: AccountKind, ownerID: String, currency: Currency,
                              actor: String, now: Date) async throws -> Account {
        let now = Timestamp.truncated(now)
        let account = Account(id: LedgerIdentifier.make(.account, now: now), kind: kind, ownerID: ownerID, currency: currency,
                              debitsMustNotExceedCredits: nil, paymentLimitMinor: nil, dailyLimitMinor: nil, createdAt: now)
        try await PostgresRows.insert(account, transaction.connection)
        try await transaction.append(LedgerEvents.accountCreated(account, actor: actor), now: now)
        return account
    }

    /// Money into a customer wallet from the system funding account of its currency (opened on
    /// first use, after the decision, so a refused deposit opens nothing).
    static func deposit(_ transaction: PostgresChainTransaction, accountID: String, amount: Money, deviceID: String?,
                        actor: String, now: Date) async throws -> LedgerOutcome<Transfer> {
        let connection = transaction.connection
        let now = Timestamp.truncated(now)
        let fundingID = try await PostgresRows.account(connection, kind: .systemFunding, ownerID: systemOwnerID, currency: amount.currency)?.id
        let locked = try await PostgresRows.lockAccounts(connection, ids: [accountID] + (fundingID.map { [$0] } ?? []))
        let wallet = locked[accountID]
        if let wallet, wallet.kind != .customerWallet {
            throw FacePayError(.badRequest, code: "not_a_wallet", detail: "deposits go into customer wallets; \(accountID) is \(wallet.kind.rawValue)")
        }
        var funding = fundingID.flatMap { locked[$0] }
        if funding == nil {
            let provisional = Account(id: "acc_provisional", kind: .systemFunding, ownerID: systemOwnerID, currency: amount.currency, createdAt: now)
            let trial = PaymentRules.deposit(into: wallet, from: provisional, amount: amount, transferID: "trf_trial", deviceID: deviceID, now: now)
            if let code = trial.resultCode { return .rejected(code) }
            funding = try await createAccount(transaction, kind: .systemFunding, ownerID: systemOwnerID, currency: amount.currency,
                                              actor: systemActor, now: now)
        }
        let outcome = PaymentRules.deposit(into: wallet, from: funding, amount: amount, transferID: LedgerIdentifier.make(.transfer, now: now),
                                           deviceID: deviceID, now: now)
        guard case .accepted(let effect) = outcome else { return .rejected(outcome.resultCode!) }
        try await PostgresRows.write(effect, connection)
        try await transaction.append(LedgerEvents.depositPosted(effect.transfer, into: accountID, amount: amount, actor: actor), now: now)
        return .accepted(effect.transfer)
    }

    /// Capture, void or expiry of an authorized payment's hold.
    static func resolveHold(_ transaction: PostgresChainTransaction, paymentID: String, kind: TransferKind, amountMinor: Int64?,
                            deviceID: String?, now: Date) async throws -> LedgerOutcome<PaymentStep> {
        let connection = transaction.connection
        let now = Timestamp.truncated(now)
        let unlocked = try await PostgresRows.payment(connection, id: paymentID)
        let locked = try await PostgresRows.lockAccounts(connection, ids: [unlocked?.accountID, unlocked?.merchantAccountID].compactMap { $0 })
        // Read again under the account locks (a chain transaction waited for the head, so it sees
        // what the one before it committed; the payment row lock is a second guard).
        let payment = try await PostgresRows.payment(connection, id: paymentID, locked: true)
        let hold = try await PostgresRows.holdState(connection, id: payment?.holdTransferID)
        let wallet = payment?.accountID.flatMap { locked[$0] }
        let merchantAccount = payment?.merchantAccountID.flatMap { locked[$0] }
        let transferID = LedgerIdentifier.make(.transfer, now: now)
        let outcome: LedgerOutcome<PaymentStep>
        switch kind {
        case .capture:
            outcome = PaymentRules.capture(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                                           amountMinor: amountMinor, transferID: transferID, deviceID: deviceID, now: now)
        case .void:
            outcome = PaymentRules.void(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount,
                                        transferID: transferID, deviceID: deviceID, now: now)
        default:
            outcome = PaymentRules.expire(payment, hold: hold, wallet: wallet, merchantAccount: merchantAccount, transferID: transferID, now: now)
        }
        guard case .accepted(let step) = outcome, let held = hold?.hold else { return outcome }
        try await PostgresRows.write(step.effect, connection)
        try await PostgresRows.updateProgress(step.payment, connection)
        try await transaction.append(LedgerEvents.holdResolved(step, held: held, actor: deviceID ?? (kind == .expiry ? systemActor : LedgerEvents.operatorActor)),
                                     now: now)
        return outcome
    }

    /// Refunds `amountMinor` (nil: all that is captured and not refunded) to the wallet it came from.
    static func refund(_ transaction: PostgresChainTransaction, paymentID: String, amountMinor: Int64?, deviceID: String?,
                       now: Date) async throws -> LedgerOutcome<PaymentStep> {
        let connection = transaction.connection
        let now = Timestamp.truncated(now)
        guard let unlocked = try await PostgresRows.payment(connection, id: paymentID) else { return .rejected(.paymentNotFound) }
        let locked = try await PostgresRows.lockAccounts(connection, ids: [unlocked.accountID, unlocked.merchantAccountID].compactMap { $0 })
        let payment = try await PostgresRows.payment(connection, id: paymentID, locked: true)
        let amount = amountMinor ?? ((payment?.capturedMinor ?? 0) - (payment?.refundedMinor ?? 0))
        guard amount > 0 else { return .rejected(.paymentNotRefundable) }
        let outcome = PaymentRules.refund(payment, wallet: payment?.accountID.flatMap { locked[$0] },
                                          merchantAccount: payment?.merchantAccountID.flatMap { locked[$0] }, amountMinor: amount,
                                          refundID: LedgerIdentifier.make(.refund, now: now), transferID: LedgerIdentifier.make(.transfer, now: now),
                                          deviceID: deviceID, now: now)
        guard case .accepted(let step) = outcome, let refund = step.refund else { return outcome }
        try await PostgresRows.write(step.effect, connection)
        try await PostgresRows.insert(refund, connection)
        try await PostgresRows.updateProgress(step.payment, connection)
        try await transaction.append(LedgerEvents.refundPosted(step, refund, actor: deviceID ?? LedgerEvents.operatorActor), now: now)
        return outcome
    }

    static func touchTemplate(_ connection: PostgresConnection, customerID: String, model: String, now: Date) async throws {
        try await PostgresRows.execute(connection, touchTemplateQuery(customerID: customerID, model: model, now: now))
    }

    static func touchTemplateQuery(customerID: String, model: String, now: Date) -> PostgresQuery {
        """
        UPDATE face_templates SET last_used_at = \(now.rfc3339)
        WHERE customer_id = \(customerID) AND model = \(model) AND last_used_at < \(now.addingTimeInterval(-TemplateUse.resolutionSeconds).rfc3339)
        """
    }
}
