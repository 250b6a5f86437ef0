/// A fixed-capacity block of templates in contiguous memory, filled front to back.
///
/// Layout per slot: int8 codes stored biased as UInt8 (the compact pass), float32 components (exact rescoring), the
/// int8 scale and the quantisation error norm, and the subject id. Both vector arrays are padded
/// to whole SIMD16 steps and 64-byte aligned.
///
/// Concurrency discipline (why `@unchecked Sendable` is sound): slots are written only under the
/// gallery's lock, only at `writtenCount`, and published afterwards by raising the snapshot's
/// `slotCount` under the same lock; searches read only slots below the count of the snapshot they
/// took under that lock. A slot is overwritten once more, by `wipe`, when its template is
/// removed and no search that could still read it is running (see `GalleryIndex.remove`).
final class TemplateSegment: @unchecked Sendable {
    static let capacityShift = 14
    static let capacity = 1 << capacityShift

    let paddedDimension: Int
    let codes: UnsafeMutablePointer<UInt8>
    let vectors: UnsafeMutablePointer<Float>
    let scales: UnsafeMutablePointer<Float>
    let errorNorms: UnsafeMutablePointer<Float>
    let subjectIDs: UnsafeMutablePointer<String>
    private(set) var writtenCount = 0

    init(paddedDimension: Int) {
        self.paddedDimension = paddedDimension
        let count = Self.capacity * paddedDimension
        codes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            .bindMemory(to: UInt8.self, capacity: count)
        vectors = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        scales = .allocate(capacity: Self.capacity)
        errorNorms = .allocate(capacity: Self.capacity)
        subjectIDs = .allocate(capacity: Self.capacity)
    }

    deinit {
        // Templates are biometric data: zero them before the memory goes back to the allocator.
        wipeAll()
        subjectIDs.deinitialize(count: writtenCount)
        UnsafeMutableRawPointer(codes).deallocate()
        UnsafeMutableRawPointer(vectors).deallocate()
        scales.deallocate()
        errorNorms.deallocate()
        subjectIDs.deallocate()
    }

    var isFull: Bool { writtenCount == Self.capacity }

    /// Appends one template; the caller holds the gallery lock and publishes the slot afterwards.
    func append(
        subjectID: String, vector: UnsafePointer<Float>, codes source: UnsafePointer<UInt8>, scale: Float, errorNorm: Float
    ) -> Int {
        precondition(!isFull, "segment full")
        let offset = writtenCount
        (vectors + offset * paddedDimension).update(from: vector, count: paddedDimension)
        (codes + offset * paddedDimension).update(from: source, count: paddedDimension)
        scales[offset] = scale
        errorNorms[offset] = errorNorm
        (subjectIDs + offset).initialize(to: subjectID)
        writtenCount += 1
        return offset
    }

    /// Overwrites a removed template with zeros (the subject id stays: it is not biometric).
    func wipe(_ offset: Int) {
        precondition(offset < writtenCount)
        (vectors + offset * paddedDimension).update(repeating: 0, count: paddedDimension)
        (codes + offset * paddedDimension).update(repeating: 0, count: paddedDimension)
        scales[offset] = 0
        errorNorms[offset] = 0
    }

    private func wipeAll() {
        vectors.update(repeating: 0, count: writtenCount * paddedDimension)
        codes.update(repeating: 0, count: writtenCount * paddedDimension)
    }

    @inline(__always) func vector(_ offset: Int) -> UnsafePointer<Float> {
        UnsafePointer(vectors + offset &* paddedDimension)
    }

    @inline(__always) func code(_ offset: Int) -> UnsafePointer<UInt8> {
        UnsafePointer(codes + offset &* paddedDimension)
    }
}
