@testable import Biometrics
import FacePayCore
import Foundation
import Synchronization
import Testing

@Suite("Gallery index")
struct GalleryIndexTests {
    /// `count` random templates named `prefix0…`, plus their embeddings.
    static func randomGallery(_ count: Int, prefix: String = "cus_", dimension: Int = 128, _ random: inout SeededRandom)
        -> [(String, Embedding)]
    {
        (0..<count).map { ("\(prefix)\($0)", TestSupport.randomUnit(dimension, &random)) }
    }

    static func expectSameCandidates(_ a: [MatchCandidate], _ b: [MatchCandidate], _ context: @autoclosure () -> String) {
        #expect(a.count == b.count, "\(context())")
        for (x, y) in zip(a, b) {
            #expect(x.subjectID == y.subjectID && x.score.bitPattern == y.score.bitPattern, "\(context()): \(x) vs \(y)")
        }
    }

    @Test("compact pass + rescoring returns exactly the exact-search top candidates on 10,000 random queries")
    func compactPassIsExact() {
        var random = SeededRandom(seed: TestSupport.seed("compactPassIsExact"))
        // Half spread over the sphere, half in a tight cluster (cosine ≈ 0.9 to its centre, like
        // real face embeddings), where approximate scores crowd and the second pass is needed.
        let centre = TestSupport.randomUnit(128, &random)
        var templates = Self.randomGallery(1000, &random)
        templates += (0..<1000).map { ("cus_c\($0)", TestSupport.noisy(centre, sigma: 0.04, &random)) }

        var fewRescored = GalleryIndex.Configuration()
        fewRescored.rescoreCandidatesExtra = 1  // forces the second pass often
        for (configuration, queries) in [(GalleryIndex.Configuration(), 10_000), (fewRescored, 1_000)] {
            let index = GalleryIndex(profile: .sim128, configuration: configuration)
            for (subject, embedding) in templates { index.add(subjectID: subject, embedding: embedding) }
            #expect(index.count == 2000)
            var mismatches = 0
            for query in 0..<queries {
                let probe: Embedding
                switch query % 3 {
                case 0: probe = TestSupport.noisy(templates[Int.random(in: 0..<templates.count, using: &random)].1, sigma: 0.03, &random)
                case 1: probe = TestSupport.randomUnit(128, &random)
                default: probe = TestSupport.noisy(centre, sigma: 0.02, &random)
                }
                let fast = index.search(probe, k: 2)
                let exact = index.exhaustiveSearch(probe, k: 2)
                if fast != exact { mismatches += 1 }
                if query < 50 || fast.first != exact.first { Self.expectSameCandidates(fast, exact, "query \(query)") }
            }
            #expect(mismatches == 0)
        }
    }

    @Test("the approximate index rescores exactly and never returns a candidate the exact scorer would reject")
    func approximateIndexRescoresExactly() throws {
        var random = SeededRandom(seed: TestSupport.seed("approximateIndexRescoresExactly"))
        var configuration = GalleryIndex.Configuration()
        configuration.approximateSearchTemplatesMin = 1000
        let index = GalleryIndex(profile: .sim128, configuration: configuration)
        let templates = Self.randomGallery(4000, &random)
        index.bulkLoad(templates.map { GalleryEntry(subjectID: $0.0, embedding: $0.1) })
        #expect(!index.approximateIndexIsStale)
        let bySubject = Dictionary(uniqueKeysWithValues: templates)
        // Remove some: they must never come back from the approximate path either.
        var removed: Set<String> = []
        for (subject, _) in templates.prefix(200) where Bool.random(using: &random) {
            index.remove(subjectID: subject)
            removed.insert(subject)
        }
        let model = SyntheticFaceModel.sim128
        var agreeing = 0
        let queries = 400
        for query in 0..<queries {
            let probe: Embedding
            if query % 2 == 0 {
                let source = templates[Int.random(in: 0..<templates.count, using: &random)].1
                probe = Embedding(trustedUnitVector: model.frame(of: model.session(of: source.values, using: &random), using: &random))
            } else {
                probe = TestSupport.randomUnit(128, &random)
            }
            let approximate = index.searchResult(probe, k: 2)
            #expect(approximate.path == .approximate)
            #expect(approximate.templatesSearched == index.count)
            for candidate in approximate.candidates {
                let template = try #require(bySubject[candidate.subjectID])
                #expect(!removed.contains(candidate.subjectID))
                #expect(candidate.score.bitPattern == probe.similarity(to: template).bitPattern)
            }
            let exact = index.searchResult(probe, k: 2, options: GallerySearchOptions(path: .exact))
            #expect(exact.path == .exact)
            let approximateDecision = OpenSetDecision.identify(
                candidates: approximate.candidates, templatesSearched: approximate.templatesSearched, profile: .sim128)
            let exactDecision = OpenSetDecision.identify(
                candidates: exact.candidates, templatesSearched: exact.templatesSearched, profile: .sim128)
            // Same subject accepted; the approximate margin can only be larger (it may miss the
            // true runner-up), never the score.
            if case .accepted(let subject, let score, let margin) = approximateDecision {
                guard case .accepted(let exactSubject, let exactScore, let exactMargin) = exactDecision else {
                    Issue.record("approximate accepted \(subject), exact said \(exactDecision)")
                    continue
                }
                #expect(subject == exactSubject && score == exactScore && margin >= exactMargin)
            }
            if approximate.candidates.first == exact.candidates.first { agreeing += 1 }
        }
        print("approximate top-1 agrees with exact on \(agreeing) of \(queries) queries")
    }

