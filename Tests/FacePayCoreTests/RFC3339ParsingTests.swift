import FacePayCore
import Foundation
import Testing

@Suite("RFC 3339 parsing of caller-sent times")
struct RFC3339ParsingTests {
    @Test("valid date-times parse to the instant they name, offsets and fractions included")
    func valid() throws {
        let base = try #require(Date.parseRFC3339("2026-12-01T08:00:00Z"))
        #expect(base.timeIntervalSince1970 == 1_796_112_000)
        #expect(Date.parseRFC3339("2026-12-01T09:30:00+01:30") == base)
        #expect(Date.parseRFC3339("2026-12-01T07:00:00-01:00") == base)
        #expect(Date.parseRFC3339("2026-12-01t08:00:00z") == base)
        let fraction = try #require(Date.parseRFC3339("2026-12-01T08:00:00.250Z"))
        #expect(abs(fraction.timeIntervalSince(base) - 0.25) < 1e-6)
        #expect(Date.parseRFC3339("2024-02-29T00:00:00Z") != nil)
        #expect(Date.parseRFC3339("0000-01-01T00:00:00Z") != nil)
        #expect(Date.parseRFC3339("9999-12-31T23:59:59Z") != nil)
        // The wire format the server writes parses back to the same instant.
        let now = Date(timeIntervalSince1970: 1_796_112_000.5)
        #expect(Date.parseRFC3339(now.rfc3339) == now)
    }

    @Test("anything else is nil: impossible dates, missing offsets, years past 9999 after the offset, junk")
    func invalid() {
        for text in ["2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
                     "2026-12-01T24:00:00Z", "2026-12-01T23:60:00Z", "2026-12-01T23:59:60Z", "2026-12-01T08:00:00",
                     "2026-12-01 08:00:00Z", "2026-12-01T08:00:00+1:00", "2026-12-01T08:00:00+24:00", "2026-12-01T08:00:00.Z",
                     "2026-12-01T08:00:00.1234567890Z", "9999-12-31T23:59:59-12:00", "0000-01-01T00:00:00+14:00",
                     "+275760-09-13T00:00:00Z", "2026-12-01T08:00:00Zjunk", "", "1e400", String(repeating: "9", count: 200),
                     "２０２６-12-01T08:00:00Z"] {
            #expect(Date.parseRFC3339(text) == nil, "\(text)")
        }
    }
}
