import FacePayCore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Stores
import Synchronization

/// A change a node applies to what it keeps in memory: its gallery, and the failed attempts its
/// lockouts and budgets count.
public enum GalleryUpdate: Sendable {
    case add(model: String, LoadedTemplate)
    /// An erasure or a purge; `forgottenCaptures` are the replay sightings an erasure deleted,
    /// which the node drops from its replay index too.
    case remove(customerID: String, forgottenCaptures: Set<Int64>)
    /// Failures other nodes recorded, oldest first.
    case attemptFailures([(failure: AttemptFailure, at: Date)])
}

/// Keeps one node's gallery, and its count of failed attempts, in step with the other nodes:
/// follows `attempt_failures` (the rows of other nodes) and `gallery_changes` (appended in the
/// transaction of every enrolment, erasure and purge, with a `NOTIFY facepay_gallery`) from the
/// seq its start-up snapshot was at. It wakes on a notification, and polls every `pollInterval`
/// anyway: a notification sent while the node was not listening (a reconnect, a database
/// restart) is lost, the log is not. The index only proposes candidates: a payment re-checks in
/// its transaction that the matched template still exists, so an erasure holds on every node at
/// once, before the follower removes the face.
public final class PostgresGalleryFollower: Service, Sendable {
    let stores: PostgresStores
    let models: [String]
    let pollInterval: Duration
    let apply: @Sendable (GalleryUpdate) -> Void
    let logger: Logger
    private let state: Mutex<(cursor: Int64, failureCursor: Int64, caughtUpAt: ContinuousClock.Instant?, woken: Bool)>
    /// Enrolled templates sealed under a key this node's key file did not hold yet (another node
    /// had the rotated file first): loaded once the file gains the key, so a rotation rolled out
    /// to the nodes one by one loses nobody.
    private let awaitingKey = Mutex<[TemplateRowKey: String]>([:])
    static let channel = "facepay_gallery"
    static let batchMax = 500

    /// `undecryptable`: the templates the start-up load skipped; those under a key the key file
    /// lacks wait for it here like the ones followed later.
    public init(stores: PostgresStores, models: [String], cursor: Int64, failureCursor: Int64, undecryptable: [UndecryptableTemplate] = [],
                pollInterval: Duration = .seconds(2), logger: Logger = Logger(label: "facepay.gallery-follower"),
                apply: @escaping @Sendable (GalleryUpdate) -> Void) {
        self.stores = stores
        self.models = models
        self.pollInterval = pollInterval
        self.apply = apply
        self.logger = logger
        state = Mutex((cursor, failureCursor, ContinuousClock.now, false))
        awaitingKey.withLock { waiting in
            for skipped in undecryptable where skipped.reason == "template_key_missing" {
                waiting[TemplateRowKey(customerID: skipped.customerID, model: skipped.model)] = skipped.keyID
            }
        }
    }

    /// The last change applied.
    public var cursor: Int64 { state.withLock { $0.cursor } }

    /// True when the last catch-up finished less than `bound` ago (`/readyz`).
    public func isCaughtUp(within bound: Duration) -> Bool {
        state.withLock { $0.caughtUpAt.map { ContinuousClock.now - $0 < bound } ?? false }
    }

