import FacePayCore
import Foundation
import Synchronization

/// One model's templates, in memory, searchable 1:N by many threads while enrolments and
/// erasures happen.
///
/// **Layout.** Templates live in contiguous 16,384-slot segments: int8 codes (per-vector scale)
/// for a compact first pass that reads 1 byte per component, float32 components for exact
/// rescoring. A search scans codes with SIMD, keeps the best `k + rescoreCandidatesExtra`, rescores
/// them in float32, and proves from the quantisation error bound that nothing unscanned could beat
/// the k-th; when the proof fails (dense clusters) it rescores every slot within the bound. The
/// top candidates are therefore exactly those of an exhaustive float32 scan.
///
/// **Concurrency.** A `Mutex` guards the index's state; a search holds it only to copy a snapshot
/// (a few references), then scans without it, on up to two threads when the scan is large.
/// Writers append to segments beyond any published slot, and publish under the lock. `remove`
/// marks the slot removed in the state every later snapshot copies, so it takes effect for every
/// search that starts after it returns; the template's memory is zeroed as soon as no search that
/// started earlier is still running (biometric erasure, not just unlinking).
///
/// **Paths.** With a bucket: only that bucket's templates (phone hint). Without: exact over all
/// templates, or the inverted file (`InvertedFileIndex`) once the gallery reaches
/// `approximateSearchTemplatesMin` and the index has been built.
public final class GalleryIndex: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// From this many templates, searches without a bucket use the approximate index (when
        /// built). Default 2,000,000: up to the million templates `facepay bench match` measures,
        /// the exact path costs a few milliseconds on two cores, and exactness keeps the
        /// runner-up, hence the ambiguity check, exact too.
        public var approximateSearchTemplatesMin = 2_000_000
        /// Scans of at least this many templates are split across `threadsMax` threads.
        public var parallelScanTemplatesMin = 65_536
        public var threadsMax = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))
        /// Candidates rescored beyond k before trying to prove the top k exact.
        public var rescoreCandidatesExtra = 31
        /// Approximate index: list count (nil: √N within [16, 4096]).
        public var approximateListCount: Int? = nil
        /// Approximate index: the share of lists probed, and a floor on their number.
        public var approximateProbeFraction = 0.08
        public var approximateProbeCountMin = 16
        public var approximateTrainingIterations = 8
        /// Approximate index: k-means trains on this many sample templates per list.
        public var approximateTrainingSamplesPerList = 40
        /// Removed slots are reclaimed (segments rewritten) when they reach this share of all slots
        /// and at least `compactionRemovedMin`.
        public var compactionRemovedFraction = 0.25
        public var compactionRemovedMin = 4096

        public init() {}
    }

    public let modelID: String
    public let dimension: Int
    public let configuration: Configuration
    let paddedDimension: Int
    let state: Mutex<IndexState>

    public convenience init(profile: ModelProfile, configuration: Configuration = Configuration()) {
        self.init(modelID: profile.id, dimension: profile.dimension, configuration: configuration)
    }

    public init(modelID: String, dimension: Int, configuration: Configuration = Configuration()) {
        precondition(dimension > 0 && dimension <= 1024, "a face embedding dimension (compact codes support up to 1,024)")
        precondition(configuration.threadsMax >= 1 && configuration.rescoreCandidatesExtra >= 1)
        self.modelID = modelID
        self.dimension = dimension
        self.configuration = configuration
        paddedDimension = VectorKernels.paddedDimension(dimension)
        state = Mutex(IndexState(snapshot: GallerySnapshot(paddedDimension: paddedDimension)))
    }

    // MARK: counts

    /// Live templates.
    public var count: Int { state.withLock { $0.snapshot.liveCount } }

    /// Live templates in a hint bucket.
    public func count(bucket: String) -> Int { state.withLock { $0.slotsByBucket[bucket]?.count ?? 0 } }

    public func contains(subjectID: String) -> Bool { state.withLock { $0.slotBySubject[subjectID] != nil } }

    // MARK: writes

    /// Adds the subject's template, replacing the one it had (one template per subject and model).
    /// Returns whether a template was replaced.
    @discardableResult
    public func add(subjectID: String, bucket: String? = nil, embedding: Embedding) -> Bool {
        precondition(embedding.dimension == dimension, "embedding of another model")
        precondition(!subjectID.isEmpty, "a subject id")
        let template = QuantizedRows(count: 1, paddedDimension: paddedDimension) { _ in embedding.values }
        return state.withLock { state in
            let replaced = removeLocked(&state, subjectID: subjectID)
            appendLocked(&state, subjectID: subjectID, bucket: bucket, rows: template, row: 0)
            return replaced
        }
    }

    /// Removes the subject's template. Every search that starts after this returns no longer sees
    /// it; its memory is zeroed once searches that started before have finished. Returns whether
    /// there was one.
    @discardableResult
    public func remove(subjectID: String) -> Bool {
        state.withLock { state in
            let removed = removeLocked(&state, subjectID: subjectID)
            if removed { compactIfWorthwhileLocked(&state) }
            return removed
        }
    }

    /// Loads many templates (start-up from the database), `progress` after each batch; then
    /// builds the approximate index if the gallery is large enough to use it. A subject that
    /// appears twice keeps the later template.
    public func bulkLoad(_ entries: [GalleryEntry], progress: (@Sendable (GalleryBuildProgress) -> Void)? = nil) {
        let batchSize = 8192
        var start = 0
        while start < entries.count {
            let end = min(entries.count, start + batchSize)
            let batch = entries[start..<end]
            for entry in batch {
                precondition(entry.embedding.dimension == dimension, "embedding of another model")
                precondition(!entry.subjectID.isEmpty, "a subject id")
            }
            let rows = QuantizedRows(count: batch.count, paddedDimension: paddedDimension, threads: configuration.threadsMax) {
                batch[batch.startIndex + $0].embedding.values
            }
            state.withLock { state in
                for (row, entry) in batch.enumerated() {
                    removeLocked(&state, subjectID: entry.subjectID)
                    appendLocked(&state, subjectID: entry.subjectID, bucket: entry.bucket, rows: rows, row: row)
                }
            }
            start = end
            progress?(GalleryBuildProgress(phase: .loading, completed: end, total: entries.count))
        }
        if count >= configuration.approximateSearchTemplatesMin {
            rebuildApproximateIndex(progress: progress)
        }
    }

    /// Loads rows already unit-length and padded (benchmarks): no per-entry `Embedding`.
    func bulkLoad(rows matrix: PaddedMatrix, subjectIDs: [String], progress: (@Sendable (GalleryBuildProgress) -> Void)? = nil) {
        precondition(matrix.paddedColumns == paddedDimension && subjectIDs.count == matrix.rowCount)
        let batchSize = 16_384
        var start = 0
        while start < matrix.rowCount {
            let end = min(matrix.rowCount, start + batchSize)
            let first = start
            let rows = QuantizedRows(count: end - start, paddedDimension: paddedDimension, threads: configuration.threadsMax, pointer: { matrix.row(first + $0) })
            state.withLock { state in
                for row in 0..<(end - start) {
                    removeLocked(&state, subjectID: subjectIDs[start + row])
                    appendLocked(&state, subjectID: subjectIDs[start + row], bucket: nil, rows: rows, row: row)
                }
            }
            start = end
            progress?(GalleryBuildProgress(phase: .loading, completed: end, total: matrix.rowCount))
        }
    }

    // MARK: search

    /// The top `k` distinct subjects for `probe`, best first, with exact float32 scores; within
    /// the hint's bucket when `bucket` is given.
    public func search(_ probe: Embedding, bucket: String? = nil, k: Int = OpenSetDecision.candidatesNeeded) -> [MatchCandidate] {
        searchResult(probe, bucket: bucket, k: k).candidates
    }

    /// `search` with the number of templates searched (the decision's N) and the path taken.
    public func searchResult(
        _ probe: Embedding, bucket: String? = nil, k: Int = OpenSetDecision.candidatesNeeded,
        options: GallerySearchOptions = GallerySearchOptions()
    ) -> GallerySearchResult {
        precondition(probe.dimension == dimension, "probe of another model")
        precondition(k >= 1 && k <= 1024, "k within [1, 1024]")
        let prepared = PreparedProbe(probe, paddedDimension: paddedDimension)
        let (snapshot, bucketSlots, generation) = beginReading(bucket: bucket)
        defer { endReading(generation) }

        let source: ScanSource
        let templatesSearched: Int
        let path: GallerySearchPath
        if let bucketSlots {
            source = .slotLists([bucketSlots])
            templatesSearched = bucketSlots.count
            path = .bucket
        } else if let approximate = snapshot.approximate, usesApproximate(options: options, liveCount: snapshot.liveCount) {
            source = .slotLists(approximate.nearestLists(to: prepared.vector, count: probeCount(listCount: approximate.listCount)))
            templatesSearched = snapshot.liveCount
            path = .approximate
        } else {
            source = .allSlots
            templatesSearched = snapshot.liveCount
            path = .exact
        }
        let threads = max(1, min(options.threadsMax ?? configuration.threadsMax, configuration.threadsMax))
        let parts = snapshot.scanLength(source) >= configuration.parallelScanTemplatesMin ? threads : 1
        let scored = snapshot.search(
            probe: prepared, source: source, k: k, parts: parts, rescoreExtra: configuration.rescoreCandidatesExtra)
        return GallerySearchResult(
            candidates: scored.map { MatchCandidate(subjectID: $0.subjectID, score: $0.score) },
            templatesSearched: templatesSearched, path: path)
    }

    /// Reference search: float32 score of every live template (in the bucket), no compact pass,
    /// one thread. For tests and benchmarks; production searches use `search`.
    public func exhaustiveSearch(_ probe: Embedding, bucket: String? = nil, k: Int = OpenSetDecision.candidatesNeeded) -> [MatchCandidate] {
        precondition(probe.dimension == dimension, "probe of another model")
        let prepared = PreparedProbe(probe, paddedDimension: paddedDimension)
        let (snapshot, bucketSlots, generation) = beginReading(bucket: bucket)
        defer { endReading(generation) }
        let source: ScanSource = bucketSlots.map { .slotLists([$0]) } ?? .allSlots
        return snapshot.exhaustiveSearch(probe: prepared, source: source, k: k)
            .map { MatchCandidate(subjectID: $0.subjectID, score: $0.score) }
    }

    private func usesApproximate(options: GallerySearchOptions, liveCount: Int) -> Bool {
        switch options.path {
        case .exact: return false
        case .approximate: return true
        case .automatic: return liveCount >= configuration.approximateSearchTemplatesMin
        }
    }

    // MARK: memory

    /// Bytes each template costs in the searchable arrays: int8 codes, float32 components, scale
    /// and error norm, the subject-id slot, and its approximate-index list entry when built.
    /// Excludes the id strings' own storage and the lookup dictionaries.
    public var bytesPerTemplate: Int {
        state.withLock { state in
            let listEntry = state.snapshot.approximate == nil ? 0 : MemoryLayout<Int32>.stride
            let centroids = state.snapshot.approximate.map { $0.centroids.byteCount / max(1, state.snapshot.liveCount) } ?? 0
            return paddedDimension + paddedDimension * MemoryLayout<Float>.stride + 2 * MemoryLayout<Float>.stride
                + MemoryLayout<String>.stride + listEntry + centroids
        }
    }

    /// Removed templates not yet zeroed because a reader that could see them is still running.
    var pendingWipeCount: Int { state.withLock { $0.pendingWipes.count } }

    // MARK: reading and writing under the lock

    /// Copies the snapshot (and the bucket's slots) and registers the reader's generation.
    func beginReading(bucket: String? = nil) -> (GallerySnapshot, [Int32]?, UInt64) {
        state.withLock { state in
            let generation = state.snapshot.generation
            state.activeReaders[generation, default: 0] += 1
            let slots = bucket.map { state.slotsByBucket[$0] ?? [] }
            return (state.snapshot, slots, generation)
        }
    }

    func endReading(_ generation: UInt64) {
        state.withLock { state in
            if let readers = state.activeReaders[generation], readers > 1 {
                state.activeReaders[generation] = readers - 1
            } else {
                state.activeReaders[generation] = nil
            }
            wipeSafeLocked(&state)
        }
    }

    @discardableResult
    private func removeLocked(_ state: inout IndexState, subjectID: String) -> Bool {
        guard let slot = state.slotBySubject.removeValue(forKey: subjectID) else { return false }
        if let bucket = state.bucketBySubject.removeValue(forKey: subjectID) {
            state.slotsByBucket[bucket]?.removeAll { $0 == slot }
            if state.slotsByBucket[bucket]?.isEmpty == true { state.slotsByBucket[bucket] = nil }
        }
        state.snapshot.markRemoved(slot)
        let (segment, offset) = state.snapshot.location(Int(slot))
        state.pendingWipes.append(PendingWipe(generation: state.snapshot.generation, segment: segment, offset: offset))
        wipeSafeLocked(&state)
        return true
    }

    private func appendLocked(_ state: inout IndexState, subjectID: String, bucket: String?, rows: QuantizedRows, row: Int) {
        let slot = state.snapshot.append(
            subjectID: subjectID, vector: rows.vector(row), codes: rows.codes(row), scale: rows.scales[row],
            errorNorm: rows.errorNorms[row])
        state.slotBySubject[subjectID] = slot
        if let bucket {
            state.bucketBySubject[subjectID] = bucket
            state.slotsByBucket[bucket, default: []].append(slot)
        }
        let vector = state.snapshot.vector(slot)
        state.snapshot.approximate?.add(slot: slot, vector: vector)
    }

    /// Zeroes removed templates no running reader can still see.
    private func wipeSafeLocked(_ state: inout IndexState) {
        guard !state.pendingWipes.isEmpty else { return }
        let oldestReader = state.activeReaders.keys.min() ?? .max
        state.pendingWipes.removeAll { pending in
            guard pending.generation <= oldestReader else { return false }
            pending.segment.wipe(pending.offset)
            return true
        }
    }

    static func copy(slot: Int32, from source: GallerySnapshot, into target: inout GallerySnapshot) -> Int32 {
        let (segment, offset) = source.location(Int(slot))
        return target.append(
            subjectID: segment.subjectIDs[offset], vector: segment.vector(offset), codes: segment.code(offset),
            scale: segment.scales[offset], errorNorm: segment.errorNorms[offset])
    }

    /// Points the lookup tables at new slot numbers.
    static func renumber(_ state: inout IndexState, _ mapping: [Int32]) {
        for (subject, slot) in state.slotBySubject { state.slotBySubject[subject] = mapping[Int(slot)] }
        for (bucket, slots) in state.slotsByBucket { state.slotsByBucket[bucket] = slots.map { mapping[Int($0)] } }
    }

    /// Rewrites the segments without removed slots once they are a large share. O(N) under the
    /// lock (a few hundred milliseconds for a million templates), which is why it waits for a
    /// quarter of the slots to be dead.
    private func compactIfWorthwhileLocked(_ state: inout IndexState) {
        let old = state.snapshot
        guard old.deadCount >= configuration.compactionRemovedMin,
              Double(old.deadCount) >= configuration.compactionRemovedFraction * Double(old.slotCount)
        else { return }
        var fresh = GallerySnapshot(paddedDimension: paddedDimension)
        fresh.generation = old.generation
        fresh.storageEpoch = old.storageEpoch + 1
        var mapping = [Int32](repeating: -1, count: old.slotCount)
        for slot in 0..<old.slotCount where old.isLive(Int32(slot)) {
            mapping[slot] = Self.copy(slot: Int32(slot), from: old, into: &fresh)
        }
        fresh.approximate = old.approximate?.remap(mapping, storageEpoch: fresh.storageEpoch)
        Self.renumber(&state, mapping)
        state.snapshot = fresh
    }
}

extension GalleryIndex {
    /// 1:1: the exact float32 score of `probe` against one subject's template, or nil when the
    /// subject has none (never enrolled, or removed). Same kernel as a 1:N search, so 1:1 and
    /// 1:N decisions on the same capture see the same score.
    public func score(_ probe: Embedding, subjectID: String) -> Float? {
        precondition(probe.dimension == dimension, "probe of another model")
        let prepared = PreparedProbe(probe, paddedDimension: paddedDimension)
        let reading: (GallerySnapshot, Int32, UInt64)? = state.withLock { state in
            guard let slot = state.slotBySubject[subjectID] else { return nil }
            let generation = state.snapshot.generation
            state.activeReaders[generation, default: 0] += 1
            return (state.snapshot, slot, generation)
        }
        guard let (snapshot, slot, generation) = reading else { return nil }
        defer { endReading(generation) }
        return snapshot.exactScore(prepared, slot)
    }
}
