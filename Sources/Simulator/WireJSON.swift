import Foundation

/// JSON as the wire contract writes it.
public enum WireJSON {
    /// Encodes `value`; encoding the simulator's own types cannot fail.
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("encoding \(type(of: value)) failed: \(error)")
        }
    }
}
