import Foundation
import Liveness

/// ISO/IEC 30107-3 style results: APCER per attack family (share of attack presentations accepted
/// as bona fide) and BPCER (share of bona fide presentations rejected), with the counts behind them.
public struct AttackReport: Sendable, Equatable, Codable {
    public struct FamilyResult: Sendable, Equatable, Codable {
        public let family: String
        public let attempts: Int
        public let accepted: Int
        /// accepted / attempts.
        public let apcer: Double
        /// Check name → attempts in which it failed.
        public let failedChecks: [String: Int]

        enum CodingKeys: String, CodingKey {
            case family, attempts, accepted, apcer
            case failedChecks = "failed_checks"
        }
    }

    public let seed: UInt64
    public let genuineSessions: Int
    public let genuineRejected: Int
    /// genuineRejected / genuineSessions.
    public let bpcer: Double
    /// Check name → genuine sessions in which it failed.
    public let genuineFailedChecks: [String: Int]
    public let attacks: [FamilyResult]

    enum CodingKeys: String, CodingKey {
        case seed, bpcer, attacks
        case genuineSessions = "genuine_sessions"
        case genuineRejected = "genuine_rejected"
        case genuineFailedChecks = "genuine_failed_checks"
    }

    public func result(for family: AttackFamily) -> FamilyResult? {
        attacks.first { $0.family == family.rawValue }
    }

    /// `{"bpcer": …, "genuine_sessions": …, "attacks": [{"family": …, "attempts": …, "apcer": …}, …], …}`
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            preconditionFailure("encoding the report failed: \(error)")
        }
    }

    /// A fixed-width table for a terminal.
    public var table: String {
        func percent(_ value: Double) -> String { String(format: "%6.2f %%", value * 100) }
        func checks(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "-" : counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func leftPadded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        var lines = [String]()
        lines.append("Liveness attack report (ISO/IEC 30107-3 terms), seed \(seed)")
        lines.append("Bona fide: \(genuineSessions) genuine sessions, \(genuineRejected) rejected, BPCER \(percent(bpcer))"
                     + (genuineFailedChecks.isEmpty ? "" : "  [\(checks(genuineFailedChecks))]"))
        lines.append("")
        lines.append(padded("attack family", 22) + leftPadded("attempts", 9) + leftPadded("accepted", 9)
                     + leftPadded("APCER", 10) + "  checks that failed (attempts)")
        for result in attacks {
            lines.append(padded(result.family, 22) + leftPadded("\(result.attempts)", 9) + leftPadded("\(result.accepted)", 9)
                         + leftPadded(percent(result.apcer), 10) + "  " + checks(result.failedChecks))
        }
        return lines.joined(separator: "\n")
    }
}
