import GRDB
import Stores

/// Check 6: a payment's captured and refunded amounts against its transfers — every payment, or
/// those the newly replayed transfers name (each summed over the payment's own transfers, through
/// the `transfers_payment` index).
enum PaymentTotalsCheck {
    static let columns = """
        p.id, p.amount_captured, p.amount_refunded,
        (SELECT coalesce(sum(amount), 0) FROM transfers t WHERE t.payment_id = p.id AND t.kind IN ('payment', 'capture')),
        (SELECT coalesce(sum(amount), 0) FROM transfers t WHERE t.payment_id = p.id AND t.kind = 'refund')
        """

    static func runAll(_ context: IntegrityCheckContext) throws {
        try context.forEachRow("SELECT \(columns) FROM payments p ORDER BY p.id") { check(context, $0) }
    }

    static func run(_ context: IntegrityCheckContext, paymentIDs: Set<String>) throws {
        for id in paymentIDs.sorted() {
            if let row = try context.firstRow("SELECT \(columns) FROM payments p WHERE p.id = ?", [id]) {
                check(context, row)
            }
        }
    }

    private static func check(_ context: IntegrityCheckContext, _ row: Row) {
        let id: String = row[0]
        let captured: Int64 = row[1], refunded: Int64 = row[2], transferredIn: Int64 = row[3], refundedOut: Int64 = row[4]
        if captured != transferredIn {
            context.report("payments", id, "amount_captured", expected: "\(transferredIn) (sum of its transfers)", found: "\(captured)")
        }
        if refunded != refundedOut {
            context.report("payments", id, "amount_refunded", expected: "\(refundedOut) (sum of its refund transfers)", found: "\(refunded)")
        }
    }
}
