import GRDB
import Stores

/// A device is a row of `devices` (the value itself is the stores' and knows no SQLite).
extension Device: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "devices"
}
