import FacePayCore
import Foundation
import Ledger

let eur = Currency("EUR")!
let usd = Currency("USD")!
let start = Date(timeIntervalSince1970: 1_800_000_000)

func eur(_ minor: Int64) -> Money { Money(amountMinor: minor, currency: eur) }

/// A book with a funded wallet and a merchant account, in EUR.
struct LedgerFixture {
    var book = LedgerBook()
    let funding: Account
    let wallet: Account
    let merchant: Account
    var now = start

    init(balance: Int64 = 10_000, paymentLimitMinor: Int64? = nil, dailyLimitMinor: Int64? = nil) {
        funding = book.createAccount(kind: .systemFunding, ownerID: "system", currency: eur, now: start)
        wallet = book.createAccount(kind: .customerWallet, ownerID: "cus_1", currency: eur,
                                    paymentLimitMinor: paymentLimitMinor, dailyLimitMinor: dailyLimitMinor, now: start)
        merchant = book.createAccount(kind: .merchant, ownerID: "M-1", currency: eur, now: start)
        if balance > 0 {
            _ = book.deposit(accountID: wallet.id, funding: funding.id, amount: eur(balance), now: start)
        }
    }

    mutating func pay(_ minor: Int64, _ method: CaptureMethod = .automatic, currency: Currency = eur) -> PaymentDecision {
        book.pay(walletID: wallet.id, merchantAccountID: merchant.id, amount: Money(amountMinor: minor, currency: currency),
                 captureMethod: method, holdExpiresAt: method == .manual ? now.addingTimeInterval(3600) : nil, now: now)
    }

    mutating func authorize(_ minor: Int64) -> Payment {
        guard case .accepted(let step) = pay(minor, .manual) else { fatalError("authorization refused") }
        return step.payment
    }

    var walletNow: Account { book.account(wallet.id)! }
    var merchantNow: Account { book.account(merchant.id)! }
}

extension PaymentDecision {
    var code: String? {
        switch self {
        case .accepted: nil
        case .declined(let payment): payment.declineCode
        case .rejected(let code): code.rawValue
        }
    }

    var step: PaymentStep? {
        if case .accepted(let step) = self { return step }
        return nil
    }
}
