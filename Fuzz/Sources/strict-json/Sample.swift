import FacePayCore

/// A document that uses every primitive of `StrictJSONReader`, nested, so that the fuzzer drives
/// them in every order a body could. `JSONDecoder` decodes the same type as the oracle.
struct Sample: Decodable, Equatable {
    var int: Int64?
    var double: Double?
    var string: String?
    var shortString: String?
    var boundedInt: Int64?
    var unitDouble: Double?
    var ints: [Int64]?
    var doubles: [Double]?
    var strings: [String]?
    var children: [Sample]?

    enum CodingKeys: String, CodingKey {
        case int = "i", double = "d", string = "s", shortString = "t", boundedInt = "b", unitDouble = "u"
        case ints = "I", doubles = "D", strings = "S", children = "c"
    }

    /// Nesting bound of this harness (the request bodies nest three deep at most; the reader
    /// itself never recurses, its callers do).
    static let depthMax = 8
    static let elementsMax = 64

    static func readPlain(_ reader: inout StrictJSONReader, depth: Int = 0) -> Sample? {
        guard depth < depthMax else { return nil }
        var sample = Sample()
        let complete = reader.readObject { reader, key in
            switch key {
            case "i": reader.read(into: &sample.int) { $0.readInt64() }
            case "d": reader.read(into: &sample.double) { $0.readDouble() }
            case "s": reader.read(into: &sample.string) { $0.readString() }
            case "t": reader.read(into: &sample.shortString) { $0.readString(utf8CountMax: 8) }
            case "b": reader.read(into: &sample.boundedInt) { $0.readInt64(in: -1000...1000) }
            case "u": reader.read(into: &sample.unitDouble) { $0.readDouble(in: 0...1) }
            case "I": reader.read(into: &sample.ints) { $0.readArray(countMax: elementsMax) { $0.readInt64() } }
            case "D": reader.read(into: &sample.doubles) { $0.readArray(countMax: elementsMax) { $0.readDouble() } }
            case "S": reader.read(into: &sample.strings) { $0.readArray(countMax: elementsMax) { $0.readString() } }
            case "c": reader.read(into: &sample.children) {
                $0.readArray(countMax: elementsMax) { Sample.readPlain(&$0, depth: depth + 1) }
            }
            default: false
            }
        }
        return complete ? sample : nil
    }
}
