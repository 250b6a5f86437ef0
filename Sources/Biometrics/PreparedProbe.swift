/// A probe ready for scanning: padded float32 components for exact rescoring, int16 codes for the
/// compact pass, and what the compact pass's error bound needs.
final class PreparedProbe: @unchecked Sendable {
    // Immutable after init; shared read-only with scan threads.
    let paddedDimension: Int
    let vector: UnsafeMutablePointer<Float>
    let codes: UnsafeMutablePointer<Int16>
    /// Σ codes, to remove the template codes' bias.
    let codeSum: Int32
    let scale: Float
    /// |p − scale·q|, rounded up.
    let errorNorm: Float
    /// |scale·q|, rounded up.
    let reconstructionNorm: Float

    init(_ embedding: Embedding, paddedDimension: Int) {
        precondition(embedding.dimension <= paddedDimension)
        self.paddedDimension = paddedDimension
        vector = UnsafeMutableRawPointer.allocate(byteCount: paddedDimension * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: paddedDimension)
        vector.initialize(repeating: 0, count: paddedDimension)
        for (index, value) in embedding.values.enumerated() { vector[index] = value }
        let narrow = UnsafeMutablePointer<UInt8>.allocate(capacity: paddedDimension)
        defer { narrow.deallocate() }
        let quantized = VectorKernels.quantize(vector, paddedCount: paddedDimension, into: narrow)
        codes = UnsafeMutableRawPointer.allocate(byteCount: paddedDimension * 2, alignment: 64)
            .bindMemory(to: Int16.self, capacity: paddedDimension)
        var sum: Int32 = 0
        for index in 0..<paddedDimension {
            let code = Int16(Int32(narrow[index]) - VectorKernels.codeBias)
            codes[index] = code
            sum += Int32(code)
        }
        codeSum = sum
        scale = quantized.scale
        errorNorm = quantized.errorNorm
        reconstructionNorm = quantized.reconstructionNorm
    }

    deinit {
        vector.update(repeating: 0, count: paddedDimension)
        UnsafeMutableRawPointer(vector).deallocate()
        UnsafeMutableRawPointer(codes).deallocate()
    }

    /// The signed int8 dot product with a template's biased codes.
    @inline(__always) func codeDot(_ templateCodes: UnsafePointer<UInt8>) -> Int32 {
        VectorKernels.dotCodes(templateCodes, codes, paddedCount: paddedDimension) &- VectorKernels.codeBias &* codeSum
    }

    /// The largest possible |exact − approximate| for any template whose quantisation error norm
    /// is at most `templateErrorNorm`:
    ///
    ///     t·p − s_t s_p (q_t·q_p) = t·e_p + e_t·(s_p q_p)   (p = s_p q_p + e_p, t = s_t q_t + e_t)
    ///     |…| ≤ |t|·|e_p| + |e_t|·|s_p q_p|                   (Cauchy–Schwarz, |t| = 1)
    ///
    /// plus a slack for float rounding in both scores (≤ ~3e-6 for 512-d unit vectors).
    func errorBound(templateErrorNorm: Float) -> Float {
        errorNorm * 1.000_001 + templateErrorNorm * reconstructionNorm + 1e-5 + Float(paddedDimension) * 1e-8
    }
}
