import Biometrics
import FacePayCore
import Foundation
import Testing

/// The issue's acceptance test on real embeddings (dlib-resnet-v1 on LFW): enrol the first image
/// of half of the identities that have several images; probe with their other images (genuine)
/// and with every image of everyone else (strangers: the other half and all single-image people).
@Suite("1:N identification on LFW")
struct LFWIdentificationTests {
    struct Split {
        let enrolled: [(identity: String, template: Embedding)]
        let genuine: [(identity: String, probe: Embedding)]
        let strangers: [Embedding]
    }

    static func split(_ samples: [LabelledEmbedding]) -> Split {
        var byIdentity: [String: [Embedding]] = [:]
        for sample in samples { byIdentity[sample.identity, default: []].append(sample.embedding) }
        let several = byIdentity.keys.filter { (byIdentity[$0]?.count ?? 0) > 1 }.sorted()
        let enrolledNames = Set(several.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        var enrolled: [(String, Embedding)] = []
        var genuine: [(String, Embedding)] = []
        var strangers: [Embedding] = []
        for name in byIdentity.keys.sorted() {
            let images = byIdentity[name] ?? []
            if enrolledNames.contains(name) {
                enrolled.append((name, images[0]))
                genuine += images.dropFirst().map { (name, $0) }
            } else {
                strangers += images
            }
        }
        return Split(enrolled: enrolled, genuine: genuine, strangers: strangers)
    }

    struct Tally: CustomStringConvertible {
        var accepted = 0, wrongPerson = 0, noMatch = 0, ambiguous = 0, hintRequired = 0, total = 0
        var rate: Double { total == 0 ? 0 : Double(accepted) / Double(total) }
        var description: String {
            "accepted \(accepted)/\(total) (\(String(format: "%.1f", rate * 100)) %), accepted as the wrong person \(wrongPerson), "
                + "no match \(noMatch), ambiguous \(ambiguous), hint required \(hintRequired)"
        }

        mutating func count(_ decision: MatchDecision, truth: String?) {
            total += 1
            switch decision {
            case .accepted(let subject, _, _):
                if subject == truth { accepted += 1 } else { wrongPerson += 1 }
            case .noMatch: noMatch += 1
            case .ambiguous: ambiguous += 1
            case .hintRequired: hintRequired += 1
            }
        }
    }

    @Test("at the default target no stranger is accepted, nobody as someone else; the phone hint raises genuine acceptance")
    func openSetIdentification() throws {
        let data = Self.split(try TestSupport.loadLFW())
        let seed = TestSupport.seed("openSetIdentification")
        var random = SeededRandom(seed: seed)
        let profile = ModelProfile.dlibResNetV1
        let index = GalleryIndex(profile: profile)
        var bucketOf: [String: String] = [:]
        for (identity, template) in data.enrolled {
            let bucket = String(format: "%04d", Int.random(in: 0..<10_000, using: &random))
            bucketOf[identity] = bucket
            index.add(subjectID: identity, bucket: bucket, embedding: template)
        }
        print("LFW: \(data.enrolled.count) enrolled, \(data.genuine.count) genuine probes, \(data.strangers.count) stranger probes")

        var genuineWithoutHint = Tally()
        var genuineWithHint = Tally()
        for (identity, probe) in data.genuine {
            let whole = index.searchResult(probe)
            genuineWithoutHint.count(
                OpenSetDecision.identify(candidates: whole.candidates, templatesSearched: whole.templatesSearched, profile: profile),
                truth: identity)
            let hinted = index.searchResult(probe, bucket: bucketOf[identity])
            genuineWithHint.count(
                OpenSetDecision.identify(candidates: hinted.candidates, templatesSearched: hinted.templatesSearched, profile: profile),
                truth: identity)
        }
        var strangersWithoutHint = Tally()
        var strangersWithHint = Tally()
        var strangersClaimingAVictim = Tally()
        var strangerHintAttempts = 0
        for probe in data.strangers {
            let whole = index.searchResult(probe)
            strangersWithoutHint.count(
                OpenSetDecision.identify(candidates: whole.candidates, templatesSearched: whole.templatesSearched, profile: profile),
                truth: nil)
            // A stranger types their own phone's last four digits: a random bucket.
            let own = index.searchResult(probe, bucket: String(format: "%04d", Int.random(in: 0..<10_000, using: &random)))
            strangersWithHint.count(
                OpenSetDecision.identify(candidates: own.candidates, templatesSearched: own.templatesSearched, profile: profile),
                truth: nil)
            if own.templatesSearched > 0 { strangerHintAttempts += 1 }
            // An attacker who knows an enrolled customer's last four digits.
            let victim = data.enrolled[Int.random(in: 0..<data.enrolled.count, using: &random)].identity
            let targeted = index.searchResult(probe, bucket: bucketOf[victim])
            strangersClaimingAVictim.count(
                OpenSetDecision.identify(candidates: targeted.candidates, templatesSearched: targeted.templatesSearched, profile: profile),
                truth: nil)
        }
        print("genuine, no hint:   \(genuineWithoutHint)")
        print("genuine, with hint: \(genuineWithHint)")
        print("strangers, no hint:          \(strangersWithoutHint)")
        print("strangers, own last four:    \(strangersWithHint) (\(strangerHintAttempts) landed in an occupied bucket)")
        print("strangers, a victim's four:  \(strangersClaimingAVictim) (target FPIR \(MatchPolicy.targetFPIRDefault) per attempt)")

        // The issue's bar, at the default target: no stranger accepted without a hint, and nobody
        // accepted as someone else. (Without a hint nothing here is random: exact, every time.)
        #expect(strangersWithoutHint.wrongPerson == 0, "a stranger was accepted without a hint")
        #expect(genuineWithoutHint.wrongPerson == 0, "a customer was accepted as someone else")
        #expect(genuineWithHint.wrongPerson == 0, "a customer was accepted as someone else (hint)")
        // With a hint the search covers one or two templates, so the threshold is the FMR-1e-3 row
        // and a stranger who lands in an occupied bucket passes with probability ≈ 1e-3: bounded,
        // not zero. Hold both hint scenarios to that rate (a Poisson bound that a correct
        // calibration exceeds with probability < 1e-6).
        for (tally, attempts) in [(strangersWithHint, strangerHintAttempts), (strangersClaimingAVictim, data.strangers.count)] {
            let expected = Double(attempts) * MatchPolicy.targetFPIRDefault
            #expect(Double(tally.wrongPerson) <= expected + 6 * expected.squareRoot() + 5, "\(tally) in \(attempts) attempts")
        }
        #expect(genuineWithoutHint.hintRequired == 0, "\(data.enrolled.count) templates are within the calibration")
        #expect(genuineWithHint.rate > genuineWithoutHint.rate)
        #expect(genuineWithHint.rate > 0.85)
    }

    @Test("past the calibration's reach the decision asks for the hint instead of guessing")
    func hintRequiredPastCalibration() throws {
        let samples = try TestSupport.loadLFW()
        let index = GalleryIndex(profile: .dlibResNetV1)
        // 1,001 templates: FPIR 1e-3 would need an FMR below the table's lowest row (1e-6).
        for (number, sample) in samples.prefix(1001).enumerated() {
            index.add(subjectID: "cus_\(number)", bucket: number == 0 ? "0000" : "1111", embedding: sample.embedding)
        }
        let probe = samples[0].embedding
        let whole = index.searchResult(probe)
        #expect(OpenSetDecision.identify(candidates: whole.candidates, templatesSearched: whole.templatesSearched, profile: .dlibResNetV1)
            == .hintRequired)
        let hinted = index.searchResult(probe, bucket: "0000")
        guard case .accepted(let subject, _, _) = OpenSetDecision.identify(
            candidates: hinted.candidates, templatesSearched: hinted.templatesSearched, profile: .dlibResNetV1)
        else {
            Issue.record("the hint's bucket should identify the probe")
            return
        }
        #expect(subject == "cus_0")
    }
}
