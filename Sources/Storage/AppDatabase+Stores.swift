import Stores

/// The SQLite database is the registry, the auditor's reader and the health check of one node.
extension AppDatabase: DeviceRegistry, AuditReader, StoreHealth {
    public func verifyIntegrity(newSinceLastRun problemsMax: Int) async throws -> IntegrityReport {
        try await verifyIntegrityIncrementally(problemsMax: problemsMax).report
    }
}
