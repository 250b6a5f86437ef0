import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores

/// The payments of one batch run together: a handful of statements for the whole batch instead
/// of about twelve per payment, sent in two flights (SCALING.md, "set-oriented batches"). Every
/// batch is one sequence on the chain head, so its time holding the head — not statements per
/// payment — is what the cluster's rate is made of.
///
/// In the batch's chain transaction, right after the head's lock (`PostgresCommitBatcher`):
/// 1. the stored answers of every Idempotency-Key (a stored one is answered, a key seen twice in
///    the batch goes alone);
/// 2. every customer; every matched template share-locked (as one unit does: an erasure commits
///    before or after, never in between); every wallet (named through its customer) and merchant
///    account `FOR UPDATE` in id order; the day's spend of the wallets with a daily limit —
///    `reads`, statements that need no earlier answer, so they are sent back to back;
/// 3. in arrival order, in memory: the decision of the same rules (`decide`), then `respond`; a
///    unit whose `respond` throws fails alone and changes nothing the next units see (its effect
///    is applied to the batch's accounts only after it answered) — `plan`;
/// 4. one statement for the transfers, the accounts' counters, the payments, the events, the
///    idempotency records and the chain head's row (a data-modifying CTE each), then the
///    captures' attribution: the plan's `writes`, sent with the COMMIT.
///
/// A payment to a merchant with no account yet goes alone (its account is opened by the unit
/// path, with its own event). If any statement fails, the transaction is rolled back and every
/// payment runs alone in a new one. The set runs before the batch's other units (a deposit, an
/// erasure that arrived in the same batch): they all arrived together and none is answered yet,
/// so this is one of the orders a single writer could have taken; within the set, arrival order
/// holds.
enum PostgresPaymentBatch {
    /// A payment as a value, for the set path.
    struct Unit: Sendable {
        let payment: MatchedPayment
        let frame: IdempotencyFrame
        let respond: @Sendable (PaymentDecision, Customer) throws -> StoredResponse
    }

    enum Result {
        case answered(IdempotentResponse)
        case failed(any Error)
        /// Run it as a unit of its own, after the set.
        case alone
    }

    /// The set's outcome before its writes ran: each unit's result, and the statements that write
    /// the answered ones (the head row's update among them) to send with the COMMIT.
    struct Plan {
        var results: [Result]
        var writes: [PostgresQuery]
        /// The head after the set's events; `advance(to:stored: true)` once `writes` ran.
        var head: AuditHead
    }

    /// What the decisions read (step 1 and 2), as statements that need no earlier answer: they go
    /// to the server back to back after the head's lock (`PostgresPipeline`), and `Read` takes
    /// their answers in this order. The wallets are named through their customers.
    static func reads(_ units: [Unit]) -> [PostgresQuery] {
        let customerIDs = units.map(\.payment.customerID)
        return [
            storedResponsesQuery(units.map(\.frame)),
            PostgresQuery(unsafeSQL: "SELECT \(PostgresRows.customerColumns) FROM customers WHERE id = ANY($1)",
                          binds: PostgresRows.binds(Array(Set(customerIDs)))),
            PostgresRows.shareLockTemplatesQuery(units.map { ($0.payment.customerID, $0.payment.template.modelID) }),
            PostgresRows.lockAccountsQuery(wallets: .ofCustomers(customerIDs),
                                           merchants: units.map { ($0.payment.merchantID, $0.payment.amount.currency.code) }),
        ]
    }

    /// The answers of `reads`, decoded once, and then the day's spend of `spentReads`.
    struct Read {
        let stored: [String: (fingerprint: String, status: Int, body: Data)]
        let customers: [String: Customer]
        let templates: [String: String]
        let accounts: [String: Account]
        /// What each limited wallet spent, keyed "day|wallet".
        private(set) var spent: [String: Int64] = [:]

