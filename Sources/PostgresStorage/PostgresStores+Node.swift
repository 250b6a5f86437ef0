import FacePayCore
import Foundation
import Ledger
import PostgresNIO
import Stores

/// What a node reads once at start-up, before it serves: the templates its gallery loads (read
/// ahead into a `TemplateSnapshot`, because the gallery's loader is synchronous) and the failed
/// attempts its lockouts and budgets replay.
extension PostgresStores {
    /// Every template of `models`, opened with the key ring (a row that does not open is listed,
    /// not loaded), and the gallery-change seq the snapshot is at: changes after it are the
    /// follower's (`PostgresGalleryFollower`).
    public func templateSnapshot(models: [String]) async throws -> TemplateSnapshot {
        try await database.read { connection in
            let cursor = try await PostgresRows.first(connection, "SELECT coalesce(max(seq), 0)::BIGINT AS seq FROM gallery_changes") {
                try $0["seq"].decode(Int64.self)
            } ?? 0
            var loads: [String: TemplateLoad] = [:]
            for model in models {
                loads[model] = try await Self.templates(connection, model: model, customerID: nil, keyRing: keyRing)
            }
            return TemplateSnapshot(loads: loads, changeCursor: cursor)
        }
    }

    /// The templates of one model (of one customer, or all), opened.
    static func templates(_ connection: PostgresConnection, model: String, customerID: String?,
                          keyRing: TemplateKeyRingSource) async throws -> TemplateLoad {
        let rows = try await PostgresRows.all(connection, """
            SELECT t.customer_id, t.key_id, t.sealed, c.phone_last4
            FROM face_templates t JOIN customers c ON c.id = t.customer_id
            WHERE t.model = \(model) AND (\(customerID)::TEXT IS NULL OR t.customer_id = \(customerID))
            """) { row in
            (try row["customer_id"].decode(String.self), try row["key_id"].decode(String.self),
             Data(try row["sealed"].decode(ByteBuffer.self).readableBytesView), try row["phone_last4"].decode(String.self))
        }
        var load = TemplateLoad(templates: [], undecryptable: [])
        for (customer, keyID, sealed, last4) in rows {
            // A key id the ring lacks: a `keys rotate` may have re-sealed the row after the ring was read.
            if !keyRing.ring.hasKey(id: keyID) { _ = keyRing.reloadIfChanged() }
            switch keyRing.ring.opening(sealed, keyID: keyID, customerID: customer, model: model) {
            case .success(let values):
                load.templates.append(LoadedTemplate(customerID: customer, phoneLast4: last4, keyID: keyID, values: values))
            case .failure(let reason):
                load.undecryptable.append(UndecryptableTemplate(customerID: customer, model: model, keyID: keyID, reason: reason.code))
            }
        }
        return load
    }

    /// The failed attempts kept, oldest first (start-up replays those within the budgets' memory;
    /// the decisions prune older rows as they go, so the table stays small).
    public func attemptFailureSnapshot() async throws -> AttemptFailureSnapshot {
        try await database.read { connection in
            let rows = try await PostgresRows.all(connection, "SELECT seq, budget, subject, at_ms FROM attempt_failures ORDER BY seq") { row in
                (try row["seq"].decode(Int64.self),
                 AttemptFailure(budget: try row["budget"].decode(String.self), subject: try row["subject"].decode(String.self)),
                 Date(epochMilliseconds: try row["at_ms"].decode(Int64.self)))
            }
            return AttemptFailureSnapshot(failures: rows.map { ($0.1, $0.2) }, cursor: rows.last?.0 ?? 0)
        }
    }

    /// Failed attempts other nodes recorded after `seq`, oldest first, with the last seq read.
    func attemptFailures(after seq: Int64, limit: Int) async throws -> (failures: [(failure: AttemptFailure, at: Date)], last: Int64?) {
        let rows = try await database.read { connection in
            try await PostgresRows.all(connection, """
                SELECT seq, budget, subject, at_ms, node FROM attempt_failures WHERE seq > \(seq) ORDER BY seq LIMIT \(Int64(limit))
                """) { row in
                (try row["seq"].decode(Int64.self), try row["node"].decode(String?.self),
                 AttemptFailure(budget: try row["budget"].decode(String.self), subject: try row["subject"].decode(String.self)),
                 Date(epochMilliseconds: try row["at_ms"].decode(Int64.self)))
            }
        }
        return (rows.filter { $0.1 != nodeID }.map { ($0.2, $0.3) }, rows.last?.0)
    }
}

/// Templates read ahead of the gallery's load.
public struct TemplateSnapshot: TemplateSource {
    public let loads: [String: TemplateLoad]
    public let changeCursor: Int64

    public func loadTemplates(model: String, progress: (Int, Int) -> Void) throws -> TemplateLoad {
        let load = loads[model] ?? TemplateLoad(templates: [], undecryptable: [])
        progress(load.templates.count, load.templates.count)
        return load
    }
}

/// Failed attempts read ahead of the trackers' replay (which asks from a horizon at or after the
/// snapshot's: only those are returned).
public struct AttemptFailureSnapshot: AttemptFailureStore {
    let failures: [(failure: AttemptFailure, at: Date)]
    /// The last row read: the follower counts the rows after it.
    public let cursor: Int64

    public func attemptFailures(since horizon: Date) throws -> [(failure: AttemptFailure, at: Date)] {
        failures.filter { $0.at >= horizon }
    }
}
