import FacePayCore
import Foundation
import Synchronization

/// The approximate index: an inverted file (IVF). Spherical k-means splits the templates into
/// `listCount` cells; a search scores the probe against the centroids, scans the lists of the
/// `probeCount` nearest cells with the compact pass, and rescores exactly like every other path.
///
/// **Why IVF and not HNSW.**
/// - Writes: enrolment appends a slot to one list and erasure is the same removed-slot bit the
///   exact path uses. HNSW deletions leave holes in the graph that degrade recall until a rebuild,
///   and every insert is itself a graph search.
/// - Build on 2 cores: k-means on a sample plus one assignment pass, both split across threads,
///   takes seconds for a million templates; an HNSW build is a million sequential graph searches.
/// - Memory: 4 bytes per template (its slot in a list) plus the centroids, against HNSW's
///   ~2·M neighbour ids (≥ 128 bytes) per template.
/// - It reuses the int8 codes, kernels and exact rescoring of the exact path, so a returned
///   candidate always carries its exact score; only recall is approximate.
///
/// Centroids are trained once per build (`GalleryIndex.rebuildApproximateIndex`); templates added
/// later join the nearest existing cell, and `GalleryIndex.approximateIndexIsStale` says when the
/// gallery has outgrown the training (4× the trained size) and a rebuild is due.
struct InvertedFileIndex: Sendable {
    let centroids: CentroidSet
    var lists: [[Int32]]
    let trainedTemplateCount: Int
    let storageEpoch: UInt64

    var listCount: Int { centroids.count }

    /// The lists of the `count` centroids nearest to `vector`.
    func nearestLists(to vector: UnsafePointer<Float>, count: Int) -> [[Int32]] {
        centroids.nearest(to: vector, count: count).map { lists[$0] }
    }

    mutating func add(slot: Int32, vector: UnsafePointer<Float>) {
        lists[centroids.nearest(to: vector)].append(slot)
    }

    /// Renumbers slots after a compaction; slots missing from `mapping` (removed) are dropped.
    func remap(_ mapping: [Int32], storageEpoch epoch: UInt64) -> InvertedFileIndex {
        let remapped = lists.map { list in list.compactMap { slot -> Int32? in
            let target = mapping[Int(slot)]
            return target >= 0 ? target : nil
        } }
        return InvertedFileIndex(centroids: centroids, lists: remapped, trainedTemplateCount: trainedTemplateCount, storageEpoch: epoch)
    }

    /// A sensible list count for `templateCount` templates: √N, within [16, 4096]. More lists give
    /// better recall for the same share scanned (uniformly random 128-d templates, 100k, 5 %
    /// scanned: recall@1 0.958 with √N/2 lists, 0.988 with √N, 0.996 with 2√N), but the build
    /// (k-means + assignment, O(N · lists)) grows with them; √N with a larger probed share is the
    /// balance on 2 cores.
    static func defaultListCount(templateCount: Int) -> Int {
        max(16, min(4096, Int(Double(templateCount).squareRoot().rounded())))
    }