        init(_ answers: [PostgresQueryResult]) throws {
            func rows<T>(_ index: Int, _ decode: (PostgresRandomAccessRow) throws -> T) throws -> [T] {
                try answers[index].rows.map { try decode($0.makeRandomAccess()) }
            }
            stored = Dictionary(try rows(0, storedResponse)) { first, _ in first }
            customers = Dictionary(try rows(1, PostgresRows.customer).map { ($0.id, $0) }) { first, _ in first }
            templates = Dictionary(try rows(2, PostgresRows.templateUse)) { first, _ in first }
            accounts = PostgresRows.accountsByID(try rows(3, PostgresRows.account))
        }

        /// The day's spend of the batch's wallets with a daily limit, on each day its payments
        /// fall in (which wallets have a limit is only known once `reads` answered): none, and no
        /// round trip, when no wallet has one. `addSpent` takes their answers.
        func spentReads(_ units: [Unit]) -> [PostgresQuery] {
            let limited = accounts.values.filter { $0.kind == .customerWallet && $0.dailyLimitMinor != nil }.map(\.id).sorted()
            guard !limited.isEmpty else { return [] }
            return days(units).map { PostgresRows.spentTodayQuery(accountIDs: limited, now: $0) }
        }

        mutating func addSpent(_ answers: [PostgresQueryResult], _ units: [Unit]) throws {
            for (day, answer) in zip(days(units), answers) {
                for row in answer.rows {
                    let (id, minor) = try PostgresRows.spent(row.makeRandomAccess())
                    spent["\(day.timeIntervalSince1970)|\(id)"] = minor
                }
            }
        }
    }

    /// The UTC days of the truncated times the decisions use (a time in a day's last microsecond
    /// truncates into the next day), in a fixed order.
    private static func days(_ units: [Unit]) -> [Date] {
        Set(units.map { UTCDay.bounds(containing: Timestamp.truncated($0.frame.now)).start }).sorted()
    }

