/// The result of asking the ledger to do something: accepted with the new state, or rejected
/// with the highest-precedence code. A value, never thrown: refusals are business outcomes.
public enum LedgerOutcome<Value: Sendable>: Sendable {
    case accepted(Value)
    case rejected(LedgerResultCode)

    public var value: Value? {
        if case .accepted(let value) = self { return value }
        return nil
    }

    public var resultCode: LedgerResultCode? {
        if case .rejected(let code) = self { return code }
        return nil
    }
}

extension LedgerOutcome: Equatable where Value: Equatable {}

/// One accepted transfer and the two accounts as they are after it.
public struct TransferEffect: Sendable, Equatable {
    public let transfer: Transfer
    public let debitAccount: Account
    public let creditAccount: Account

    public init(transfer: Transfer, debitAccount: Account, creditAccount: Account) {
        self.transfer = transfer
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
    }
}
