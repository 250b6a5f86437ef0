import FacePayCore
import Foundation
import Liveness
import Simulator
import Testing

/// Drives the live server the way kiosks and terminals do: ask for a challenge, capture a
/// `sim-128` face that follows it (the simulator's genuine capture), send it.
struct Shoppers {
    let server: TestServer
    var random: SeededRandom

    init(server: TestServer, seed: UInt64) {
        self.server = server
        self.random = SeededRandom(seed: seed)
        print("Shoppers seed: \(seed)")
    }

    mutating func person() -> SyntheticPerson { SyntheticPerson(model: .sim128, using: &random) }

    /// A fresh challenge for the client's device.
    func challenge(_ client: TestClient) async throws -> (id: String, actions: [ChallengeAction]) {
        let reply = try await client.send(.POST, "/v1/challenges")
        try #require(reply.status == 201, "challenge: \(String(decoding: reply.body, as: UTF8.self))")
        let json = try reply.json()
        let id = try #require(json["challenge_id"] as? String)
        let actions = try #require(json["actions"] as? [String]).compactMap(ChallengeAction.init(rawValue:))
        return (id, actions)
    }

    /// A genuine capture of `person` answering a new challenge of `client`'s device.
    ///
    /// The simulator's genuine captures fail liveness now and then, as real ones do (BPCER about
    /// 0.25 %, mostly `action_missing`); with random seeds and ~50 captures per run that failed
    /// one suite run in eight. These tests are about the server, not that rate (measured by
    /// `facepay simulate --attacks`), so a capture is first checked by the same liveness policy
    /// in process, and drawn again in the rare case it fails there. The server still checks it.
    mutating func face(of person: SyntheticPerson, for client: TestClient) async throws -> [UInt8] {
        let (id, actions) = try await challenge(client)
        let local = InProcessLivenessService(devices: [SimulatedDevice(id: "local-check", isTerminal: false, signingKey: nil)])
        for _ in 0..<20 {
            let localChallenge = try await local.issueChallenge(deviceID: "local-check", actions: actions)
            var capture = GenuineCaptureGenerator().capture(of: person, challengeID: localChallenge.id, actions: actions,
                                                            encoding: .array, using: &random).capture
            let verdict = try await local.submit(SignedRequestBody(body: capture.faceJSON(), signatureHeader: nil), deviceID: "local-check")
            guard case .live = verdict else { continue }
            capture.evidence.challengeID = id
            return capture.faceJSON()
        }
        Issue.record("20 genuine captures in a row failed liveness")
        return []
    }

    /// `{"key": value, …, "face": <face>}` with the face JSON spliced in as sent.
    static func body(_ fields: String, face: [UInt8]) -> Data {
        var data = Data("{\(fields)\(fields.isEmpty ? "" : ",")\"face\":".utf8)
        data.append(contentsOf: face)
        data.append(contentsOf: Array("}".utf8))
        return data
    }

    /// Enrols `person`; returns (customer id, account id).
    mutating func enrol(_ person: SyntheticPerson, kiosk: TestClient, phone: String = "+4915112345678",
                        deposit: Int = 5000) async throws -> (customerID: String, accountID: String) {
        let face = try await face(of: person, for: kiosk)
        let body = Self.body(#""name":"Jane Doe","phone":"\#(phone)","consent":{"version":"2026-01","accepted":true},"initial_deposit":{"amount":\#(deposit),"currency":"EUR"}"#, face: face)
        let reply = try await kiosk.send(.POST, "/v1/customers", body: body, headers: [("Idempotency-Key", UUID().uuidString)])
        try #require(reply.status == 201, "enrol: \(String(decoding: reply.body, as: UTF8.self))")
        let json = try reply.json()
        return (try #require(json["customer_id"] as? String), try #require(json["account_id"] as? String))
    }

    /// Locks `terminal` out: five printed-photo payments, each a liveness failure.
    mutating func lockOut(_ terminal: TestClient) async throws {
        let mallory = person()
        for attempt in 0..<5 {
            let (id, _) = try await challenge(terminal)
            let photo = AttackCaptureGenerator().printedPhoto(of: mallory, challengeID: id, encoding: .array, using: &random)
            let reply = try await terminal.send(.POST, "/v1/payments", body: Self.body(#""amount":100,"currency":"EUR""#, face: photo.faceJSON()),
                                                headers: [("Idempotency-Key", "lock-out-\(attempt)")])
            try #require(try reply.json()["decline_code"] as? String == "liveness_failed")
        }
        try #require(try await terminal.send(.POST, "/v1/challenges").status == 429, "locked out")
    }

    /// Pays with `person`'s face; returns the reply.
    mutating func pay(_ person: SyntheticPerson, terminal: TestClient, amount: Int, extra: String = "",
                      key: String = UUID().uuidString) async throws -> TestClient.Reply {
        let face = try await face(of: person, for: terminal)
        let fields = #""amount":\#(amount),"currency":"EUR""# + (extra.isEmpty ? "" : "," + extra)
        return try await terminal.send(.POST, "/v1/payments", body: Self.body(fields, face: face), headers: [("Idempotency-Key", key)])
    }
}

extension TestServer {
    /// The standard cast: a terminal of M-1, a terminal of M-2, a kiosk, an auditor.
    func cast() throws -> (terminal: TestClient, otherMerchantTerminal: TestClient, kiosk: TestClient, auditor: TestClient) {
        (try registerDevice("T-1", role: .terminal, merchantID: "M-1"),
         try registerDevice("T-2", role: .terminal, merchantID: "M-2"),
         try registerDevice("K-1", role: .kiosk),
         try registerDevice("A-1", role: .auditor))
    }
}