    /// Steps 1 to 3 from what the set read, and the statements of step 4.
    static func plan(_ units: [Unit], _ read: Read, _ transaction: PostgresChainTransaction) throws -> Plan {
        var results = [Result?](repeating: nil, count: units.count)

        // 1. Keys.
        var keys: Set<String> = []
        var live: [Int] = []
        for (index, unit) in units.enumerated() {
            let key = Self.key(unit.frame)
            if let record = read.stored[key] {
                do {
                    results[index] = .answered(try PostgresStores.replay(record, key: unit.frame.key, fingerprint: unit.frame.fingerprint))
                } catch {
                    results[index] = .failed(error)
                }
            } else if !keys.insert(key).inserted {
                results[index] = .alone
            } else {
                live.append(index)
            }
        }

        // 2. What the decisions read, locked as one unit would lock it.
        let (customers, templates) = (read.customers, read.templates)
        var accounts = read.accounts
        let merchantAccountIDs = Dictionary(accounts.values.filter { $0.kind == .merchant }.map { ("\($0.ownerID)|\($0.currency.code)", $0.id) }) { a, _ in a }
        var spent = read.spent
        // 3. The decisions, in arrival order.
        var transfers: [Transfer] = []
        var payments: [Payment] = []
        var touchedAccounts: Set<String> = []
        var events: [(entry: AuditEntry, now: Date)] = []
        var records: [(frame: IdempotencyFrame, response: StoredResponse)] = []
        var attributions: [(captureID: Int64, customerID: String)] = []
        var stale: [(customerID: String, model: String, now: Date)] = []
        for index in live {
            let unit = units[index]
            let payment = unit.payment
            let now = Timestamp.truncated(unit.frame.now)
            guard let customer = customers[payment.customerID] else {
                results[index] = .failed(PostgresStores.galleryOutOfSync(payment))
                continue
            }
            guard let merchantAccountID = merchantAccountIDs["\(payment.merchantID)|\(payment.amount.currency.code)"] else {
                results[index] = .alone
                continue
            }
            let request = PostgresStores.paymentRequest(payment, customer: customer, now: now)
            let wallet = accounts[customer.accountID]
            let spentKey = "\(UTCDay.bounds(containing: now).start.timeIntervalSince1970)|\(customer.accountID)"
            let lastUsed = templates["\(customer.id)|\(payment.template.modelID)"]
            let decision = PostgresStores.decide(payment, request, wallet: wallet, merchantAccount: accounts[merchantAccountID],
                                                 spentToday: wallet?.dailyLimitMinor == nil ? 0 : spent[spentKey] ?? 0,
                                                 templateFound: lastUsed != nil, transferID: LedgerIdentifier.make(.transfer, now: now), now: now)
            let response: StoredResponse
            do {
                response = try unit.respond(decision, customer)
            } catch {
                results[index] = .failed(error)
                continue
            }
            // Answered: its effect is now the batch's.
            if lastUsed != nil, let captureID = payment.template.captureID { attributions.append((captureID, customer.id)) }
            switch decision {
            case .accepted(let step):
                transfers.append(step.effect.transfer)
                for account in [step.effect.debitAccount, step.effect.creditAccount] {
                    accounts[account.id] = account
                    touchedAccounts.insert(account.id)
                }
                payments.append(step.payment)
                spent[spentKey, default: 0] += step.payment.dailySpendMinor
                if let lastUsed, TemplateUse.isStale(lastUsed, now: now) { stale.append((customer.id, payment.template.modelID, now)) }
            case .declined(let declined):
                payments.append(declined)
            case .rejected:
                break
            }
            if let event = LedgerEvents.paymentDecided(decision, request, extra: payment.auditDetail) { events.append((event, now)) }
            records.append((unit.frame, response))
            results[index] = .answered(IdempotentResponse(status: response.status, body: response.body, replayed: false))
        }

        // 4. The writes: one statement (a CTE per table, the head row's among them), then the rare
        // ones; the caller sends them with the COMMIT.
        let (eventRows, head) = transaction.events(events)
        let counters = PostgresRows.RowSet(table: "accounts", columns: counterColumns, rows: touchedAccounts.sorted().compactMap { accounts[$0] }.map {
            [$0.id, $0.debitsPending, $0.debitsPosted, $0.creditsPending, $0.creditsPosted]
        })
        let inserts = [transferRows(transfers), paymentRows(payments), eventRows, recordRows(records)]
        var writes = try PostgresRows.writeQuery([({ placeholder in """
            UPDATE accounts SET debits_pending = v.debits_pending, debits_posted = v.debits_posted,
                credits_pending = v.credits_pending, credits_posted = v.credits_posted
            FROM jsonb_to_recordset(\(placeholder)::jsonb) AS v(\(counters.definitions)) WHERE accounts.id = v.id
            """ }, counters)] + inserts.map { ($0.insertSQL, $0) } + [transaction.headUpdate(to: head)]).map { [$0] } ?? []
        if !attributions.isEmpty { writes.append(attributeQuery(attributions)) }
        writes += stale.map { PostgresStores.touchTemplateQuery(customerID: $0.customerID, model: $0.model, now: $0.now) }
        return Plan(results: results.map { $0 ?? .alone }, writes: writes, head: head)
    }

    static func key(_ frame: IdempotencyFrame) -> String { frame.deviceID + "\u{0}" + frame.key }

    // MARK: Reads

    static func storedResponsesQuery(_ frames: [IdempotencyFrame]) -> PostgresQuery {
        """
        SELECT device_id, key, request_sha256, response_status, response_body FROM idempotency_records
        WHERE (device_id, key) IN (SELECT * FROM unnest(\(frames.map(\.deviceID))::TEXT[], \(frames.map(\.key))::TEXT[]))
        """
    }

    /// A row of `storedResponsesQuery`, by `key`.
    static func storedResponse(_ row: PostgresRandomAccessRow) throws -> (String, (fingerprint: String, status: Int, body: Data)) {
        (try row["device_id"].decode(String.self) + "\u{0}" + row["key"].decode(String.self),
         (try row["request_sha256"].decode(String.self), Int(try row["response_status"].decode(Int32.self)),
          Data(try row["response_body"].decode(ByteBuffer.self).readableBytesView)))
    }

