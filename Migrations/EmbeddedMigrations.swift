/// The numbered SQL migrations, compiled into the binary (SwiftPM `embedInCode`), in order.
/// Adding a migration: add `NNNN_name.sql` here, in Package.swift's resource list, and in
/// `all` below. A test checks that the three agree with the directory.
public enum EmbeddedMigrations {
    public static let all: [(fileName: String, sql: [UInt8])] = [
        ("0001_devices.sql", PackageResources._001_devices_sql),
        ("0002_ledger.sql", PackageResources._002_ledger_sql),
        ("0003_customers.sql", PackageResources._003_customers_sql),
        ("0004_liveness.sql", PackageResources._004_liveness_sql),
        ("0005_frame_sightings.sql", PackageResources._005_frame_sightings_sql),
        ("0006_verified_state_and_retention.sql", PackageResources._006_verified_state_and_retention_sql),
        ("0007_attempt_failures.sql", PackageResources._007_attempt_failures_sql),
        ("0008_replay_sightings.sql", PackageResources._008_replay_sightings_sql),
        ("0009_audit_tree.sql", PackageResources._009_audit_tree_sql),
        ("0010_audit_counts.sql", PackageResources._010_audit_counts_sql),
        ("0011_audit_event_keys.sql", PackageResources._011_audit_event_keys_sql),
    ]
}
