import CVectorKernels
/// The dot products every score in the module comes from.
///
/// Vectors are stored padded with zeros to a multiple of 16 lanes, so every kernel runs whole
/// `SIMD16` steps with no scalar tail.
///
/// - `dot` (float32): one `SIMD16<Float>` accumulator, then a fixed pairwise reduction. One
///   accumulator is enough to reach memory bandwidth on this hardware (CONVENTIONS.md, "Known
///   ground"); `addProduct` is avoided because on the default x86-64 target it becomes a libm
///   `fmaf` call per lane.
/// - `dotInt8` (compact pass): int8 template codes against an int16 probe, accumulated in
///   `SIMD16<Int32>`. LLVM lowers the widening multiply-add to `pmaddwd` on plain SSE2.
///
/// Debug builds run each kernel's scalar twin instead: unoptimised generic SIMD code is ~15×
/// slower than a scalar loop, and the twin performs the same float operations in the same order,
/// so it returns bit-identical results (`VectorKernelsTests` checks this in every build). Tests
/// therefore exercise the same numbers production computes, at a debug-friendly speed.
enum VectorKernels {
    static let laneCount = 16

    /// `dimension` rounded up to whole SIMD16 steps.
    static func paddedDimension(_ dimension: Int) -> Int {
        (dimension + laneCount - 1) / laneCount * laneCount
    }

