import Biometrics
import FacePayCore
import FacePayWire
import Foundation
import Liveness
import Simulator
import Testing

/// The fast path of request decoding (`StrictJSONReader`, `readPlain`) must decode the bodies
/// terminals send exactly as `JSONDecoder` does, and must never accept what `JSONDecoder` would
/// decode differently: when it gives up, `JSONDecoder` decides.
@Suite("plain-shape JSON fast path against JSONDecoder")
struct PlainJSONDecodingTests {
    static func plain(_ body: [UInt8]) -> PaymentBody? {
        StrictJSONReader.with(body) { reader -> PaymentBody? in
            guard let value = PaymentBody.readPlain(&reader), reader.isAtEnd() else { return nil }
            return value
        }
    }

    static func foundation(_ body: [UInt8]) -> PaymentBody? {
        try? JSONDecoder().decode(PaymentBody.self, from: Data(body))
    }

    static func same(_ left: PaymentBody, _ right: PaymentBody) -> Bool {
        left.amount == right.amount && left.currency == right.currency && left.face == right.face
            && left.captureMethod == right.captureMethod && left.reference == right.reference
            && left.hint?.phoneLast4 == right.hint?.phoneLast4 && (left.hint == nil) == (right.hint == nil)
    }

    static func captureBody(_ random: inout SeededRandom, fields: String = #""amount":1234,"currency":"EUR""#) -> [UInt8] {
        let person = SyntheticPerson(model: .sim128, using: &random)
        let face = GenuineCaptureGenerator().capture(of: person, challengeID: "chl_aaaaaaaaaaaaaaaaaaaaaaaaaa", actions: [.blink, .turnLeft],
                                                     encoding: .base64, using: &random).capture.faceJSON()
        return LiveClient.body(fields, face: face)
    }

    @Test("generated terminal bodies take the fast path and decode to exactly JSONDecoder's value")
    func generatedBodies() throws {
        var random = SeededRandom(seed: 0xFA57)
        let variants = [#""amount":1234,"currency":"EUR""#,
                        #""amount":5,"currency":"USD","capture_method":"manual","reference":"till 4 / 17","hint":{"phone_last4":"0042"}"#]
        for index in 0..<40 {
            let body = Self.captureBody(&random, fields: variants[index % variants.count])
            let plain = try #require(Self.plain(body), "the plain shape must take the fast path")
            let foundation = try #require(Self.foundation(body))
            #expect(Self.same(plain, foundation))
            #expect(try Self.same(WireBody.decode(PaymentBody.self, from: body), foundation))
        }
    }

    @Test("on thousands of mutated bodies, whatever the fast path accepts, JSONDecoder decodes to the same value")
    func mutatedBodies() throws {
        var random = SeededRandom(seed: 0xB0D1E5)
        let alphabet = Array(#"{}[]:,"\ -+.eE0123456789nulltruefalseAZaz/"#.utf8) + [0x00, 0x09, 0x0A, 0xC3, 0xFF]
        let base = Self.captureBody(&random, fields: #""amount":700,"currency":"EUR","reference":"r1""#)
        var accepted = 0
        for _ in 0..<3000 {
            var body = base
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let position = Int.random(in: 0..<body.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: body[position] = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                case 1: body.remove(at: position)
                default: body.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &random)], at: position)
                }
            }
            guard let plain = Self.plain(body) else { continue }
            accepted += 1
            let foundation = try #require(Self.foundation(body), "fast path accepted what JSONDecoder refuses: \(String(decoding: body.prefix(200), as: UTF8.self))")
            #expect(Self.same(plain, foundation))
        }
        #expect(accepted > 100, "some mutations (inside base64 text, digits) keep the plain shape")
    }

    @Test("escapes, JSON-array embeddings, unknown keys, null and repeated keys leave it to JSONDecoder, with the same result")
    func shapesOutsideThePlainOne() throws {
        var random = SeededRandom(seed: 0x5AFE)
        let base = String(decoding: Self.captureBody(&random), as: UTF8.self)
        let person = SyntheticPerson(model: .sim128, using: &random)
        let arrayFace = GenuineCaptureGenerator().capture(of: person, challengeID: "chl_aaaaaaaaaaaaaaaaaaaaaaaaaa", actions: [.blink, .turnLeft],
                                                          encoding: .array, using: &random).capture.faceJSON()
        let cases: [[UInt8]] = [
            Array(base.replacingOccurrences(of: #""currency":"EUR""#, with: #""currency":"E\u0055R""#).utf8),
            LiveClient.body(#""amount":1234,"currency":"EUR""#, face: arrayFace),
            Array(base.replacingOccurrences(of: #""amount":1234"#, with: #""amount":1234,"tip":{"x":[1,2]}"#).utf8),
            Array(base.replacingOccurrences(of: #""amount":1234"#, with: #""amount":1234,"reference":null"#).utf8),
            Array(base.replacingOccurrences(of: #""amount":1234"#, with: #""amount":1,"amount":1234"#).utf8),
            Array(base.replacingOccurrences(of: #""amount":1234"#, with: #""amount":1234.0"#).utf8),
        ]
        for body in cases {
            #expect(Self.plain(body) == nil)
            let foundation = Self.foundation(body)
            let decoded = try? WireBody.decode(PaymentBody.self, from: body)
            #expect((foundation == nil) == (decoded == nil))
            if let foundation, let decoded { #expect(Self.same(foundation, decoded)) }
        }
    }
}
