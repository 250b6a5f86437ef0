import Crypto
import FacePayMigrations
import Foundation
import Stores

/// One numbered SQL migration and its SHA-256, which is recorded when it is applied.
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

    /// The migrations compiled into this binary, in order.
    public static let embedded: [Migration] = EmbeddedMigrations.all.map {
        Migration(fileName: $0.fileName, sql: String(decoding: $0.sql, as: UTF8.self))
    }
}
