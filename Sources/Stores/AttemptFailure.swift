import Foundation

/// One failed attempt counted against one budget (see 0007_attempt_failures.sql).
public struct AttemptFailure: Sendable, Hashable {
    public let budget: String
    public let subject: String

    public init(budget: String, subject: String) {
        self.budget = budget
        self.subject = subject
    }
}

/// The failure log the attempt budgets are rebuilt from at start-up.
public protocol AttemptFailureStore: Sendable {
    /// The failures since `horizon`, oldest first.
    func attemptFailures(since horizon: Date) throws -> [(failure: AttemptFailure, at: Date)]
}
