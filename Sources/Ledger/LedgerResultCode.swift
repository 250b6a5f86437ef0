/// Why the ledger refused an operation, in a fixed order of precedence.
///
/// When a request breaks several rules at once, the ledger reports the one declared first here
/// (TigerBeetle's rule: a retry that fixes nothing gets the same answer, whatever the state).
/// The order is: the request's own shape, then whether what it names exists, then the state of
/// the hold or payment it acts on, then the accounts (frozen before currency), then amounts
/// (pending amount, refundable amount, limits, overflow) and, last, funds. Insufficient funds is
/// last because it is the only code that depends on other customers' concurrent activity on the
/// same account; everything before it is a property of the request or of slow-changing state.
///
/// The raw values are the stable wire codes. Four of them are payment declines of the wire
/// contract (`isPaymentDecline`); the others are request errors the payments layer maps to 4xx.
public enum LedgerResultCode: String, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    // 1. The request itself.
    case amountMustBePositive = "amount_must_be_positive"
    case accountsMustBeDifferent = "accounts_must_be_different"
    case expiryMustBeInFuture = "expiry_must_be_in_future"
    // 2. What it names must exist.
    case debitAccountNotFound = "debit_account_not_found"
    case creditAccountNotFound = "credit_account_not_found"
    case paymentNotFound = "payment_not_found"
    case pendingTransferNotFound = "pending_transfer_not_found"
    case pendingTransferNotPending = "pending_transfer_not_pending"
    // 3. State of the hold or payment acted on.
    case pendingTransferAlreadyPosted = "pending_transfer_already_posted"
    case pendingTransferAlreadyVoided = "pending_transfer_already_voided"
    case pendingTransferExpired = "pending_transfer_expired"
    case pendingTransferNotExpired = "pending_transfer_not_expired"
    case paymentNotRefundable = "payment_not_refundable"
    // 4. The accounts.
    case accountFrozen = "account_frozen"
    case currencyMismatch = "currency_mismatch"
    // 5. Amounts and funds.
    case exceedsPendingTransferAmount = "exceeds_pending_transfer_amount"
    case refundExceedsCaptured = "refund_exceeds_captured"
    case limitExceeded = "limit_exceeded"
    case overflow = "overflow"
    case insufficientFunds = "insufficient_funds"

    /// Position in the precedence order: lower wins.
    public var precedence: Int {
        Self.allCases.firstIndex(of: self)!
    }

    public static func < (lhs: LedgerResultCode, rhs: LedgerResultCode) -> Bool {
        lhs.precedence < rhs.precedence
    }

    /// True for the codes the wire contract lists as payment declines: a payment refused for one
    /// of these is recorded (status `declined`) and answered 201, not as an error.
    public var isPaymentDecline: Bool {
        switch self {
        case .insufficientFunds, .currencyMismatch, .limitExceeded, .accountFrozen: true
        default: false
        }
    }

    public var description: String { rawValue }
}