    @Test("a removed template cannot match, immediately, while other searches and enrolments run")
    func removalIsImmediate() {
        let seed = TestSupport.seed("removalIsImmediate")
        var random = SeededRandom(seed: seed)
        let index = GalleryIndex(profile: .sim128)
        let templates = Self.randomGallery(3000, &random)
        for (subject, embedding) in templates { index.add(subjectID: subject, bucket: String(subject.count % 10), embedding: embedding) }

        let shared = ConcurrentRemovalState()
        let group = DispatchGroup()
        for worker in 0..<2 {
            // Dedicated threads: the global queues may not start new work while test threads block.
            group.enter()
            Thread {
                defer { group.leave() }
                var random = SeededRandom(seed: seed &+ UInt64(worker) &+ 1)
                var added = 0
                while !shared.stop.withLock({ $0 }) {
                    // What was removed before this search starts must not come back from it.
                    let removedBefore = shared.removedAndReturned.withLock { $0 }
                    let target = templates[Int.random(in: 0..<templates.count, using: &random)]
                    let results = index.search(target.1, k: 3)
                    for candidate in results where removedBefore.contains(candidate.subjectID) {
                        shared.violations.withLock { $0.append(candidate.subjectID) }
                    }
                    shared.backgroundSearches.withLock { $0 += 1 }
                    if worker == 1, added < 200 {
                        index.add(subjectID: "new_\(added)", embedding: TestSupport.randomUnit(128, &random))
                        added += 1
                    }
                }
            }.start()
        }
        while shared.backgroundSearches.withLock({ $0 }) < 10 { Thread.sleep(forTimeInterval: 0.001) }
        for (subject, embedding) in templates.prefix(300) {
            #expect(index.search(embedding, k: 1).first?.subjectID == subject)
            index.remove(subjectID: subject)
            shared.removedAndReturned.withLock { _ = $0.insert(subject) }
            let after = index.search(embedding, k: 3)
            #expect(!after.contains { $0.subjectID == subject }, "\(subject) matched after removal")
            #expect(!index.exhaustiveSearch(embedding, k: 3).contains { $0.subjectID == subject })
        }
        shared.stop.withLock { $0 = true }
        group.wait()
        #expect(shared.violations.withLock { $0 }.isEmpty)
        #expect(shared.backgroundSearches.withLock { $0 } > 0)
        #expect(index.count == 3000 - 300 + 200)
        // With no search running, every removed template has been zeroed.
        #expect(index.pendingWipeCount == 0)
        print("removalIsImmediate: \(shared.backgroundSearches.withLock { $0 }) concurrent searches")
    }

    @Test("a wiped slot holds zeros")
    func wipeZeroes() {
        let segment = TemplateSegment(paddedDimension: 16)
        let vector = [Float](repeating: 0.25, count: 16)
        let codes = [UInt8](repeating: 5, count: 16)
        let offset = segment.append(subjectID: "x", vector: vector, codes: codes, scale: 0.1, errorNorm: 0.01)
        segment.wipe(offset)
        #expect((0..<16).allSatisfy { segment.vector(offset)[$0] == 0 && segment.code(offset)[$0] == 0 })
        #expect(segment.scales[offset] == 0)
    }

