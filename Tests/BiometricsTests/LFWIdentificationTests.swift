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

    @Test("at the payment-grade default nobody is accepted as someone else; strangers who know a customer's last four are held to the calibrated rate")
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
        // Each stranger tries the buckets of this many customers whose last four they know.
        let victimsPerStranger = 10
        let victims = data.strangers.indices.map { _ in
            (0..<victimsPerStranger).map { _ in data.enrolled[Int.random(in: 0..<data.enrolled.count, using: &random)].identity }
        }

        for policy in [MatchPolicy(), MatchPolicy(targetFPIR: 1e-3)] {
            let decide = { (search: GallerySearchResult) in
                OpenSetDecision.identify(candidates: search.candidates, templatesSearched: search.templatesSearched,
                                         profile: profile, policy: policy)
            }
            var genuineWithoutHint = Tally()
            var genuineWithHint = Tally()
            for (identity, probe) in data.genuine {
                genuineWithoutHint.count(decide(index.searchResult(probe)), truth: identity)
                genuineWithHint.count(decide(index.searchResult(probe, bucket: bucketOf[identity])), truth: identity)
            }
            var strangersWithoutHint = Tally()
            var strangersClaimingAVictim = Tally()
            for (number, probe) in data.strangers.enumerated() {
                strangersWithoutHint.count(decide(index.searchResult(probe)), truth: nil)
                for victim in victims[number] {
                    strangersClaimingAVictim.count(decide(index.searchResult(probe, bucket: bucketOf[victim])), truth: nil)
                }
            }
            let target = String(format: "%.0e", policy.targetFPIR)
            print("target \(target) genuine, no hint:   \(genuineWithoutHint)")
            print("target \(target) genuine, with hint: \(genuineWithHint)")
            print("target \(target) strangers, no hint:         \(strangersWithoutHint)")
            print("target \(target) strangers, a victim's four: \(strangersClaimingAVictim)")

            #expect(strangersWithoutHint.wrongPerson == 0, "a stranger was accepted without a hint")
            #expect(genuineWithoutHint.wrongPerson == 0 && genuineWithHint.wrongPerson == 0, "a customer was accepted as someone else")
            // A victim's bucket holds one template or a few, so each attempt is held to the target:
            // at most `attempts × target` accepts expected (a Poisson bound that a correct calibration
            // exceeds with probability < 1e-6).
            let attempts = strangersClaimingAVictim.total
            let expected = Double(attempts) * policy.targetFPIR
            #expect(Double(strangersClaimingAVictim.wrongPerson) <= expected + 6 * expected.squareRoot() + 5,
                    "\(strangersClaimingAVictim) in \(attempts) attempts at \(target)")
            #expect(genuineWithHint.rate > genuineWithoutHint.rate)
            if policy.targetFPIR == 1e-3 {
                // The test has the power to see the rate it bounds: at 1e-3 the tens of accepts the
                // calibration predicts do happen (so zero at the default is the target working).
                #expect(strangersClaimingAVictim.wrongPerson >= 5, "\(strangersClaimingAVictim)")
                #expect(genuineWithoutHint.hintRequired == 0, "\(data.enrolled.count) templates are within the calibration at 1e-3")
                #expect(genuineWithHint.rate > 0.85)
            } else {
                // 2e-5 over 392 templates needs an FMR of 5e-8, below the table's 1e-6: ask for the hint.
                #expect(genuineWithoutHint.hintRequired == genuineWithoutHint.total)
                #expect(strangersClaimingAVictim.wrongPerson <= 5, "thousands of attempts, at most a handful charged")
                #expect(genuineWithHint.rate > 0.4, "dlib keeps ≈ 1 - FNMR(2e-5) ≈ 59 % with the hint")
            }
        }
    }

    @Test("past the calibration's reach the decision asks for the hint instead of guessing")
    func hintRequiredPastCalibration() throws {
        let samples = try TestSupport.loadLFW()
        let index = GalleryIndex(profile: .dlibResNetV1)
        // 1,001 templates: the default target would need an FMR far below the table's lowest row (1e-6).
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
