import FacePayMigrations
import Foundation
import Stores

extension Migration {
    /// The SQLite migrations compiled into this binary, in order.
    public static let embedded: [Migration] = EmbeddedMigrations.all.map {
        Migration(fileName: $0.fileName, sql: String(decoding: $0.sql, as: UTF8.self))
    }
}