    // MARK: Writes

    static let counterColumns: [(name: String, type: String)] = [
        ("id", "TEXT"), ("debits_pending", "BIGINT"), ("debits_posted", "BIGINT"), ("credits_pending", "BIGINT"), ("credits_posted", "BIGINT"),
    ]

    static func transferRows(_ transfers: [Transfer]) -> PostgresRows.RowSet {
        PostgresRows.RowSet(table: "transfers", columns: [
            ("id", "TEXT"), ("kind", "TEXT"), ("debit_account_id", "TEXT"), ("credit_account_id", "TEXT"), ("amount", "BIGINT"),
            ("currency", "TEXT"), ("pending_id", "TEXT"), ("expires_at", "TEXT"), ("created_at", "TEXT"), ("payment_id", "TEXT"),
            ("device_id", "TEXT"), ("merchant_id", "TEXT"),
        ], rows: transfers.map { transfer -> [Any?] in
            [transfer.id, transfer.kind.rawValue, transfer.debitAccountID, transfer.creditAccountID, transfer.amountMinor,
             transfer.currency.code, transfer.pendingID, transfer.expiresAt.map(Timestamp.text), Timestamp.text(transfer.createdAt),
             transfer.paymentID, transfer.deviceID, transfer.merchantID]
        })
    }

    static func paymentRows(_ payments: [Payment]) -> PostgresRows.RowSet {
        PostgresRows.RowSet(table: "payments", columns: [
            ("id", "TEXT"), ("status", "TEXT"), ("decline_code", "TEXT"), ("capture_method", "TEXT"), ("amount", "BIGINT"),
            ("currency", "TEXT"), ("amount_held", "BIGINT"), ("amount_captured", "BIGINT"), ("amount_refunded", "BIGINT"),
            ("customer_id", "TEXT"), ("account_id", "TEXT"), ("merchant_id", "TEXT"), ("merchant_account_id", "TEXT"),
            ("device_id", "TEXT"), ("reference", "TEXT"), ("hold_transfer_id", "TEXT"), ("expires_at", "TEXT"), ("created_at", "TEXT"),
            ("updated_at", "TEXT"),
        ], rows: payments.map { payment -> [Any?] in
            [payment.id, payment.status.rawValue, payment.declineCode, payment.captureMethod.rawValue, payment.amountMinor,
             payment.currency.code, payment.heldMinor, payment.capturedMinor, payment.refundedMinor, payment.customerID,
             payment.accountID, payment.merchantID, payment.merchantAccountID, payment.deviceID, payment.reference,
             payment.holdTransferID, payment.expiresAt.map(Timestamp.text), Timestamp.text(payment.createdAt), Timestamp.text(payment.updatedAt)]
        })
    }

    static func recordRows(_ records: [(frame: IdempotencyFrame, response: StoredResponse)]) -> PostgresRows.RowSet {
        PostgresRows.RowSet(table: "idempotency_records", columns: [
            ("device_id", "TEXT"), ("key", "TEXT"), ("request_sha256", "TEXT"), ("response_status", "INTEGER"), ("response_body", "TEXT"),
            ("created_at", "TEXT"),
        ], rows: records.map { record -> [Any?] in
            [record.frame.deviceID, record.frame.key, record.frame.fingerprint.hex, record.response.status,
             record.response.body.base64EncodedString(), Timestamp.text(record.frame.now)]
        }, expressions: ["response_body": "decode(r.response_body, 'base64')"])
    }

    static func attributeQuery(_ captures: [(captureID: Int64, customerID: String)]) -> PostgresQuery {
        """
        UPDATE replay_sightings SET customer_id = v.customer_id
        FROM unnest(\(captures.map(\.captureID))::BIGINT[], \(captures.map(\.customerID))::TEXT[]) AS v(capture_id, customer_id)
        WHERE replay_sightings.capture_id = v.capture_id
        """
    }
}