    @Test("hint buckets: counts, bucket-only search, replace and remove keep them right")
    func buckets() throws {
        var random = SeededRandom(seed: TestSupport.seed("buckets"))
        let index = GalleryIndex(profile: .sim128)
        let templates = Self.randomGallery(500, &random)
        for (number, (subject, embedding)) in templates.enumerated() {
            index.add(subjectID: subject, bucket: String(format: "%04d", number % 50), embedding: embedding)
        }
        #expect(index.count == 500)
        #expect(index.count(bucket: "0007") == 10)
        #expect(index.count(bucket: "9999") == 0)
        let (subject, embedding) = templates[7]
        let inBucket = index.searchResult(embedding, bucket: "0007", k: 20)
        #expect(inBucket.path == .bucket)
        #expect(inBucket.templatesSearched == 10)
        #expect(inBucket.candidates.count == 10)
        #expect(inBucket.candidates.first?.subjectID == subject)
        #expect(Set(inBucket.candidates.map(\.subjectID)) == Set((0..<10).map { "cus_\(7 + 50 * $0)" }))
        Self.expectSameCandidates(inBucket.candidates, index.exhaustiveSearch(embedding, bucket: "0007", k: 20), "bucket")
        #expect(index.search(embedding, bucket: "0008", k: 5).allSatisfy { $0.subjectID != subject })
        #expect(index.searchResult(embedding, bucket: "9999").candidates.isEmpty)
        #expect(index.searchResult(embedding, bucket: "9999").templatesSearched == 0)

        // Replace: new template, new bucket.
        let replacement = TestSupport.randomUnit(128, &random)
        #expect(index.add(subjectID: subject, bucket: "1234", embedding: replacement))
        #expect(index.count == 500)
        #expect(index.count(bucket: "0007") == 9 && index.count(bucket: "1234") == 1)
        #expect(index.search(replacement, bucket: "1234", k: 1).first?.subjectID == subject)
        // The old template is gone: the subject now scores as its replacement does.
        let rescored = try #require(index.search(embedding, k: 500).first { $0.subjectID == subject })
        #expect(rescored.score.bitPattern == replacement.similarity(to: embedding).bitPattern)

        #expect(index.remove(subjectID: subject))
        #expect(!index.remove(subjectID: subject))
        #expect(index.count(bucket: "1234") == 0 && index.count == 499)
        #expect(!index.contains(subjectID: subject))
    }

    @Test("compaction after many removals keeps every remaining template searchable")
    func compaction() {
        var random = SeededRandom(seed: TestSupport.seed("compaction"))
        var configuration = GalleryIndex.Configuration()
        configuration.approximateSearchTemplatesMin = 100
        let index = GalleryIndex(profile: .sim128, configuration: configuration)
        let templates = Self.randomGallery(6000, &random)
        let progress = ProgressLog()
        index.bulkLoad(templates.map { GalleryEntry(subjectID: $0.0, bucket: String($0.0.suffix(1)), embedding: $0.1) }) { step in
            progress.steps.withLock { $0.append(step) }
        }
        let steps = progress.steps.withLock { $0 }
        #expect(steps.contains { $0.phase == .loading && $0.completed == 6000 })
        #expect(steps.contains { $0.phase == .assigningApproximateIndex })
        for (subject, _) in templates.prefix(5000) { index.remove(subjectID: subject) }
        #expect(index.count == 1000)
        #expect(index.count(bucket: "3") == 100)
        for (subject, embedding) in templates.suffix(1000).prefix(200) {
            #expect(index.search(embedding, k: 1).first?.subjectID == subject)
            let exact = index.searchResult(embedding, options: GallerySearchOptions(path: .exact))
            Self.expectSameCandidates(exact.candidates, index.exhaustiveSearch(embedding), subject)
            #expect(index.search(embedding, bucket: String(subject.suffix(1)), k: 1).first?.subjectID == subject)
        }
        for (_, embedding) in templates.prefix(100) {
            let found = index.searchResult(embedding, k: 2, options: GallerySearchOptions(path: .approximate)).candidates
            #expect(found.allSatisfy { Int($0.subjectID.dropFirst(4)) ?? 0 >= 5000 })
        }
    }

