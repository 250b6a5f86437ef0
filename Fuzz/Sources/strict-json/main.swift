import FacePayCore
import Foundation
import FuzzSupport

// StrictJSONReader on arbitrary bytes: no primitive may trap, and every value it reads is the
// value JSONDecoder reads from the same text (JSONDecoder is the oracle of the fast paths).

/// `read` over the whole input (whitespace around it allowed); nil unless it consumed everything.
func whole<T>(_ bytes: [UInt8], _ read: (inout StrictJSONReader) -> T?) -> T? {
    StrictJSONReader.with(bytes) { reader -> T? in
        guard let value = read(&reader), reader.isAtEnd() else { return nil }
        return value
    }
}

/// JSONDecoder's value for the same text, read as the one element of an array.
func oracle<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
    let wrapped = Data([UInt8(ascii: "[")] + bytes + [UInt8(ascii: "]")])
    guard let values = try? JSONDecoder().decode([T].self, from: wrapped), values.count == 1 else { return nil }
    return values[0]
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(80), as: UTF8.self) }

fuzz { bytes in
    if let value = whole(bytes, { $0.readInt64() }) {
        let expected = oracle(Int64.self, bytes)
        check(expected == value, "readInt64 read \(value) where JSONDecoder reads \(String(describing: expected)) from \(text(bytes))")
    }
    if let value = whole(bytes, { $0.readDouble() }) {
        let expected = oracle(Double.self, bytes)
        check(value.isFinite, "readDouble returned \(value)")
        check(expected == value, "readDouble read \(value) where JSONDecoder reads \(String(describing: expected)) from \(text(bytes))")
    }
    if let value = whole(bytes, { $0.readString() }) {
        let expected = oracle(String.self, bytes)
        check(expected == value, "readString read \(value) where JSONDecoder reads \(String(describing: expected))")
    }
    if let value = whole(bytes, { $0.readInt64(in: -1000...1000) }) {
        check((-1000...1000).contains(value), "readInt64(in:) returned \(value)")
    }
    if let value = whole(bytes, { $0.readDouble(in: 0...1) }) {
        check((0...1).contains(value), "readDouble(in:) returned \(value)")
    }
    if let value = whole(bytes, { $0.readString(utf8CountMax: 8) }) {
        check(value.utf8.count <= 8, "readString(utf8CountMax:) returned \(value.utf8.count) bytes")
    }
    if let sample = whole(bytes, { Sample.readPlain(&$0) }) {
        let expected = try? JSONDecoder().decode(Sample.self, from: Data(bytes))
        check(expected != nil, "the reader accepted a document JSONDecoder refuses: \(text(bytes))")
        check(expected == sample, "the reader decoded a document differently from JSONDecoder: \(text(bytes))")
    }
}
