import CVectorKernels
import Foundation
import Synchronization

/// Removed slots. Allocated on the first removal; a search copies the words it sees (copy on
/// write), so a removal never changes a bitmap a running search reads.
struct SlotBitmap: Sendable, Equatable {
    private(set) var words: [UInt64] = []

    var isEmpty: Bool { words.isEmpty }

    @inline(__always) func contains(_ slot: Int) -> Bool {
        let word = slot &>> 6
        return word < words.count && words[word] & (1 &<< UInt64(slot & 63)) != 0
    }

    mutating func insert(_ slot: Int) {
        let word = slot >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        words[word] |= 1 << UInt64(slot & 63)
    }
}

/// A candidate after exact rescoring.
struct ScoredSlot: Sendable {
    let slot: Int32
    let score: Float
    let subjectID: String

    /// Best first; equal scores by subject id, so every search path and the exhaustive scan
    /// order ties the same way.
    static func precedes(_ a: ScoredSlot, _ b: ScoredSlot) -> Bool {
        a.score != b.score ? a.score > b.score : a.subjectID < b.subjectID
    }
}

/// What a search scans: every slot, or some lists of slots (a hint bucket, the lists an
/// approximate search probes).
enum ScanSource: Sendable {
    case allSlots
    case slotLists([[Int32]])
}

/// Receives approximate (compact-pass) scores above `admissionScore`.
protocol ApproximateScoreSink {
    var admissionScore: Float { get }
    mutating func offer(_ score: Float, slot: Int32)
}

extension CandidateHeap: ApproximateScoreSink {
    var admissionScore: Float { entryScore }
    mutating func offer(_ score: Float, slot: Int32) { insert(score, slot: slot) }
}

/// Collects every slot whose approximate score is at least `minimum` (the second pass).
struct ThresholdCollector: ApproximateScoreSink {
    let admissionScore: Float
    var slots: [Int32] = []

    init(minimum: Float) { admissionScore = minimum.nextDown }

    mutating func offer(_ score: Float, slot: Int32) { slots.append(slot) }
}

/// An immutable view of the gallery that one search works on. Searches copy it under the lock
/// (a few references) and scan without holding the lock; writers change the index's copy, and
/// copy-on-write keeps every running search's view unchanged.
struct GallerySnapshot: Sendable {
    let paddedDimension: Int
    var segments: [TemplateSegment] = []
    /// Slots written so far (live or removed).
    var slotCount = 0
    var liveCount = 0
    var dead = SlotBitmap()
    var deadCount = 0
    /// The largest quantisation error norm of any slot; bounds the compact pass's error.
    var maxTemplateErrorNorm: Float = 0
    /// Raised by every removal; searches register the generation they saw (see `GalleryIndex`).
    var generation: UInt64 = 0
    /// Raised by every compaction (slot numbers change).
    var storageEpoch: UInt64 = 0
    var approximate: InvertedFileIndex?

    init(paddedDimension: Int) {
        self.paddedDimension = paddedDimension
    }

    // MARK: slots

    @inline(__always) func location(_ slot: Int) -> (segment: TemplateSegment, offset: Int) {
        (segments[slot &>> TemplateSegment.capacityShift], slot & (TemplateSegment.capacity - 1))
    }

    func subjectID(_ slot: Int32) -> String {
        let (segment, offset) = location(Int(slot))
        return segment.subjectIDs[offset]
    }

    func vector(_ slot: Int32) -> UnsafePointer<Float> {
        let (segment, offset) = location(Int(slot))
        return segment.vector(offset)
    }

    func isLive(_ slot: Int32) -> Bool {
        Int(slot) < slotCount && !dead.contains(Int(slot))
    }

    @inline(__always) func exactScore(_ probe: PreparedProbe, _ slot: Int32) -> Float {
        VectorKernels.dot(probe.vector, vector(slot), paddedCount: paddedDimension)
    }

    /// Writes a template into the last segment (a new one when full). The caller holds the lock.
    mutating func append(
        subjectID: String, vector: UnsafePointer<Float>, codes: UnsafePointer<UInt8>, scale: Float, errorNorm: Float
    ) -> Int32 {
        precondition(slotCount < Int(Int32.max), "gallery slot space exhausted")
        if segments.isEmpty || segments[segments.count - 1].isFull {
            segments.append(TemplateSegment(paddedDimension: paddedDimension))
        }
        let segment = segments[segments.count - 1]
        let offset = segment.append(subjectID: subjectID, vector: vector, codes: codes, scale: scale, errorNorm: errorNorm)
        let slot = (segments.count - 1) << TemplateSegment.capacityShift + offset
        precondition(slot == slotCount, "slots are appended in order")
        slotCount += 1
        liveCount += 1
        maxTemplateErrorNorm = max(maxTemplateErrorNorm, errorNorm)
        return Int32(slot)
    }

