/// Padded float rows with their compact codes (int8, stored biased), prepared outside the lock.
final class QuantizedRows: @unchecked Sendable {
    // Filled in init (rows split across threads write disjoint ranges), read-only afterwards.
    let count: Int
    let paddedDimension: Int
    private let vectors: UnsafeMutablePointer<Float>
    private let codeStorage: UnsafeMutablePointer<UInt8>
    private(set) var scales: [Float]
    private(set) var errorNorms: [Float]

    convenience init(count: Int, paddedDimension: Int, threads: Int = 1, values: (Int) -> [Float]) {
        self.init(count: count, paddedDimension: paddedDimension)
        for row in 0..<count {
            let source = values(row)
            precondition(source.count <= paddedDimension)
            let target = vectors + row * paddedDimension
            target.update(repeating: 0, count: paddedDimension)
            source.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress { target.update(from: base, count: source.count) }
            }
        }
        quantizeAll(threads: threads)
    }

    convenience init(count: Int, paddedDimension: Int, threads: Int, pointer: (Int) -> UnsafePointer<Float>) {
        self.init(count: count, paddedDimension: paddedDimension)
        for row in 0..<count { (vectors + row * paddedDimension).update(from: pointer(row), count: paddedDimension) }
        quantizeAll(threads: threads)
    }

    private init(count: Int, paddedDimension: Int) {
        self.count = count
        self.paddedDimension = paddedDimension
        vectors = .allocate(capacity: max(1, count * paddedDimension))
        codeStorage = .allocate(capacity: max(1, count * paddedDimension))
        scales = [Float](repeating: 0, count: count)
        errorNorms = [Float](repeating: 0, count: count)
    }

    deinit {
        vectors.update(repeating: 0, count: count * paddedDimension)
        codeStorage.update(repeating: 0, count: count * paddedDimension)
        vectors.deallocate()
        codeStorage.deallocate()
    }

    private func quantizeAll(threads: Int) {
        let parts = count >= 4096 ? max(1, threads) : 1
        let results = runParts(parts) { [self] part, partCount in
            let start = count * part / partCount
            let end = count * (part + 1) / partCount
            var partScales: [Float] = []
            var partErrors: [Float] = []
            for row in start..<end {
                let quantized = VectorKernels.quantize(
                    vectors + row * paddedDimension, paddedCount: paddedDimension,
                    into: codeStorage + row * paddedDimension)
                partScales.append(quantized.scale)
                partErrors.append(quantized.errorNorm)
            }
            return (start, partScales, partErrors)
        }
        for (start, partScales, partErrors) in results {
            for index in partScales.indices {
                scales[start + index] = partScales[index]
                errorNorms[start + index] = partErrors[index]
            }
        }
    }

    func vector(_ row: Int) -> UnsafePointer<Float> { UnsafePointer(vectors + row * paddedDimension) }
    func codes(_ row: Int) -> UnsafePointer<UInt8> { UnsafePointer(codeStorage + row * paddedDimension) }
}
