import FacePayCore
import Foundation

/// Ids for ledger rows (`trf_`, `pay_`, `rfd_`, `evt_`, `acc_`) that sort by creation time.
///
/// Same shape and character set as `FacePayCore.Identifier` (prefix, `_`, 26 lower-case base32
/// characters; `Identifier.isWellFormed` accepts them), but the first 10 characters encode the
/// creation time in milliseconds and the last 16 carry 80 random bits. Why: these ids are keys
/// of UNIQUE indexes that grow with every payment. Random keys land on random leaf pages, and
/// with group commit every such page is rewritten to the WAL on each commit; time-ordered keys
/// append at the right edge of the B-tree, so a batch of payments dirties a handful of pages
/// instead of hundreds. The time in an id tells no more than the row's `created_at`.
public enum LedgerIdentifier {
    /// The base32 alphabet of `Identifier`, reordered by ASCII value so text order is numeric order.
    private static let alphabet = Array("234567abcdefghijklmnopqrstuvwxyz".utf8)

    /// The smallest id of `prefix` that `make` can return at or after `date`: `id >= lowerBound`
    /// selects exactly the rows created at or after `date` (to the millisecond), through the
    /// UNIQUE index on the id.
    public static func lowerBound(_ prefix: IDPrefix, at date: Date) -> String {
        let milliseconds = UInt64(max(0, date.wholeMillisecondsSince1970)) & ((1 << 50) - 1)
        var bytes = Array(prefix.rawValue.utf8)
        bytes.append(UInt8(ascii: "_"))
        for index in 0..<10 {
            bytes.append(alphabet[Int((milliseconds >> UInt64(45 - 5 * index)) & 31)])
        }
        bytes.append(contentsOf: [UInt8](repeating: alphabet[0], count: 16))
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func make(_ prefix: IDPrefix, now: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, now.wholeMillisecondsSince1970)) & ((1 << 50) - 1)
        // 80 random bits as 16 groups of 5.
        var random = (UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &random) { SecureRandom.fill(UnsafeMutableRawBufferPointer(rebasing: $0[0..<10])) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(prefix.rawValue.utf8.count + 27)
        bytes.append(contentsOf: prefix.rawValue.utf8)
        bytes.append(UInt8(ascii: "_"))
        for index in 0..<10 {
            bytes.append(alphabet[Int((milliseconds >> UInt64(45 - 5 * index)) & 31)])
        }
        var low = random.0
        for _ in 0..<12 {
            bytes.append(alphabet[Int(low & 31)])
            low >>= 5
        }
        // 4 bits left of the first word, 16 bits of the second.
        var high = ((random.1 & 0xFFFF) << 4) | low
        for _ in 0..<4 {
            bytes.append(alphabet[Int(high & 31)])
            high >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
