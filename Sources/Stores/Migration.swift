import Crypto
import FacePayCore
import Foundation

/// One numbered SQL migration and its SHA-256, which is recorded when it is applied. Each
/// backend has its own numbered files (SQLite: Migrations/, PostgreSQL:
/// Sources/PostgresStorage/Migrations/) and its own runner; the rule of what may be applied is
/// this one, the same for both.
public struct Migration: Sendable, Equatable {
    public let fileName: String
    public let sql: String

    public init(fileName: String, sql: String) {
        self.fileName = fileName
        self.sql = sql
    }

    /// The number prefix of the file name (`0001_devices.sql` → 1).
    public var version: Int {
        Int(fileName.prefix(while: \.isNumber)) ?? 0
    }

    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// What a database recorded of one applied migration.
    public struct Applied: Sendable {
        public let version: Int
        public let fileName: String
        public let checksum: String

        public init(version: Int, fileName: String, checksum: String) {
            self.version = version
            self.fileName = fileName
            self.checksum = checksum
        }
    }

    /// The migrations of `migrations` still to apply, in order, given what the database recorded.
    /// Refuses when an applied migration's file changed (the checksum differs) or the database
    /// knows a migration this binary does not: both mean the schema is not what the code expects,
    /// and guessing would risk the ledger.
    public static func pending(_ migrations: [Migration], applied: [Applied]) throws -> [Migration] {
        let versions = migrations.map(\.version)
        precondition(versions == versions.sorted() && Set(versions).count == versions.count && !versions.contains(0),
                     "migrations must be uniquely numbered and in order")
        var recordedByVersion: [Int: Applied] = [:]
        for record in applied { recordedByVersion[record.version] = record }
        let known = Set(versions)
        if let unknown = recordedByVersion.keys.sorted().first(where: { !known.contains($0) }) {
            throw FacePayError(.internalFailure, code: "migration_unknown",
                               detail: "database has migration \(recordedByVersion[unknown]?.fileName ?? "\(unknown)") that this binary does not know; use a newer facepay")
        }
        return try migrations.filter { migration in
            guard let existing = recordedByVersion[migration.version] else { return true }
            guard existing.checksum == migration.checksum, existing.fileName == migration.fileName else {
                throw FacePayError(.internalFailure, code: "migration_tampered",
                                   detail: "migration \(migration.fileName) changed after it was applied (recorded sha256 \(existing.checksum), file sha256 \(migration.checksum)); released migrations must never be edited")
            }
            return false
        }
    }
}