    mutating func markRemoved(_ slot: Int32) {
        precondition(isLive(slot), "removing a slot that is not live")
        dead.insert(Int(slot))
        deadCount += 1
        liveCount -= 1
        generation += 1
    }

    // MARK: search

    /// Top `k` live slots by exact float32 score over `source`, best first.
    ///
    /// 1. Compact pass: int8 scores of every slot in `source` (split over `parts` threads), keeping
    ///    the best `k + rescoreExtra` per thread.
    /// 2. Exact rescoring of those.
    /// 3. Proof: if the k-th exact score is above the weakest kept approximate score plus the
    ///    error bound, no unkept slot can reach the top k. Otherwise a second pass rescores every
    ///    slot whose approximate score is within the bound of the k-th exact score.
    ///
    /// So the result equals an exhaustive float32 scan of `source` (ties by subject id).
    func search(probe: PreparedProbe, source: ScanSource, k: Int, parts: Int, rescoreExtra: Int) -> [ScoredSlot] {
        precondition(k > 0)
        let capacity = k + max(1, rescoreExtra)
        let heaps = runParts(parts) { part, partCount in
            var heap = CandidateHeap(capacity: capacity)
            scan(probe: probe, source: source, part: part, of: partCount, into: &heap)
            return heap
        }
        var merged = CandidateHeap(capacity: capacity)
        for heap in heaps { merged.merge(heap) }

        var results = merged.slots.map { ScoredSlot(slot: $0, score: exactScore(probe, $0), subjectID: subjectID($0)) }
        results.sort(by: ScoredSlot.precedes)
        guard merged.isFull, results.count > k else { return Array(results.prefix(k)) }

        let bound = probe.errorBound(templateErrorNorm: maxTemplateErrorNorm)
        let kthScore = results[k - 1].score
        if kthScore > merged.entryScore + bound { return Array(results.prefix(k)) }

        // Not proven: rescore everything that could still reach the k-th score.
        let minimum = kthScore - bound
        let collected = runParts(parts) { part, partCount in
            var collector = ThresholdCollector(minimum: minimum)
            scan(probe: probe, source: source, part: part, of: partCount, into: &collector)
            return collector.slots
        }
        var seen = Set(results.map(\.slot))
        for slots in collected {
            for slot in slots where seen.insert(slot).inserted {
                results.append(ScoredSlot(slot: slot, score: exactScore(probe, slot), subjectID: subjectID(slot)))
            }
        }
        results.sort(by: ScoredSlot.precedes)
        return Array(results.prefix(k))
    }

    /// Float32 scores of every live slot in `source`: the reference the compact pass is held to.
    func exhaustiveSearch(probe: PreparedProbe, source: ScanSource, k: Int) -> [ScoredSlot] {
        // Insertion into a sorted top-k: no sort of the whole gallery.
        var best: [ScoredSlot] = []
        best.reserveCapacity(k + 1)
        func consider(_ slot: Int32) {
            guard isLive(slot) else { return }
            let score = exactScore(probe, slot)
            if best.count == k, let last = best.last, score < last.score { return }
            let candidate = ScoredSlot(slot: slot, score: score, subjectID: subjectID(slot))
            let position = best.firstIndex { ScoredSlot.precedes(candidate, $0) } ?? best.count
            guard position < k else { return }
            best.insert(candidate, at: position)
            if best.count > k { best.removeLast() }
        }
        switch source {
        case .allSlots:
            for slot in 0..<slotCount { consider(Int32(slot)) }
        case .slotLists(let lists):
            for list in lists { for slot in list { consider(slot) } }
        }
        return best
    }

    /// Number of slots `source` names (live or not): decides whether a scan is worth splitting.
    func scanLength(_ source: ScanSource) -> Int {
        switch source {
        case .allSlots: return slotCount
        case .slotLists(let lists): return lists.reduce(0) { $0 + $1.count }
        }
    }