    /// Trains centroids on a sample of the snapshot's live templates and assigns every live
    /// template to its nearest centroid. Pure with respect to the gallery: the caller installs
    /// the result under the lock.
    static func build(
        snapshot: GallerySnapshot, listCount requestedListCount: Int?, iterations: Int, sampleMax: Int, threads: Int,
        progress: (@Sendable (GalleryBuildProgress) -> Void)?
    ) -> InvertedFileIndex? {
        var collected: [Int32] = []
        collected.reserveCapacity(snapshot.liveCount)
        for slot in 0..<snapshot.slotCount where !snapshot.dead.contains(slot) { collected.append(Int32(slot)) }
        let liveSlots = collected
        guard liveSlots.count >= 2 else { return nil }
        let listCount = min(requestedListCount ?? defaultListCount(templateCount: liveSlots.count), liveSlots.count)
        let padded = snapshot.paddedDimension

        // A random sample, deterministic so builds are reproducible.
        var random = SeededRandom(seed: 0x1DF_5EED)
        var sample = liveSlots
        let sampleCount = min(sample.count, max(sampleMax, listCount))
        for index in 0..<sampleCount {
            let pick = Int.random(in: index..<sample.count, using: &random)
            sample.swapAt(index, pick)
        }
        let sampleMatrix = PaddedMatrix(count: sampleCount, paddedColumns: padded) { row in snapshot.vector(sample[row]) }

        // Spherical k-means: centroids start at random sample points.
        var centroidValues = [Float](repeating: 0, count: listCount * padded)
        for list in 0..<listCount {
            let source = sampleMatrix.row(list)
            for column in 0..<padded { centroidValues[list * padded + column] = source[column] }
        }
        var centroids = CentroidSet(count: listCount, paddedDimension: padded, values: centroidValues)
        for iteration in 0..<iterations {
            progress?(GalleryBuildProgress(phase: .trainingApproximateIndex, completed: iteration, total: iterations))
            let current = centroids
            let partials = runParts(threads) { part, parts in
                var sums = [Float](repeating: 0, count: listCount * padded)
                var counts = [Int](repeating: 0, count: listCount)
                let start = sampleCount * part / parts
                let end = sampleCount * (part + 1) / parts
                for row in start..<end {
                    let vector = sampleMatrix.row(row)
                    let nearest = current.nearest(to: vector)
                    counts[nearest] += 1
                    let base = nearest * padded
                    for column in 0..<padded { sums[base + column] += vector[column] }
                }
                return (sums, counts)
            }
            var sums = [Float](repeating: 0, count: listCount * padded)
            var counts = [Int](repeating: 0, count: listCount)
            for (partSums, partCounts) in partials {
                for index in sums.indices { sums[index] += partSums[index] }
                for index in counts.indices { counts[index] += partCounts[index] }
            }
            for list in 0..<listCount {
                let base = list * padded
                if counts[list] == 0 {
                    // An empty cell restarts at a random sample point.
                    let source = sampleMatrix.row(Int.random(in: 0..<sampleCount, using: &random))
                    for column in 0..<padded { sums[base + column] = source[column] }
                }
                var norm: Float = 0
                for column in 0..<padded { norm += sums[base + column] * sums[base + column] }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                for column in 0..<padded { sums[base + column] *= scale }
            }
            centroids = CentroidSet(count: listCount, paddedDimension: padded, values: sums)
        }

        // Assign every live template; parts take contiguous ranges, so lists stay in slot order.
        let trained = centroids
        let assignedCount = Mutex(0)
        let total = liveSlots.count
        let partLists = runParts(threads) { part, parts in
            var lists = [[Int32]](repeating: [], count: listCount)
            let start = total * part / parts
            let end = total * (part + 1) / parts
            for index in start..<end {
                let slot = liveSlots[index]
                lists[trained.nearest(to: snapshot.vector(slot))].append(slot)
                if (index - start) % 16_384 == 16_383, let progress {
                    let done = assignedCount.withLock { count in
                        count += 16_384
                        return count
                    }
                    progress(GalleryBuildProgress(phase: .assigningApproximateIndex, completed: done, total: total))
                }
            }
            return lists
        }
        var lists = [[Int32]](repeating: [], count: listCount)
        for partial in partLists {
            for list in 0..<listCount { lists[list].append(contentsOf: partial[list]) }
        }
        progress?(GalleryBuildProgress(phase: .assigningApproximateIndex, completed: total, total: total))
        return InvertedFileIndex(
            centroids: trained, lists: lists, trainedTemplateCount: total, storageEpoch: snapshot.storageEpoch)
    }
}

/// Unit-length centroids in contiguous padded rows; immutable once made.
final class CentroidSet: @unchecked Sendable {
    // Written only in init; read-only afterwards.
    let count: Int
    let paddedDimension: Int
    private let storage: UnsafeMutablePointer<Float>

