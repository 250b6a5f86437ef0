import FacePayCore
import Foundation

/// How much money may go into one customer's wallet: per deposit and per UTC day (the initial
/// deposit at enrolment included). Amounts in minor units of the wallet's currency.
///
/// **500.00 per deposit, 1,000.00 per day (defaults).** A wallet paid by face is for everyday
/// purchases; a stolen or mistaken kiosk session should not be able to park a fortune in it, and
/// e-money rules cap lightly verified wallets at a few hundred per month. The per-deposit cap also
/// bounds the per-currency funding account, which every deposit debits: reaching its Int64 limit
/// (which would refuse every later deposit) takes more than 10^14 capped deposits, where one
/// uncapped deposit of 2^63 − 1 used to do it.
public struct DepositCaps: Sendable, Equatable {
    public var perDepositMaxMinor: Int64 = 50_000
    public var perDayMaxMinor: Int64 = 100_000

    public init() {}

    /// 422 `deposit_limit_exceeded` when `amountMinor` alone is over the per-deposit cap.
    func checkAmount(_ amountMinor: Int64) throws {
        guard amountMinor <= perDepositMaxMinor else {
            throw FacePayError(.unprocessable, code: "deposit_limit_exceeded",
                               detail: "a deposit is at most \(perDepositMaxMinor) minor units")
        }
    }

    /// Both caps for a deposit of `amountMinor` into a wallet that took `today` already (0 for a
    /// wallet being opened: enrolment checks its initial deposit before looking at the face).
    func check(_ amountMinor: Int64, depositedTodayMinor today: Int64) throws {
        try checkAmount(amountMinor)
        let (total, overflowed) = today.addingReportingOverflow(amountMinor)
        guard !overflowed, total <= perDayMaxMinor else {
            throw FacePayError(.unprocessable, code: "deposit_limit_exceeded",
                               detail: "deposits into this wallet are at most \(perDayMaxMinor) minor units a day; \(max(0, perDayMaxMinor - today)) left today")
        }
    }

    static func startOfUTCDay(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }
}
