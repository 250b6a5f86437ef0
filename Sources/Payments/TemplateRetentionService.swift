import FacePayCore
import Foundation
import Logging
import ServiceLifecycle

/// Purges templates unused for `PaymentsSettings.templateRetentionSeconds` (default 3 years):
/// out of every index first, then the rows (secure_delete), each purge audited, then a WAL
/// checkpoint. Runs as a Service on the injected clock; `purgeDue()` is the testable step.
public struct TemplateRetentionService: Service {
    let payments: PaymentsService
    let pollInterval: Duration
    let batchSizeMax: Int
    let logger: Logger

    public init(payments: PaymentsService, pollInterval: Duration = .seconds(3600), batchSizeMax: Int = 256,
                logger: Logger = Logger(label: "facepay.retention")) {
        precondition(batchSizeMax > 0 && pollInterval > .zero)
        self.payments = payments
        self.pollInterval = pollInterval
        self.batchSizeMax = batchSizeMax
        self.logger = logger
    }

    /// Purges every template unused since now − retention; returns the customers purged.
    @discardableResult
    public func purgeDue() async throws -> [String] {
        let now = payments.clock.now()
        let cutoff = now.addingTimeInterval(-payments.settings.templateRetentionSeconds)
        var purged: [String] = []
        while true {
            let customers = try await payments.customers.customersWithTemplatesUnused(since: cutoff, limit: batchSizeMax)
            if customers.isEmpty { break }
            for customerID in customers { payments.galleries.removeEverywhere(customerID: customerID) }
            try await payments.customers.purgeTemplates(of: customers, unusedSince: cutoff, now: now)
            purged += customers
            if customers.count < batchSizeMax { break }
        }
        if !purged.isEmpty { try await payments.customers.compactAfterDeletion() }
        return purged
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let purged = try await purgeDue()
                if !purged.isEmpty { logger.notice("templates purged by retention", metadata: ["count": "\(purged.count)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("retention pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
        }
    }
}