    init(count: Int, paddedDimension: Int, values: [Float]) {
        precondition(values.count == count * paddedDimension)
        self.count = count
        self.paddedDimension = paddedDimension
        storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, values.count) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, values.count))
        values.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { storage.initialize(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(storage).deallocate() }

    var byteCount: Int { count * paddedDimension * 4 }

    func vector(_ index: Int) -> UnsafePointer<Float> { UnsafePointer(storage + index * paddedDimension) }

    @inline(__always) func score(_ vector: UnsafePointer<Float>, _ index: Int) -> Float {
        VectorKernels.rankingDot(vector, storage + index * paddedDimension, paddedCount: paddedDimension)
    }

    func nearest(to vector: UnsafePointer<Float>) -> Int {
        #if DEBUG
        var best = 0
        var bestScore = -Float.infinity
        for index in 0..<count {
            let score = VectorKernels.rankingDot(vector, storage + index * paddedDimension, paddedCount: paddedDimension)
            if score > bestScore {
                bestScore = score
                best = index
            }
        }
        return best
        #else
        return nearestBlocked(to: vector)
        #endif
    }

    /// Four centroids per pass over the vector: each 8-lane chunk of the vector is loaded once
    /// for four products, and four independent accumulators keep both FP pipes busy (the build's
    /// hot loop: every template against every centroid).
    private func nearestBlocked(to vector: UnsafePointer<Float>) -> Int {
        let raw = UnsafeRawPointer(vector)
        let width = paddedDimension
        let byteEnd = width &* 4
        var best = 0
        var bestScore = -Float.infinity
        var index = 0
        while index &+ 4 <= count {
            let c0 = UnsafeRawPointer(storage + index &* width)
            let c1 = UnsafeRawPointer(storage + (index &+ 1) &* width)
            let c2 = UnsafeRawPointer(storage + (index &+ 2) &* width)
            let c3 = UnsafeRawPointer(storage + (index &+ 3) &* width)
            var a0 = SIMD8<Float>()
            var a1 = SIMD8<Float>()
            var a2 = SIMD8<Float>()
            var a3 = SIMD8<Float>()
            var byteOffset = 0
            while byteOffset < byteEnd {
                let chunk = raw.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                a0 += chunk * c0.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                a1 += chunk * c1.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                a2 += chunk * c2.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                a3 += chunk * c3.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float>.self)
                byteOffset &+= 32
            }
            // Reduce the four together (a 4×4 transpose) rather than four serial lane sums.
            let h0 = a0.lowHalf + a0.highHalf
            let h1 = a1.lowHalf + a1.highHalf
            let h2 = a2.lowHalf + a2.highHalf
            let h3 = a3.lowHalf + a3.highHalf
            let scores = SIMD4(h0[0], h1[0], h2[0], h3[0]) + SIMD4(h0[1], h1[1], h2[1], h3[1])
                + SIMD4(h0[2], h1[2], h2[2], h3[2]) + SIMD4(h0[3], h1[3], h2[3], h3[3])
            if scores[0] > bestScore { bestScore = scores[0]; best = index }
            if scores[1] > bestScore { bestScore = scores[1]; best = index &+ 1 }
            if scores[2] > bestScore { bestScore = scores[2]; best = index &+ 2 }
            if scores[3] > bestScore { bestScore = scores[3]; best = index &+ 3 }
            index &+= 4
        }
        while index < count {
            let score = VectorKernels.rankingDot(vector, storage + index &* width, paddedCount: width)
            if score > bestScore {
                bestScore = score
                best = index
            }
            index &+= 1
        }
        return best
    }

    /// The `wanted` nearest centroids, nearest first.
    func nearest(to vector: UnsafePointer<Float>, count wanted: Int) -> [Int] {
        let take = min(wanted, count)
        guard take > 0 else { return [] }
        var heap = CandidateHeap(capacity: take)
        for index in 0..<count {
            let score = VectorKernels.rankingDot(vector, storage + index * paddedDimension, paddedCount: paddedDimension)
            if score > heap.entryScore { heap.insert(score, slot: Int32(index)) }
        }
        return zip(heap.scores, heap.slots).sorted { $0.0 > $1.0 }.map { Int($0.1) }
    }
}
