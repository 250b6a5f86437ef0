import FacePayCore
import Foundation
@testable import Storage
import Stores
import Testing

@Suite struct TimestampTests {
    @Test func formatMatchesTheWireFormatAndRoundTrips() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("TimestampTests seed: \(seed)")
        var random = SeededRandom(seed: seed)
        for _ in 0..<2_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &random))
            let text = Timestamp.text(date)
            let truncated = Timestamp.truncated(date)
            #expect(text.utf8.count == 24, "seed \(seed)")
            // Foundation's formatter floors, and a whole millisecond as a Double can sit just below
            // itself: a tenth of a millisecond more makes it print the intended digits.
            #expect(text == truncated.addingTimeInterval(0.0001).rfc3339, "seed \(seed) \(date.timeIntervalSince1970)")
            #expect(Timestamp.date(text) == truncated, "seed \(seed) \(text)")
            #expect(Timestamp.truncated(truncated) == truncated)
            #expect(Timestamp.text(truncated) == text)
        }
        #expect(Timestamp.text(Date(timeIntervalSince1970: 1_800_000_000.5)) == "2027-01-15T08:00:00.500Z")
        #expect(Timestamp.date("2027-01-15T08:00:00Z") == Date(timeIntervalSince1970: 1_800_000_000))
    }
}

@Suite struct LedgerIdentifierTests {
    @Test func idsAreWellFormedUniqueAndSortByTime() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var previous = ""
        var seen: Set<String> = []
        for step in 0..<1_000 {
            let id = LedgerIdentifier.make(.transfer, now: start.addingTimeInterval(Double(step) * 0.001))
            #expect(Identifier.isWellFormed(id, .transfer))
            #expect(id.utf8.count == 30)
            #expect(id > previous)
            #expect(seen.insert(id).inserted)
            previous = id
        }
    }

    @Test func lowerBoundSelectsExactlyFromItsMillisecond() {
        let instant = Date(timeIntervalSince1970: 1_800_000_000.123)
        let bound = LedgerIdentifier.lowerBound(.transfer, at: instant)
        for _ in 0..<200 {
            #expect(LedgerIdentifier.make(.transfer, now: instant) >= bound)
            #expect(LedgerIdentifier.make(.transfer, now: instant.addingTimeInterval(-0.001)) < bound)
        }
    }
}