    // MARK: float32

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedCount: Int) -> Float {
        #if DEBUG
        return dotScalarTwin(a, b, paddedCount: paddedCount)
        #else
        return dotSIMD(a, b, paddedCount: paddedCount)
        #endif
    }

    @inline(__always)
    static func dotSIMD(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedCount: Int) -> Float {
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        var accumulator = SIMD16<Float>()
        var byteOffset = 0
        let byteEnd = paddedCount &* 4
        while byteOffset < byteEnd {
            accumulator += rawA.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
            byteOffset &+= 64
        }
        // Fixed reduction order (the twin repeats it): 16 → 8 → 4 → 2 → 1.
        let eight = accumulator.lowHalf + accumulator.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// Same operations, same order, as `dotSIMD`, one lane at a time. (`while` loops: in debug
    /// builds a `for … in` range costs more than the arithmetic.)
    static func dotScalarTwin(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedCount: Int) -> Float {
        precondition(paddedCount % laneCount == 0, "vectors are padded to whole SIMD16 steps")
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: laneCount) { buffer in
            guard let lanes = buffer.baseAddress else { return 0 }
            lanes.initialize(repeating: 0, count: laneCount)
            var offset = 0
            while offset < paddedCount {
                let rowA = a + offset
                let rowB = b + offset
                var lane = 0
                while lane < laneCount {
                    lanes[lane] += rowA[lane] * rowB[lane]
                    lanes[lane &+ 1] += rowA[lane &+ 1] * rowB[lane &+ 1]
                    lanes[lane &+ 2] += rowA[lane &+ 2] * rowB[lane &+ 2]
                    lanes[lane &+ 3] += rowA[lane &+ 3] * rowB[lane &+ 3]
                    lane &+= 4
                }
                offset &+= laneCount
            }
            var width = laneCount / 2
            while width >= 2 {
                var lane = 0
                while lane < width {
                    lanes[lane] = lanes[lane] + lanes[lane + width]
                    lane += 1
                }
                width /= 2
            }
            return lanes[0] + lanes[1]
        }
    }

    /// For ranking only (k-means, choosing lists): two accumulators hide the add latency when
    /// both vectors sit in cache, as centroids do. Rounds differently from `dot`, so its values
    /// never become a score anyone sees.
    @inline(__always)
    static func rankingDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, paddedCount: Int) -> Float {
        #if DEBUG
        return dotScalarTwin(a, b, paddedCount: paddedCount)
        #else
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        var first = SIMD16<Float>()
        var second = SIMD16<Float>()
        var byteOffset = 0
        let byteEnd = paddedCount &* 4
        while byteOffset &+ 128 <= byteEnd {
            first += rawA.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
            second += rawA.loadUnaligned(fromByteOffset: byteOffset &+ 64, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: byteOffset &+ 64, as: SIMD16<Float>.self)
            byteOffset &+= 128
        }
        if byteOffset < byteEnd {
            first += rawA.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: byteOffset, as: SIMD16<Float>.self)
        }
        return (first + second).sum()
        #endif
    }

    // MARK: int8 codes × int16 probe

    /// The instruction set of the gallery scan's compact pass on this CPU (CVectorKernels picks
    /// the widest it has): "avx512bw", "avx2", "sse2" or "portable".
    static var compactPassInstructionSet: String { String(cString: facepay_dot_codes_isa()) }

    /// Compact-pass codes are stored biased, `code + 128` as UInt8: zero-extending bytes to 16-bit
    /// lanes takes one instruction on SSE2 where sign-extending takes two, which measured twice as
    /// fast. The bias is removed with the probe's code sum: Σ(q+128)·p − 128·Σp = Σ q·p.
    static let codeBias: Int32 = 128

    /// Σ (biased code) × probe code. Subtract `codeBias × Σ probe codes` for the signed dot.
    @inline(__always)
    static func dotCodes(_ codes: UnsafePointer<UInt8>, _ probe: UnsafePointer<Int16>, paddedCount: Int) -> Int32 {
        #if DEBUG
        return dotCodesScalarTwin(codes, probe, paddedCount: paddedCount)
        #else
        // Constant trip counts for the common dimensions let LLVM unroll the loop completely.
        switch paddedCount {
        case 128: return dotCodesSIMD(codes, probe, paddedCount: 128)
        case 512: return dotCodesSIMD(codes, probe, paddedCount: 512)
        default: return dotCodesSIMD(codes, probe, paddedCount: paddedCount)
        }
        #endif
    }

    @inline(__always)
    static func dotCodesSIMD(_ codes: UnsafePointer<UInt8>, _ probe: UnsafePointer<Int16>, paddedCount: Int) -> Int32 {
        let rawCodes = UnsafeRawPointer(codes)
        let rawProbe = UnsafeRawPointer(probe)
        var accumulator = SIMD16<Int32>()
        var offset = 0
        while offset < paddedCount {
            let code = SIMD16<Int32>(truncatingIfNeeded: rawCodes.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self))
            let probeLanes = SIMD16<Int32>(
                truncatingIfNeeded: rawProbe.loadUnaligned(fromByteOffset: offset &* 2, as: SIMD16<Int16>.self))
            accumulator &+= code &* probeLanes
            offset &+= 16
        }
        return accumulator.wrappedSum()
    }

    /// Integer arithmetic is exact, so any order gives the SIMD kernel's result. Four partial
    /// sums and wrapping index arithmetic keep the debug build's loop short.
    static func dotCodesScalarTwin(_ codes: UnsafePointer<UInt8>, _ probe: UnsafePointer<Int16>, paddedCount: Int) -> Int32 {
        var total0: Int32 = 0
        var total1: Int32 = 0
        var total2: Int32 = 0
        var total3: Int32 = 0
        var index = 0
        while index < paddedCount {
            total0 &+= Int32(truncatingIfNeeded: codes[index]) &* Int32(truncatingIfNeeded: probe[index])
            total1 &+= Int32(truncatingIfNeeded: codes[index &+ 1]) &* Int32(truncatingIfNeeded: probe[index &+ 1])
            total2 &+= Int32(truncatingIfNeeded: codes[index &+ 2]) &* Int32(truncatingIfNeeded: probe[index &+ 2])
            total3 &+= Int32(truncatingIfNeeded: codes[index &+ 3]) &* Int32(truncatingIfNeeded: probe[index &+ 3])
            index &+= 4
        }
        return (total0 &+ total1) &+ (total2 &+ total3)
    }

    // MARK: quantisation

    /// Largest code magnitude. Products of two codes, summed over up to 1,024 components, stay
    /// below 2^24, so the signed dot converts to `Float` exactly.
    static let codeMax: Float = 127

    /// Per-vector symmetric int8 quantisation, `value ≈ scale · code`, stored biased (`code + 128`).
    /// Returns the scale, the Euclidean norm of the rounding error `|value − scale·code|` (rounded
    /// up) and the norm of the reconstruction `|scale·code|` (rounded up): the inputs of the
    /// compact pass's error bound.
    @discardableResult
    static func quantize(
        _ values: UnsafePointer<Float>, paddedCount: Int, into codes: UnsafeMutablePointer<UInt8>
    ) -> (scale: Float, errorNorm: Float, reconstructionNorm: Float) {
        precondition(paddedCount <= 1024, "compact codes support up to 1,024 components")
        var maxMagnitude: Float = 0
        var index = 0
        while index < paddedCount {
            maxMagnitude = max(maxMagnitude, abs(values[index]))
            index += 1
        }
        guard maxMagnitude > 0 else {
            codes.update(repeating: UInt8(codeBias), count: paddedCount)
            return (0, 0, 0)
        }
        let scale = maxMagnitude / codeMax
        var errorSquares: Double = 0
        var reconstructionSquares: Double = 0
        index = 0
        while index < paddedCount {
            let rounded = (values[index] / scale).rounded()
            let code = Int32(max(-codeMax, min(codeMax, rounded)))
            codes[index] = UInt8(truncatingIfNeeded: code + codeBias)
            let reconstruction = Double(scale) * Double(code)
            let error = Double(values[index]) - reconstruction
            errorSquares += error * error
            reconstructionSquares += reconstruction * reconstruction
            index += 1
        }
        return (scale, Float(errorSquares.squareRoot()).nextUp, Float(reconstructionSquares.squareRoot()).nextUp)
    }
}
