import Foundation
import Synchronization

/// Injected wall-clock time. Everything that expires (challenges, holds, lockouts, templates)
/// asks a `WallClock`, so tests move time instead of sleeping.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when a test tells it to.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func advance(seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

extension Date {
    /// RFC 3339 UTC with millisecond precision, the one time format of the wire contract.
    public var rfc3339: String {
        self.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// Parses an RFC 3339 date-time (`2026-12-01T08:00:00Z`, `…T08:00:00.250+01:00`): nil for
    /// anything else, strictly — no day 30 of February, no leap second, no missing offset, no
    /// year outside 0000-9999, and no instant outside years 0000-9999 in UTC either (an offset
    /// can carry `9999-12-31T23:59:59-12:00` into year 10000, which no stored time can be
    /// compared with). Written out rather than left to a lenient formatter, because it parses
    /// what callers send (auditor query strings).
    public static func parseRFC3339(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        func byte(_ index: Int, is character: Character) -> Bool {
            index < bytes.count && bytes[index] == character.asciiValue!
        }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"), let day = number(8, 2),
              byte(10, is: "T") || byte(10, is: "t"), let hour = number(11, 2), byte(13, is: ":"), let minute = number(14, 2),
              byte(16, is: ":"), let second = number(17, 2),
              (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { return nil }
        var position = 19
        var fraction = 0.0
        if byte(position, is: ".") {
            position += 1
            var scale = 0.1
            let start = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39, position - start < 9 {
                fraction += Double(bytes[position] - 0x30) * scale
                scale /= 10
                position += 1
            }
            guard position > start else { return nil }
        }
        var offsetSeconds = 0
        if byte(position, is: "Z") || byte(position, is: "z") {
            position += 1
        } else if byte(position, is: "+") || byte(position, is: "-") {
            let sign = byte(position, is: "-") ? -1 : 1
            guard let offsetHours = number(position + 1, 2), byte(position + 3, is: ":"), let offsetMinutes = number(position + 4, 2),
                  offsetHours < 24, offsetMinutes < 60 else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            position += 6
        } else {
            return nil
        }
        guard position == bytes.count else { return nil }
        let days = GregorianCalendarDays.since1970(year: year, month: month, day: day)
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) + fraction
        let date = Date(timeIntervalSince1970: seconds)
        return rfc3339Range.contains(date) ? date : nil
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// 0000-01-01T00:00:00Z up to, not including, 10000-01-01T00:00:00Z.
    public static let rfc3339Range: Range<Date> = Date(timeIntervalSince1970: -62_167_219_200)..<Date(timeIntervalSince1970: 253_402_300_800)
}

/// Day counts of the proleptic Gregorian calendar, in integers (no formatter to trust).
public enum GregorianCalendarDays {
    /// Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    public static func since1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Date {
    /// Whole milliseconds since 1970, as the stores keep times in INTEGER columns.
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    /// Whole milliseconds since 1970, rounded down (what the ledger stores and its ids encode).
    /// The small tolerance makes it idempotent: a time that is already a whole millisecond (but
    /// not exactly representable as a Double) stays on it.
    public var wholeMillisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000 + 0.001).rounded(.down)) }
    public init(epochMilliseconds: Int64) { self.init(timeIntervalSince1970: Double(epochMilliseconds) / 1000) }
}
