import FacePayCore
import Foundation
import Synchronization

/// The ledger's one time format in every store (SQLite and PostgreSQL alike): RFC 3339 UTC with milliseconds
/// (`2027-01-15T08:00:00.500Z`, always 24 characters), so that text order is time order and
/// range queries on `created_at` / `expires_at` work on plain indexes.
public enum Timestamp {
    /// Whole milliseconds since 1970 (see `Date.wholeMillisecondsSince1970`).
    public static func milliseconds(_ date: Date) -> Int64 {
        date.wholeMillisecondsSince1970
    }

    /// Drops sub-millisecond precision, so a time compares the same before and after a round trip
    /// through the database (both sides are `Double(milliseconds) / 1000`).
    public static func truncated(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    /// The last millisecond formatted and its text: one payment formats the same `now` for its
    /// transfer, payment, audit event and idempotency record.
    private static let lastText = Mutex<(milliseconds: Int64, text: String)>((Int64.min, ""))

    /// The fixed 24-character form, from integer milliseconds (no formatter rounding to trust).
    public static func text(_ date: Date) -> String {
        let total = milliseconds(date)
        if let cached = lastText.withLock({ $0.milliseconds == total ? $0.text : nil }) { return cached }
        let text = format(milliseconds: total)
        lastText.withLock { $0 = (total, text) }
        return text
    }

    private static func format(milliseconds total: Int64) -> String {
        let millisecond = Int(((total % 1000) + 1000) % 1000)
        let seconds = (total - Int64(millisecond)) / 1000
        let days = Int((seconds >= 0 ? seconds : seconds - 86_399) / 86_400)
        let secondOfDay = Int(seconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        precondition((0...9999).contains(year), "year \(year) does not fit the ledger's time format")
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at offset: Int, width: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        bytes[4] = 45
        put(month, at: 5, width: 2)
        bytes[7] = 45
        put(day, at: 8, width: 2)
        bytes[10] = 84
        put(secondOfDay / 3600, at: 11, width: 2)
        bytes[13] = 58
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        bytes[16] = 58
        put(secondOfDay % 60, at: 17, width: 2)
        bytes[19] = 46
        put(millisecond, at: 20, width: 3)
        bytes[23] = 90
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses the fixed 24-character form quickly (it is read on every ledger operation);
    /// anything else goes through the general RFC 3339 parser.
    public static func date(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 24, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58,
                  bytes[16] == 58, bytes[19] == 46, bytes[23] == 90 else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let digit = Int(bytes[index]) - 48
                    guard digit >= 0 && digit <= 9 else { return nil }
                    value = value * 10 + digit
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
                  let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
                  let millisecond = number(20..<23), (1...12).contains(month), (1...31).contains(day),
                  hour < 24, minute < 60, second < 61 else { return nil }
            let days = GregorianCalendarDays.since1970(year: year, month: month, day: day)
            let total = Int64(days * 86_400 + hour * 3_600 + minute * 60 + second) * 1000 + Int64(millisecond)
            return Date(timeIntervalSince1970: Double(total) / 1000)
        } ?? Date.parseRFC3339(text)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
