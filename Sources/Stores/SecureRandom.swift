import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random bytes from the system CSPRNG, fetched 4 KiB at a time.
///
/// `SystemRandomNumberGenerator` makes one getrandom(2) call per 8 bytes; every payment needs
/// three ids, and those calls showed up in profiles. The bytes come from the same kernel source
/// (`/dev/urandom`, kept open), only in bulk.
enum SecureRandom {
    private static let pool = Mutex(Pool())

    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var offset = 4096
        var descriptor: Int32 = -1

        mutating func take(_ count: Int, into output: UnsafeMutableRawBufferPointer) {
            precondition(count <= bytes.count)
            if offset + count > bytes.count { refill() }
            bytes.withUnsafeBytes { source in
                output.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            // Bytes handed out are not kept around.
            for index in offset..<(offset + count) { bytes[index] = 0 }
            offset += count
        }

        mutating func refill() {
            #if canImport(Glibc)
            if descriptor < 0 {
                descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
                precondition(descriptor >= 0, "cannot open /dev/urandom: errno \(errno)")
            }
            let descriptor = descriptor
            bytes.withUnsafeMutableBytes { buffer in
                var filled = 0
                while filled < buffer.count {
                    let result = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                    if result < 0 {
                        precondition(errno == EINTR, "reading /dev/urandom failed: errno \(errno)")
                        continue
                    }
                    precondition(result > 0, "/dev/urandom ended")
                    filled += result
                }
            }
            #else
            bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            #endif
            offset = 0
        }
    }

    /// `count` (≤ 4096) random bytes into `output`.
    static func fill(_ output: UnsafeMutableRawBufferPointer) {
        pool.withLock { $0.take(output.count, into: output) }
    }
}
