import FacePayCore
import Foundation
import GRDB
import Storage
import Testing

@Suite("CheckpointService: WAL pages copied off the writer")
struct CheckpointServiceTests {
    @Test("a checkpoint copies every committed frame into the database file while the pool stays open")
    func checkpointCopiesCommittedFrames() async throws {
        let test = try TestDatabase()
        let database = test.database
        let fileSize = { (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0 }
        try await database.pool.write { db in
            for index in 0..<200 {
                try db.execute(sql: "INSERT INTO devices (id, role, merchant_id, status, created_at) VALUES (?, 'terminal', 'M-1', 'active', ?)",
                               arguments: ["T-CK-\(index)", Date().rfc3339])
            }
        }
        let sizeBefore = fileSize()
        let checkpointer = try CheckpointService(database: database)
        let result = try await checkpointer.checkpoint()
        #expect(result.walFrames > 0)
        #expect(result.checkpointedFrames == result.walFrames)
        #expect(fileSize() > sizeBefore, "the pages are now in the database file itself")
        #expect(try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM devices WHERE id LIKE 'T-CK-%'") } == 200)
    }
}
