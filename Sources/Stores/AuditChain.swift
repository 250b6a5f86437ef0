import Crypto
import FacePayCore
import Foundation

/// The rules of the hash-chained audit log, the same for every store (LEDGER.md):
///
/// Canonical event: the UTF-8 text
/// `{"action":A,"actor":B,"detail":D,"event_id":E,"seq":N,"subject":S,"time":T}` where A, B, E,
/// S, T are JSON strings in `CanonicalJSON` form, N is the decimal seq and D is the stored
/// detail text (itself canonical JSON). Then
/// `hash = lowercase hex of SHA-256( ASCII bytes of prev_hash (64 lowercase hex characters) ‖ canonical event )`
/// and the first event's `prev_hash` is 64 `0` characters. Check one row with
/// `printf '%s%s' "$prev_hash" "$canonical" | sha256sum`.
///
/// A store appends the event `next(after:)` makes inside the transaction of what it records,
/// with the head read under whatever keeps appends in order (SQLite: its one writer;
/// PostgreSQL: a lock on the chain head row).
public enum AuditChain {
    /// Keys (or parts of keys) that would carry biometric data. An event naming one is a
    /// programmer error: no biometric value is ever put in an audit event.
    static let biometricKeyFragments = ["embedding", "template", "frame", "image", "pixel", "vector", "landmark"]
    private static let biometricKeyFragmentBytes = biometricKeyFragments.map { Array($0.utf8) }
    /// Longer arrays of numbers look like a (quantised) embedding and are refused as well.
    static let numericArrayCountMax = 8

    /// Why `detail` is not allowed in an audit event, or nil when it is.
    public static func biometricViolation(in detail: [String: CanonicalJSON]) -> String? {
        func check(_ value: CanonicalJSON, path: String) -> String? {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if let fragment = biometricFragment(in: key) {
                        return "key '\(path)\(key)' looks biometric ('\(fragment)')"
                    }
                    if let problem = check(member, path: "\(path)\(key).") { return problem }
                }
            case .array(let elements):
                let numbers = elements.filter { if case .integer = $0 { return true } else { return false } }.count
                if numbers > numericArrayCountMax {
                    return "'\(path)' holds \(numbers) numbers, which could be an embedding"
                }
                for element in elements {
                    if let problem = check(element, path: path) { return problem }
                }
            default: break
            }
            return nil
        }
        return check(.object(detail), path: "")
    }

    /// The first biometric fragment `key` contains, ignoring ASCII case. Plain byte search: this
    /// runs for every key of every event, on the payment path.
    private static func biometricFragment(in key: String) -> String? {
        let bytes = key.utf8
        let count = bytes.count
        for (index, fragment) in biometricKeyFragmentBytes.enumerated() where count >= fragment.count {
            var start = bytes.startIndex
            for _ in 0...(count - fragment.count) {
                var position = start
                var matched = true
                for expected in fragment {
                    let byte = bytes[position]
                    // ASCII case folding; fragments are lower case.
                    if (byte >= 65 && byte <= 90 ? byte + 32 : byte) != expected { matched = false; break }
                    position = bytes.index(after: position)
                }
                if matched { return biometricKeyFragments[index] }
                start = bytes.index(after: start)
            }
        }
        return nil
    }

    public static func canonicalForm(seq: Int64, eventID: String, time: String, actor: String, action: String,
                                     subject: String, detailText: String) -> String {
        var text = "{\"action\":"
        text.reserveCapacity(160 + detailText.utf8.count)
        CanonicalJSON.writeString(action, to: &text)
        text += ",\"actor\":"
        CanonicalJSON.writeString(actor, to: &text)
        text += ",\"detail\":"
        text += detailText
        text += ",\"event_id\":"
        CanonicalJSON.writeString(eventID, to: &text)
        text += ",\"seq\":"
        text += String(seq)
        text += ",\"subject\":"
        CanonicalJSON.writeString(subject, to: &text)
        text += ",\"time\":"
        CanonicalJSON.writeString(time, to: &text)
        text += "}"
        return text
    }

    public static func hash(prevHash: String, canonicalForm: String) -> String {
        var hasher = SHA256()
        var prevHash = prevHash
        var canonicalForm = canonicalForm
        prevHash.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        canonicalForm.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return Hex.string(hasher.finalize())
    }

    /// The event that follows `head` (nil: the log is empty). A detail that looks biometric is a
    /// programmer error: no biometric value is ever put in an audit event.
    public static func next(after head: AuditHead?, actor: String, action: String, subject: String,
                            detail: [String: CanonicalJSON], now: Date) -> AuditEvent {
        if let violation = biometricViolation(in: detail) {
            preconditionFailure("audit event \(action) refused: \(violation)")
        }
        let seq = (head?.seq ?? 0) + 1
        let prevHash = head?.hash ?? AuditHead.genesisHash
        let eventID = LedgerIdentifier.make(.event, now: now)
        let time = Timestamp.text(now)
        let detailText = CanonicalJSON.object(detail).text
        let canonical = canonicalForm(seq: seq, eventID: eventID, time: time, actor: actor, action: action,
                                      subject: subject, detailText: detailText)
        return AuditEvent(seq: seq, eventID: eventID, time: time, actor: actor, action: action, subject: subject,
                          detail: detailText, prevHash: prevHash, hash: hash(prevHash: prevHash, canonicalForm: canonical))
    }
}