    @Test("a rebuild of the approximate index keeps removals, replacements and additions made while it trained")
    func rebuildReplaysConcurrentWrites() throws {
        let seed = TestSupport.seed("rebuildReplaysConcurrentWrites")
        var random = SeededRandom(seed: seed)
        var configuration = GalleryIndex.Configuration()
        configuration.approximateSearchTemplatesMin = 1000
        let index = GalleryIndex(profile: .sim128, configuration: configuration)
        let templates = Self.randomGallery(12_000, &random)
        for (number, (subject, embedding)) in templates.enumerated() {
            index.add(subjectID: subject, bucket: String(number % 7), embedding: embedding)
        }
        let done = DispatchSemaphore(value: 0)
        let training = DispatchSemaphore(value: 0)
        let installed = Mutex(false)
        let phases = ProgressLog()
        Thread {
            let result = index.rebuildApproximateIndex { step in
                let first = phases.steps.withLock { steps in
                    steps.append(step)
                    return steps.count == 1
                }
                if first { training.signal() }
            }
            installed.withLock { $0 = result }
            done.signal()
        }.start()
        // The build has taken its snapshot once it reports progress; write only after that.
        training.wait()
        // Writes while it trains: remove, replace (new vector and bucket), add.
        var expected: [String: (embedding: Embedding, bucket: String)] = [:]
        for (number, (subject, embedding)) in templates.enumerated() { expected[subject] = (embedding, String(number % 7)) }
        for number in 0..<300 {
            let (subject, _) = templates[number * 40]
            switch number % 3 {
            case 0:
                index.remove(subjectID: subject)
                expected[subject] = nil
            case 1:
                let replacement = TestSupport.randomUnit(128, &random)
                index.add(subjectID: subject, bucket: "r", embedding: replacement)
                expected[subject] = (replacement, "r")
            default:
                let added = TestSupport.randomUnit(128, &random)
                index.add(subjectID: "added_\(number)", bucket: "a", embedding: added)
                expected["added_\(number)"] = (added, "a")
            }
        }
        let writesEndedDuringBuild = phases.steps.withLock { steps in !steps.contains { $0.phase == .reorderingStorage } }
        done.wait()
        print("rebuildReplaysConcurrentWrites: writes finished before the build's copy: \(writesEndedDuringBuild)")
        #expect(installed.withLock { $0 })
        #expect(index.count == expected.count)
        #expect(index.count(bucket: "r") == 100 && index.count(bucket: "a") == 100)
        #expect(index.pendingWipeCount == 0)
        for (subject, entry) in expected where subject.hasPrefix("added_") || Int(subject.dropFirst(4)).map({ $0 % 40 == 0 }) == true {
            let exact = index.searchResult(entry.embedding, k: 1, options: GallerySearchOptions(path: .exact))
            #expect(exact.candidates.first?.subjectID == subject)
            #expect(exact.candidates.first?.score.bitPattern == entry.embedding.similarity(to: entry.embedding).bitPattern)
            let approximate = index.searchResult(entry.embedding, k: 1, options: GallerySearchOptions(path: .approximate))
            #expect(approximate.path == .approximate && approximate.candidates.first?.subjectID == subject)
            #expect(index.search(entry.embedding, bucket: entry.bucket, k: 1).first?.subjectID == subject)
        }
        for number in stride(from: 0, to: 300, by: 3) {
            let (subject, embedding) = templates[number * 40]
            #expect(!index.searchResult(embedding, k: 3, options: GallerySearchOptions(path: .approximate)).candidates.contains { $0.subjectID == subject })
            #expect(!index.contains(subjectID: subject))
        }
    }

    @Test("bulk load: a repeated subject keeps its later template; the approximate index follows growth")
    func bulkLoad() {
        var random = SeededRandom(seed: TestSupport.seed("bulkLoad"))
        var configuration = GalleryIndex.Configuration()
        configuration.approximateSearchTemplatesMin = 200
        let index = GalleryIndex(profile: .sim128, configuration: configuration)
        let first = TestSupport.randomUnit(128, &random)
        let second = TestSupport.randomUnit(128, &random)
        var entries = Self.randomGallery(300, &random).map { GalleryEntry(subjectID: $0.0, embedding: $0.1) }
        entries.append(GalleryEntry(subjectID: "twice", embedding: first))
        entries.append(GalleryEntry(subjectID: "twice", embedding: second))
        index.bulkLoad(entries)
        #expect(index.count == 301)
        #expect(index.search(second, k: 1).first?.subjectID == "twice")
        #expect(index.searchResult(second).path == .approximate)
        #expect(!index.approximateIndexIsStale)
        for (subject, embedding) in Self.randomGallery(1000, prefix: "more_", &random) { index.add(subjectID: subject, embedding: embedding) }
        #expect(index.approximateIndexIsStale)
        #expect(index.rebuildApproximateIndex())
        #expect(!index.approximateIndexIsStale)
        #expect(index.bytesPerTemplate > 128 * 5)
    }
}

final class ConcurrentRemovalState: Sendable {
    let removedAndReturned = Mutex<Set<String>>([])
    let stop = Mutex(false)
    let violations = Mutex<[String]>([])
    let backgroundSearches = Mutex(0)
}

final class ProgressLog: Sendable {
    let steps = Mutex<[GalleryBuildProgress]>([])
}
