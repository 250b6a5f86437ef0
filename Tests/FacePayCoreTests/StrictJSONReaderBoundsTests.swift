import FacePayCore
import Foundation
import Testing

/// Numbers at and past the reader's bounds give up (nil) instead of trapping; `JSONDecoder` then
/// decides (a 400 for what does not fit).
@Suite("StrictJSONReader: numbers at and past their bounds")
struct StrictJSONReaderBoundsTests {
    func readInt64(_ text: String) -> Int64? {
        StrictJSONReader.with(Array(text.utf8)) { reader -> Int64? in
            guard let value = reader.readInt64(), reader.isAtEnd() else { return nil }
            return value
        }
    }

    func readDouble(_ text: String) -> Double? {
        StrictJSONReader.with(Array(text.utf8)) { reader -> Double? in
            guard let value = reader.readDouble(), reader.isAtEnd() else { return nil }
            return value
        }
    }

    @Test("18 digits are read; 19 and more give up without trapping (the issue 10 crash)")
    func integerDigits() {
        #expect(readInt64("999999999999999999") == 999_999_999_999_999_999)
        #expect(readInt64("-999999999999999999") == -999_999_999_999_999_999)
        for text in ["9999999999999999999", "-9999999999999999999", "9223372036854775807", "-9223372036854775808",
                     "99999999999999999999", String(repeating: "9", count: 400)] {
            #expect(readInt64(text) == nil, "\(text.prefix(30))")
        }
    }

    @Test("overflowing and malformed doubles give up; what is read is JSONDecoder's value")
    func doubles() throws {
        // 1e-400 underflows to zero and "0e1" is a zero with an exponent: JSONDecoder refuses
        // both (found by the face-evidence and strict-json fuzzers).
        for text in ["1e400", "-1e400", "1e-400", "-2.5e-999", "0e1", "-0E+2", "0.0e0", "1e", "1.", ".5", "01", "-", "1e+", String(repeating: "1", count: 70)] {
            #expect(readDouble(text) == nil, "\(text.prefix(30))")
        }
        for text in ["0", "-0", "0.1", "1.5E+3", "2.2250738585072011e-308", "4.9e-324", "1e308", "0.30000000000000004"] {
            let value = try #require(readDouble(text))
            let oracle = try JSONDecoder().decode([Double].self, from: Data("[\(text)]".utf8))
            #expect(oracle == [value], "\(text)")
        }
    }
}