    /// Feeds the compact-pass score of every live slot in this part of `source` to `sink`.
    func scan<Sink: ApproximateScoreSink>(
        probe: PreparedProbe, source: ScanSource, part: Int, of partCount: Int, into sink: inout Sink
    ) {
        switch source {
        case .allSlots:
            let start = slotCount * part / partCount
            let end = slotCount * (part + 1) / partCount
            var slot = start
            while slot < end {
                let segmentIndex = slot >> TemplateSegment.capacityShift
                let segmentStart = segmentIndex << TemplateSegment.capacityShift
                let segmentEnd = min(end, segmentStart + TemplateSegment.capacity)
                scanSegment(
                    segments[segmentIndex], offsets: (slot - segmentStart)..<(segmentEnd - segmentStart),
                    firstSlot: segmentStart, probe: probe, into: &sink)
                slot = segmentEnd
            }
        case .slotLists(let lists):
            // Parts take equal shares of the concatenated lists.
            let total = lists.reduce(0) { $0 + $1.count }
            let start = total * part / partCount
            let end = total * (part + 1) / partCount
            var position = 0
            for list in lists {
                let listStart = position
                position += list.count
                let from = max(start, listStart)
                let to = min(end, position)
                guard from < to else { continue }
                list.withUnsafeBufferPointer { buffer in
                    scanSlots(UnsafeBufferPointer(rebasing: buffer[(from - listStart)..<(to - listStart)]), probe: probe, into: &sink)
                }
            }
        }
    }

    /// Rows whose compact dots are computed per call of the C kernel: 1 KiB of stack.
    static let dotBlockRows = 256

    @inline(__always)
    private func scanSegment<Sink: ApproximateScoreSink>(
        _ segment: TemplateSegment, offsets: Range<Int>, firstSlot: Int, probe: PreparedProbe, into sink: inout Sink
    ) {
        let width = paddedDimension
        let codes = segment.codes
        let scales = segment.scales
        let probeScale = probe.scale
        let bias = VectorKernels.codeBias &* probe.codeSum
        let checkDead = !dead.isEmpty
        var admission = sink.admissionScore
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.dotBlockRows) { dots in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.dotBlockRows) { candidates in
                var blockStart = offsets.lowerBound
                while blockStart < offsets.upperBound {
                    let blockEnd = min(offsets.upperBound, blockStart &+ Self.dotBlockRows)
                    // Consecutive rows in one call, at the CPU's widest multiply-add (CVectorKernels),
                    // which also keeps only rows scoring above the admission score at the block's
                    // start. Removed slots are computed too and skipped below; a wipe racing this read
                    // only changes a value that is thrown away.
                    let found = facepay_scan_rows(codes + blockStart &* width, width, blockEnd &- blockStart, probe.codes, width,
                                                  bias, scales + blockStart, probeScale, admission,
                                                  dots.baseAddress!, candidates.baseAddress!)
                    for index in 0..<found {
                        let row = Int(candidates[index])
                        let offset = blockStart &+ row
                        if checkDead, dead.contains(firstSlot &+ offset) { continue }
                        let approximate = Float(dots[row]) * (scales[offset] * probeScale)
                        if approximate > admission {
                            sink.offer(approximate, slot: Int32(truncatingIfNeeded: firstSlot &+ offset))
                            admission = sink.admissionScore
                        }
                    }
                    blockStart = blockEnd
                }
            }
        }
    }

    @inline(__always)
    private func scanSlots<Sink: ApproximateScoreSink>(
        _ slots: UnsafeBufferPointer<Int32>, probe: PreparedProbe, into sink: inout Sink
    ) {
        let probeScale = probe.scale
        let checkDead = !dead.isEmpty
        var admission = sink.admissionScore
        for slot in slots {
            let index = Int(slot)
            if checkDead, dead.contains(index) { continue }
            guard index < slotCount else { continue }
            let (segment, offset) = location(index)
            let dot = probe.codeDot(segment.code(offset))
            let approximate = Float(dot) * (segment.scales[offset] * probeScale)
            if approximate > admission {
                sink.offer(approximate, slot: slot)
                admission = sink.admissionScore
            }
        }
    }
}

/// Runs `body(part, partCount)` for each part, on `parts` threads when above one, and returns
/// the results in part order.
func runParts<Result: Sendable>(_ parts: Int, _ body: @Sendable (Int, Int) -> Result) -> [Result] {
    guard parts > 1 else { return [body(0, 1)] }
    let results = Mutex<[Int: Result]>([:])
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let result = body(part, parts)
        results.withLock { $0[part] = result }
    }
    return results.withLock { collected in (0..<parts).compactMap { collected[$0] } }
}
