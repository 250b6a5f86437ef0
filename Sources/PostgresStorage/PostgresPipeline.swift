import NIOCore
import PostgresNIO

/// Statements sent on one connection back to back, with one wait for all of their answers.
///
/// PostgresNIO queues the queries written to a connection and sends the next one from its event
/// loop as soon as the server has answered the previous one (it does not pipeline on the wire).
/// Awaiting each query instead costs two thread hops per statement (to the event loop and back to
/// the task) on top of the round trip; on this machine that was most of a batch's time
/// (SCALING.md, "set-oriented batches"). So the set path sends what does not depend on an
/// earlier answer together: its reads, then its writes and the COMMIT.
///
/// Every statement runs, in order, whatever an earlier one answered: after a failure inside a
/// transaction the rest fail ("current transaction is aborted") and a COMMIT answers ROLLBACK —
/// so a caller sends statements that change data only after a BEGIN that is known to have run.
enum PostgresPipeline {
    static func run(_ connection: PostgresConnection, _ queries: [PostgresQuery]) async throws -> [Result<PostgresQueryResult, any Error>] {
        let answers: [EventLoopFuture<PostgresQueryResult>] = queries.map { connection.query($0, logger: PostgresRows.logger) }
        return try await EventLoopFuture.whenAllComplete(answers, on: connection.eventLoop).get()
    }

    /// Whether a pipelined COMMIT committed: in a transaction a statement aborted, it answers ROLLBACK.
    static func committed(_ answer: Result<PostgresQueryResult, any Error>) throws -> Bool {
        try answer.get().metadata.command == "COMMIT"
    }
}
