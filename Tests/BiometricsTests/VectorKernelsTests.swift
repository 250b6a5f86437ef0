@testable import Biometrics
import CVectorKernels
import FacePayCore
import Testing

/// Debug builds score with the scalar twins; these tests hold the SIMD kernels production runs
/// to bit-identical results, in every build.
@Suite("Vector kernels")
struct VectorKernelsTests {
    @Test("SIMD float32 dot equals its scalar twin bit for bit")
    func floatTwin() {
        var random = SeededRandom(seed: TestSupport.seed("floatTwin"))
        for dimension in [16, 128, 512] {
            for _ in 0..<200 {
                let a = (0..<dimension).map { _ in Float(random.nextGaussian()) }
                let b = (0..<dimension).map { _ in Float(random.nextGaussian()) }
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        guard let baseA = pa.baseAddress, let baseB = pb.baseAddress else { return }
                        let simd = VectorKernels.dotSIMD(baseA, baseB, paddedCount: dimension)
                        let twin = VectorKernels.dotScalarTwin(baseA, baseB, paddedCount: dimension)
                        #expect(simd.bitPattern == twin.bitPattern)
                        var reference = 0.0
                        for index in 0..<dimension { reference += Double(a[index]) * Double(b[index]) }
                        #expect(abs(Double(simd) - reference) < 1e-3)
                    }
                }
            }
        }
    }

    @Test("SIMD code dot equals its scalar twin, and the bias comes off exactly")
    func codeTwin() {
        var random = SeededRandom(seed: TestSupport.seed("codeTwin"))
        for dimension in [16, 128, 512] {
            for _ in 0..<200 {
                let signed = (0..<dimension).map { _ in Int32.random(in: -127...127, using: &random) }
                let codes = signed.map { UInt8($0 + 128) }
                let probe = (0..<dimension).map { _ in Int16.random(in: -127...127, using: &random) }
                codes.withUnsafeBufferPointer { pc in
                    probe.withUnsafeBufferPointer { pp in
                        guard let baseC = pc.baseAddress, let baseP = pp.baseAddress else { return }
                        let simd = VectorKernels.dotCodesSIMD(baseC, baseP, paddedCount: dimension)
                        let twin = VectorKernels.dotCodesScalarTwin(baseC, baseP, paddedCount: dimension)
                        #expect(simd == twin)
                        #expect(VectorKernels.dotCodes(baseC, baseP, paddedCount: dimension) == simd)
                        let probeSum = probe.reduce(Int32(0)) { $0 + Int32($1) }
                        let expected = zip(signed, probe).reduce(Int32(0)) { $0 + $1.0 * Int32($1.1) }
                        #expect(simd - VectorKernels.codeBias * probeSum == expected)
                    }
                }
            }
        }
    }

    @Test("every instruction-set variant of the C scan kernel equals the scalar twin, row by row, extremes included")
    func cKernelVariants() {
        var random = SeededRandom(seed: TestSupport.seed("cKernelVariants"))
        print("compact pass on this CPU: \(VectorKernels.compactPassInstructionSet)")
        for dimension in [16, 48, 128, 144, 512, 1024] {
            let rows = 37
            // Random rows, then the extremes: every code 0 or 255 against every probe code ±127.
            var codes = (0..<(rows * dimension)).map { _ in UInt8.random(in: 0...255, using: &random) }
            var probe = (0..<dimension).map { _ in Int16.random(in: -127...127, using: &random) }
            for index in 0..<dimension { codes[index] = 255; codes[dimension + index] = 0; probe[index] = index % 3 == 0 ? -127 : 127 }
            let expected = (0..<rows).map { row in
                codes.withUnsafeBufferPointer { pc in
                    probe.withUnsafeBufferPointer { pp in
                        VectorKernels.dotCodesScalarTwin(pc.baseAddress! + row * dimension, pp.baseAddress!, paddedCount: dimension)
                    }
                }
            }
            var ran = 0
            for isa in ["portable", "sse2", "avx2", "avx512bw"] {
                var out = [Int32](repeating: 0, count: rows)
                let status = codes.withUnsafeBufferPointer { pc in
                    probe.withUnsafeBufferPointer { pp in
                        out.withUnsafeMutableBufferPointer { po in
                            facepay_dot_codes_rows_variant(isa, pc.baseAddress!, dimension, rows, pp.baseAddress!, dimension, po.baseAddress!)
                        }
                    }
                }
                guard status == 0 else { continue }
                ran += 1
                #expect(out == expected, "\(isa) at \(dimension)-d")
            }
            #expect(ran >= 1)
            var chosen = [Int32](repeating: 0, count: rows)
            codes.withUnsafeBufferPointer { pc in
                probe.withUnsafeBufferPointer { pp in
                    chosen.withUnsafeMutableBufferPointer { po in
                        facepay_dot_codes_rows(pc.baseAddress!, dimension, rows, pp.baseAddress!, dimension, po.baseAddress!)
                    }
                }
            }
            #expect(chosen == expected)
        }
    }

    @Test("every sign-projection variant gives the portable loop's bits (replay codes agree across nodes)")
    func signProjectionVariants() {
        var random = SeededRandom(seed: TestSupport.seed("signProjectionVariants"))
        let bits = 512
        for padded in [8, 128, 136, 512] {
            let rows = (0..<(bits * padded)).map { _ in Float(random.nextGaussian()) }
            // Gaussian probes, then the edges: all zero (no sum is positive), subnormal values, and
            // a probe orthogonal-ish to row 0 so its sum sits at rounding noise around zero.
            var probes = (0..<50).map { _ in (0..<padded).map { _ in Float(random.nextGaussian()) } }
            probes.append([Float](repeating: 0, count: padded))
            probes.append((0..<padded).map { _ in Float(random.nextGaussian()) * 1e-41 })
            var orthogonal = (0..<padded).map { _ in Float(random.nextGaussian()) }
            let along = zip(orthogonal, rows.prefix(padded)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                / rows.prefix(padded).reduce(Float(0)) { $0 + $1 * $1 }
            for index in 0..<padded { orthogonal[index] -= along * rows[index] }
            probes.append(orthogonal)
            for probe in probes {
                func run(_ isa: String) -> [UInt64]? {
                    var words = [UInt64](repeating: 0, count: bits / 64)
                    let status = rows.withUnsafeBufferPointer { pr in
                        probe.withUnsafeBufferPointer { pp in
                            words.withUnsafeMutableBufferPointer { pw in
                                facepay_sign_projection_variant(isa, pr.baseAddress!, bits, padded, pp.baseAddress!, pw.baseAddress!)
                            }
                        }
                    }
                    return status == 0 ? words : nil
                }
                guard let expected = run("portable") else { Issue.record("portable always runs"); return }
                if let avx2 = run("avx2") { #expect(avx2 == expected, "avx2 at \(padded)") }
                var chosen = [UInt64](repeating: 0, count: bits / 64)
                rows.withUnsafeBufferPointer { pr in
                    probe.withUnsafeBufferPointer { pp in
                        chosen.withUnsafeMutableBufferPointer { pw in
                            facepay_sign_projection(pr.baseAddress!, bits, padded, pp.baseAddress!, pw.baseAddress!)
                        }
                    }
                }
                #expect(chosen == expected)
            }
        }
    }

    @Test("the compact score stays within the stated error bound of the exact score")
    func quantisationBound() {
        var random = SeededRandom(seed: TestSupport.seed("quantisationBound"))
        for _ in 0..<2000 {
            let template = TestSupport.randomUnit(128, &random)
            let probe = TestSupport.randomUnit(128, &random)
            let prepared = PreparedProbe(probe, paddedDimension: 128)
            var codes = [UInt8](repeating: 0, count: 128)
            let quantized = template.values.withUnsafeBufferPointer { values in
                codes.withUnsafeMutableBufferPointer { target in
                    VectorKernels.quantize(values.baseAddress!, paddedCount: 128, into: target.baseAddress!)
                }
            }
            let integer = codes.withUnsafeBufferPointer { pc in prepared.codeDot(pc.baseAddress!) }
            let approximate = Float(integer) * (quantized.scale * prepared.scale)
            let exact = probe.similarity(to: template)
            #expect(abs(exact - approximate) <= prepared.errorBound(templateErrorNorm: quantized.errorNorm))
        }
    }
}
