import FacePayCore
import FacePayWire
import Foundation
import Testing

/// The auditor's query values: a value, nil when absent, or a 400 naming the parameter.
@Suite("QueryValues: cursor, limit, identifiers and times of the auditor's queries")
struct QueryValuesTests {
    let values = QueryValues(limits: Limits())

    /// The FacePayError `body` throws (nil when it throws nothing; any other error fails the test).
    func refusal(_ body: () throws -> Void) -> FacePayError? {
        do {
            try body()
            return nil
        } catch let error as FacePayError {
            return error
        } catch {
            Issue.record("not a FacePayError: \(error)")
            return nil
        }
    }

    @Test("absent or empty values are nil (or the default page size)")
    func absent() throws {
        #expect(try values.cursor([:]) == nil)
        #expect(try values.cursor(["cursor": ""]) == nil)
        #expect(try values.limit([:], defaultLimit: nil) == Limits().pageSizeDefault)
        #expect(try values.limit(["limit": ""], defaultLimit: 7) == 7)
        #expect(try values.identifier(["account_id": ""], "account_id") == nil)
        #expect(try values.date([:], "since") == nil)
    }

    @Test("well-formed values are read")
    func wellFormed() throws {
        #expect(try values.cursor(["cursor": "42"]) == 42)
        #expect(try values.limit(["limit": "1000"], defaultLimit: nil) == 1000)
        #expect(try values.identifier(["action": "payment.approved"], "action") == "payment.approved")
        #expect(try values.date(["since": "2027-01-15T08:00:00Z"], "since") == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(try values.date(["since": "9999-12-31T23:59:59.999Z"], "since") != nil)
        #expect(try values.date(["until": "1969-12-31T23:59:59Z"], "until") == Date(timeIntervalSince1970: -1))
    }

    @Test("a 20-digit cursor, a negative one, and garbage are 400 naming the parameter", arguments: [
        "99999999999999999999", "9223372036854775808", "-1", "1e3", "0x10", " 1", "abc",
    ])
    func badCursor(_ text: String) {
        let error = refusal { _ = try values.cursor(["cursor": text]) }
        #expect(error?.code == "invalid_request")
        #expect(error?.detail.contains("'cursor'") == true)
    }

    @Test("a limit outside 1...pageSizeMax is 400", arguments: ["0", "-5", "1001", "99999999999999999999999", "ten"])
    func badLimit(_ text: String) {
        let error = refusal { _ = try values.limit(["limit": text], defaultLimit: nil) }
        #expect(error?.code == "invalid_request")
        #expect(error?.detail.contains("'limit'") == true)
    }

    @Test("a maximum page size below 1 refuses every limit instead of trapping")
    func misconfiguredPageSizeMax() {
        var limits = Limits()
        limits.pageSizeMax = 0
        let error = refusal { _ = try QueryValues(limits: limits).limit(["limit": "5"], defaultLimit: nil) }
        #expect(error?.code == "invalid_request")
    }

    @Test("an identifier over 128 bytes and a time that is not RFC 3339 (a 5- or 6-digit year, which Foundation parses) are 400")
    func badIdentifierAndTime() {
        #expect(refusal { _ = try values.identifier(["account_id": String(repeating: "a", count: 129)], "account_id") }?.code == "invalid_request")
        #expect((try? values.identifier(["account_id": String(repeating: "a", count: 128)], "account_id")) != nil)
        for text in ["yesterday", "2027-13-01T00:00:00Z", "2027-01-15", "99999-01-01T00:00:00Z", "999999-12-31T23:59:59Z"] {
            #expect(refusal { _ = try values.date(["since": text], "since") }?.detail == "field 'since': must be an RFC 3339 time")
        }
    }
}
