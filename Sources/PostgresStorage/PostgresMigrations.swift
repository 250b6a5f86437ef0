import Stores

/// The numbered PostgreSQL migrations of Migrations/ (beside this file), compiled into the
/// binary. Adding one: add `NNNN_name.sql`, list it in Package.swift's resources and in `all`.
/// Released files are never edited: the runner records each file's SHA-256 (`Migration.pending`).
enum PostgresMigrations {
    static let all: [Migration] = [
        ("0001_devices.sql", PackageResources._001_devices_sql),
        ("0002_ledger.sql", PackageResources._002_ledger_sql),
        ("0003_customers.sql", PackageResources._003_customers_sql),
        ("0004_liveness.sql", PackageResources._004_liveness_sql),
        ("0005_integrity.sql", PackageResources._005_integrity_sql),
        ("0006_gallery_changes.sql", PackageResources._006_gallery_changes_sql),
        ("0007_attempt_failure_nodes.sql", PackageResources._007_attempt_failure_nodes_sql),
        ("0008_idempotency_claims.sql", PackageResources._008_idempotency_claims_sql),
        ("0009_gallery_change_captures.sql", PackageResources._009_gallery_change_captures_sql),
        ("0010_audit_tree.sql", PackageResources._010_audit_tree_sql),
        ("0011_audit_counts.sql", PackageResources._011_audit_counts_sql),
        ("0012_audit_event_keys.sql", PackageResources._012_audit_event_keys_sql),
    ].map { Migration(fileName: $0.0, sql: String(decoding: $0.1, as: UTF8.self)) }

    /// The statements of a file, split at the semicolons that end them. PostgresNIO speaks the
    /// extended protocol, which takes one statement per query; semicolons inside quotes,
    /// dollar-quoted bodies (`$$ … $$`, `$fn$ … $fn$`) and comments do not split.
    static func statements(of sql: String) -> [String] {
        let characters = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty && !text.allSatisfy({ $0 == ";" }) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        while index < characters.count {
            let character = characters[index]
            if character == "-", index + 1 < characters.count, characters[index + 1] == "-" {
                // A comment to the end of the line.
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "'" {
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == "'" {
                        if index + 1 < characters.count, characters[index + 1] == "'" {
                            current.append(characters[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                continue
            }
            if character == "$", let tagEnd = characters[(index + 1)...].firstIndex(where: { !($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }),
               characters[tagEnd] == "$" {
                let tag = Array(characters[index...tagEnd])
                current.append(contentsOf: tag)
                index = tagEnd + 1
                while index < characters.count {
                    if characters[index] == "$", index + tag.count <= characters.count, Array(characters[index..<(index + tag.count)]) == tag {
                        current.append(contentsOf: tag)
                        index += tag.count
                        break
                    }
                    current.append(characters[index])
                    index += 1
                }
                continue
            }
            if character == ";" {
                flush()
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        flush()
        return statements
    }
}