    /// Applies every change after the cursor, in order; returns how many.
    @discardableResult
    public func catchUp() async throws -> Int {
        try await loadTemplatesNowOpenable()
        var applied = 0
        while true {
            let (failures, last) = try await stores.attemptFailures(after: state.withLock { $0.failureCursor }, limit: Self.batchMax)
            if !failures.isEmpty { apply(.attemptFailures(failures)) }
            guard let last else { break }
            state.withLock { $0.failureCursor = last }
            applied += failures.count
        }
        while true {
            let after = cursor
            let changes = try await stores.database.read { connection in
                try await PostgresRows.all(connection, """
                    SELECT seq, kind, customer_id, model, forgotten_captures, at FROM gallery_changes
                    WHERE seq > \(after) ORDER BY seq LIMIT \(Int64(Self.batchMax))
                    """) { row in
                    (try row["seq"].decode(Int64.self), try row["kind"].decode(String.self), try row["customer_id"].decode(String?.self),
                     try row["model"].decode(String?.self), try row["forgotten_captures"].decode([Int64].self),
                     try PostgresRows.date(try row["at"].decode(String.self), "gallery change"))
                }
            }
            // Every node journals every erasure (the erasing node before it answers, the others
            // here), so any node's journal can re-apply them after the restore of an older backup.
            try stores.erasureJournal?.record(changes.compactMap { change in
                guard change.1 == PostgresStores.GalleryChange.erased.rawValue, let customerID = change.2 else { return nil }
                return ErasureJournal.Entry(customerID: customerID, erasedAt: change.5)
            })
            for (seq, kind, customerID, model, forgottenCaptures, _) in changes {
                switch kind {
                case "enrolled":
                    if let customerID, let model, models.contains(model) {
                        try await load(TemplateRowKey(customerID: customerID, model: model))
                    }
                case "erased", "purged":
                    if let customerID {
                        awaitingKey.withLock { waiting in waiting = waiting.filter { $0.key.customerID != customerID } }
                        apply(.remove(customerID: customerID, forgottenCaptures: Set(forgottenCaptures)))
                    }
                default:
                    break  // rekeyed: the values are the same
                }
                state.withLock { $0.cursor = seq }
                applied += 1
            }
            if changes.count < Self.batchMax { break }
        }
        state.withLock { $0.caughtUpAt = ContinuousClock.now }
        return applied
    }

    /// Loads one enrolled template into the gallery; one under a key this node lacks waits for it.
    private func load(_ row: TemplateRowKey) async throws {
        let load = try await stores.database.read { connection in
            try await PostgresStores.templates(connection, model: row.model, customerID: row.customerID, keyRing: stores.keyRing)
        }
        awaitingKey.withLock { _ = $0.removeValue(forKey: row) }
        for template in load.templates { apply(.add(model: row.model, template)) }
        for skipped in load.undecryptable {
            if skipped.reason == "template_key_missing" { awaitingKey.withLock { $0[row] = skipped.keyID } }
            logger.error("enrolled template does not decrypt on this node", metadata: [
                "customer_id": .string(skipped.customerID), "key_id": .string(skipped.keyID), "reason": .string(skipped.reason)])
        }
    }

    /// Retries the templates awaiting a key the key file now holds.
    private func loadTemplatesNowOpenable() async throws {
        guard !awaitingKey.withLock({ $0.isEmpty }) else { return }
        stores.keyRing.reloadIfChanged()
        let ring = stores.keyRing.ring
        for row in awaitingKey.withLock({ waiting in waiting.filter { ring.hasKey(id: $0.value) }.map(\.key) }) {
            try await load(row)
        }
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.listen() }
            var lastPoll = ContinuousClock.now - pollInterval
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let woken = state.withLock { state in
                    defer { state.woken = false }
                    return state.woken
                }
                if woken || ContinuousClock.now - lastPoll >= pollInterval {
                    lastPoll = ContinuousClock.now
                    do {
                        try await catchUp()
                    } catch is CancellationError {
                        break
                    } catch {
                        // The database is away (restart, failover): the next poll catches up.
                        logger.warning("gallery catch-up failed", metadata: ["error": "\(PostgresDatabase.translated(error))"])
                    }
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(50)) }
            }
            group.cancelAll()
        }
    }

    /// LISTENs on its own connection, re-listening after a lost connection.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await stores.database.client.withConnection { connection in
                    for try await _ in try await connection.listen(Self.channel) {
                        state.withLock { $0.woken = true }
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.debug("gallery listen ended; listening again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

/// `/readyz` of a node on PostgreSQL: the database answers and the gallery is caught up within
/// `lagMax` (the pool and the migrations are there by the time the node serves at all).
public struct PostgresNodeHealth: StoreHealth {
    let stores: PostgresStores
    let follower: PostgresGalleryFollower
    let lagMax: Duration

    public init(stores: PostgresStores, follower: PostgresGalleryFollower, lagMax: Duration = .seconds(10)) {
        self.stores = stores
        self.follower = follower
        self.lagMax = lagMax
    }

    public func isReady() async -> Bool {
        guard follower.isCaughtUp(within: lagMax) else { return false }
        return await stores.isReady()
    }
}
