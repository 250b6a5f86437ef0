import FacePayCore
import Foundation
import Simulator
@testable import Storage
import Stores
import Testing

@Suite("enrolment, erasure and biometric privacy over mutual TLS")
struct EnrolmentAndErasureTests {
    @Test("enrolment needs consent (422), a live capture (422 liveness_failed), and a face not already enrolled (409, naming nobody)")
    func enrolmentRules() async throws {
        try await TestServer.with { server in
            let (_, _, kiosk, _) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()

            let noConsent = Shoppers.body(#""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":false},"initial_deposit":{"amount":0,"currency":"EUR"}"#,
                                          face: try await shoppers.face(of: jane, for: kiosk))
            let refused = try await kiosk.send(.POST, "/v1/customers", body: noConsent, headers: [("Idempotency-Key", "e1")])
            #expect(refused.status == 422)
            #expect(try refused.json()["code"] as? String == "consent_required")

            // A capture answering no challenge of this kiosk's.
            let stale = GenuineCaptureGenerator().capture(of: jane, challengeID: "chl_aaaaaaaaaaaaaaaaaaaaaaaaaa", actions: [.blink, .turnLeft],
                                                          encoding: .base64, using: &shoppers.random).capture.faceJSON()
            let notLive = try await kiosk.send(.POST, "/v1/customers", body: Shoppers.body(#""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":0,"currency":"EUR"}"#, face: stale), headers: [("Idempotency-Key", "e2")])
            #expect(notLive.status == 422)
            let problem = try notLive.json()
            #expect(problem["code"] as? String == "liveness_failed")
            #expect((problem["failed_checks"] as? [String])?.contains("challenge_unknown") == true)

            let (customerID, _) = try await shoppers.enrol(jane, kiosk: kiosk)
            let again = try await kiosk.send(.POST, "/v1/customers", body: Shoppers.body(#""name":"J Doe","phone":"+4915100000000","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":0,"currency":"EUR"}"#, face: try await shoppers.face(of: jane, for: kiosk)), headers: [("Idempotency-Key", "e3")])
            #expect(again.status == 409)
            #expect(try again.json()["code"] as? String == "already_enrolled")
            #expect(!String(decoding: again.body, as: UTF8.self).contains(customerID), "the conflict must not say who")

            let badField = try await kiosk.send(.POST, "/v1/customers", body: Data(#"{"name": 7}"#.utf8), headers: [("Idempotency-Key", "e4")])
            #expect(badField.status == 400)
            #expect((try badField.json()["detail"] as? String)?.contains("name") == true)
        }
    }

    @Test("after erasure the face no longer pays or verifies, and the customer's money is still there")
    func erasure() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let (customerID, accountID) = try await shoppers.enrol(jane, kiosk: kiosk, deposit: 3000)
            #expect(try await shoppers.pay(jane, terminal: terminal, amount: 500).json()["status"] as? String == "approved")

            // The enrolment's and the payment's captures are attributed to her...
            let sightings = "SELECT count(*) FROM replay_sightings WHERE customer_id = ?"
            #expect(try await server.database.pool.read { db in try Int.fetchOne(db, sql: sightings, arguments: [customerID]) } == 2)

            let impostor = shoppers.person()
            let wrongProof = try await kiosk.send(.DELETE, "/v1/customers/\(customerID)/biometrics",
                                                  body: Shoppers.body("", face: try await shoppers.face(of: impostor, for: kiosk)),
                                                  headers: [("Idempotency-Key", "x0")])
            #expect(wrongProof.status == 422)
            #expect(try wrongProof.json()["code"] as? String == "no_match")

            let erased = try await kiosk.send(.DELETE, "/v1/customers/\(customerID)/biometrics",
                                              body: Shoppers.body("", face: try await shoppers.face(of: jane, for: kiosk)),
                                              headers: [("Idempotency-Key", "x1")])
            #expect(erased.status == 204)
            let templateRows = try await server.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM face_templates") }
            #expect(templateRows == 0)
            // ...and erased with her template (the erasure's own proof too).
            #expect(try await server.database.pool.read { db in try Int.fetchOne(db, sql: sightings, arguments: [customerID]) } == 0)

            let declined = try await shoppers.pay(jane, terminal: terminal, amount: 100).json()
            #expect(declined["decline_code"] as? String == "no_match")
            let verifyFace = try await shoppers.face(of: jane, for: terminal)
            let verification = try await terminal.send(.POST, "/v1/verifications", body: Shoppers.body(#""customer_id":"\#(customerID)""#, face: verifyFace)).json()
            #expect(verification["verified"] as? Bool == false)

            let account = try await auditor.send(.GET, "/v1/ledger/accounts/\(accountID)").json()
            #expect((account["balances"] as? [String: Any])?["available"] as? Int == 2500)
            let events = try await auditor.send(.GET, "/v1/audit/events?action=customer.biometrics_erased").json()
            #expect((events["events"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("verification 1:1 and 1:N; no money moves")
    func verification() async throws {
        try await TestServer.with { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let john = shoppers.person()
            let (janeID, _) = try await shoppers.enrol(jane, kiosk: kiosk, phone: "+4915111111111")
            let (johnID, _) = try await shoppers.enrol(john, kiosk: kiosk, phone: "+4915122222222")

            let oneToOne = try await terminal.send(.POST, "/v1/verifications",
                                                   body: Shoppers.body(#""customer_id":"\#(janeID)""#, face: try await shoppers.face(of: jane, for: terminal)))
            #expect(oneToOne.status == 200)
            #expect(try oneToOne.json()["verified"] as? Bool == true)
            let wrongClaim = try await terminal.send(.POST, "/v1/verifications",
                                                     body: Shoppers.body(#""customer_id":"\#(johnID)""#, face: try await shoppers.face(of: jane, for: terminal))).json()
            #expect(wrongClaim["verified"] as? Bool == false)
            let oneToMany = try await terminal.send(.POST, "/v1/verifications",
                                                    body: Shoppers.body(#""hint":{"phone_last4":"2222"}"#, face: try await shoppers.face(of: john, for: terminal))).json()
            #expect((oneToMany["customer"] as? [String: Any])?["id"] as? String == johnID)
            let transfers = try await auditor.send(.GET, "/v1/ledger/transfers").json()["transfers"] as? [[String: Any]]
            #expect(transfers?.allSatisfy { $0["kind"] as? String == "deposit" } == true)
        }
    }

    @Test("no template or embedding value appears in the database files, the logs or any response body; errors are problem+json; no 500")
    func nothingBiometricLeaks() async throws {
        let recorder = LogRecorder()
        try await TestServer.with(logHandler: recorder) { server in
            let (terminal, _, kiosk, auditor) = try server.cast()
            var shoppers = Shoppers(server: server, seed: PaymentStoryTests.seed())
            let jane = shoppers.person()
            let enrolFace = try await shoppers.face(of: jane, for: kiosk)
            let enrol = try await kiosk.send(.POST, "/v1/customers", body: Shoppers.body(#""name":"Jane Doe","phone":"+4915112345678","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":900,"currency":"EUR"}"#, face: enrolFace), headers: [("Idempotency-Key", "p1")])
            #expect(enrol.status == 201)
            var replies = [enrol]
            replies.append(try await shoppers.pay(jane, terminal: terminal, amount: 100))
            replies.append(try await shoppers.pay(shoppers.person(), terminal: terminal, amount: 100))
            replies.append(try await terminal.send(.POST, "/v1/payments", body: Data(#"{"amount":"x"}"#.utf8), headers: [("Idempotency-Key", "p2")]))
            replies.append(try await terminal.send(.POST, "/v1/payments", body: Data("not json".utf8), headers: [("Idempotency-Key", "p3")]))
            replies.append(try await terminal.send(.GET, "/v1/payments/pay_nothing"))
            replies.append(try await auditor.send(.GET, "/v1/ledger/transfers?limit=0"))
            replies.append(try await auditor.send(.GET, "/v1/ledger/transfers?since=yesterday"))
            replies.append(try await auditor.send(.GET, "/v1/audit/events"))
            replies.append(try await auditor.send(.GET, "/v1/ledger/transfers.csv"))

            // The template is the normalised mean of the enrolment frames; look for the float32
            // bytes of its components and of the frames, and for their decimal text.
            let frames = try Self.frameEmbeddings(enrolFace)
            let template = Self.normalisedMean(frames)
            var needles: [Data] = []
            for vector in [template] + frames.prefix(3) {
                var bytes = Data()
                for value in vector.prefix(3) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                needles.append(bytes)
            }
            let texts = frames.prefix(3).flatMap { $0.prefix(2) }.map { String(describing: $0) } + template.prefix(2).map { String(describing: $0) }

            for file in try FileManager.default.contentsOfDirectory(atPath: server.directory.path) where file.hasPrefix("facepay.sqlite") {
                let contents = try Data(contentsOf: server.directory.appendingPathComponent(file))
                for needle in needles { #expect(contents.range(of: needle) == nil, "embedding bytes in \(file)") }
            }
            let logText = recorder.text
            #expect(!logText.isEmpty)
            for reply in replies {
                let text = String(decoding: reply.body, as: UTF8.self)
                for value in texts {
                    #expect(!text.contains(value), "an embedding value in a response body")
                    #expect(!logText.contains(value), "an embedding value in the logs")
                }
                #expect(reply.status != 500)
                if reply.status >= 400 {
                    #expect(reply.contentType == "application/problem+json")
                    #expect((try reply.json()["code"] as? String)?.isEmpty == false)
                }
            }
        }
    }

    static func frameEmbeddings(_ face: [UInt8]) throws -> [[Float]] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(face)) as? [String: Any])
        let frames = try #require(json["frames"] as? [[String: Any]])
        return frames.compactMap { ($0["embedding"] as? [Double])?.map(Float.init) }
    }

    static func normalisedMean(_ vectors: [[Float]]) -> [Float] {
        let unit = vectors.map { vector -> [Float] in
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return vector.map { $0 / norm }
        }
        var sum = [Float](repeating: 0, count: unit[0].count)
        for vector in unit { for index in sum.indices { sum[index] += vector[index] } }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { $0 / norm }
    }
}
