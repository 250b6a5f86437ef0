import Biometrics
import Testing

@Suite("Redaction")
struct RedactionTests {
    @Test("descriptions never carry embedding values or scores")
    func redacted() throws {
        let embedding = try Embedding(validating: [0.123456, 0.654321, 0, 0], dimension: 4)
        let candidate = MatchCandidate(subjectID: "cus_a", score: 0.987654)
        let decisions: [MatchDecision] = [
            .accepted(subjectID: "cus_a", score: 0.987654, margin: 0.456789), .noMatch(score: 0.987654),
            .ambiguous(best: candidate, runnerUp: MatchCandidate(subjectID: "cus_b", score: 0.976543)), .hintRequired,
        ]
        var texts = ["\(embedding)", String(reflecting: embedding), "\(candidate)", String(reflecting: candidate)]
        texts += decisions.map { "\($0)" }
        for text in texts {
            #expect(!text.contains("0.1") && !text.contains("0.6") && !text.contains("0.98") && !text.contains("0.45"), "\(text)")
        }
        #expect("\(decisions[0])".contains("cus_a"))
    }
}
