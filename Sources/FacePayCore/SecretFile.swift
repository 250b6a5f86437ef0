#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes secrets (private keys, the template key file) so that no other user can read them at
/// any instant: the bytes go into a temporary file in the same directory, created by open(2)
/// with O_CREAT|O_EXCL and mode 0600 (then fchmod'ed to exactly 0600, so neither a permissive
/// umask nor a restrictive one changes the result), fsync'ed, and only then given its name. A
/// reader therefore sees no file or the whole file, never a partial one, and never a mode wider
/// than 0600 — unlike `Data.write` + `setAttributes`, which leaves a umask-wide window.
public enum SecretFile {
    /// The mode every secret gets.
    public static let mode: mode_t = 0o600

    /// What to do when `path` already exists.
    public enum Existing: Sendable {
        /// Replace it atomically (rename(2)).
        case replace
        /// Keep it and throw `secret_file_exists` (link(2) fails with EEXIST): a key file that
        /// appears meanwhile — another process created it — is never overwritten.
        case keep
    }

    /// Writes `contents` to `path` with mode 0600; throws `secret_file_unwritable` (naming the
    /// path and the system's reason) or, with `.keep`, `secret_file_exists`.
    public static func write(_ contents: Data, to path: String, existing: Existing) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).tmp-\(UUID().uuidString)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure(path, "cannot create") }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            unlink(temporary)   // after a rename or a link it only removes the temporary name
        }
        guard fchmod(descriptor, mode) == 0 else { throw failure(path, "cannot set mode 0600 on") }
        try writeAll(contents, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw failure(path, "cannot flush") }
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, "cannot close") }
        switch existing {
        case .replace:
            guard rename(temporary, path) == 0 else { throw failure(path, "cannot move into place") }
        case .keep:
            if link(temporary, path) != 0 {
                if errno == EEXIST {
                    throw FacePayError(.internalFailure, code: "secret_file_exists", detail: "\(path) already exists; it was not overwritten")
                }
                throw failure(path, "cannot move into place")
            }
        }
        // The new name should survive a crash too: flush the directory entry. Some file systems
        // refuse fsync on a directory (EINVAL); the file's own bytes are already durable then.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Appends `contents` to `path` (created with mode 0600 when missing) and fsyncs it before
    /// returning: for append-only journals, whose every line must be durable once acknowledged.
    /// A crash mid-append can leave a torn last line; readers skip it.
    public static func append(_ contents: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure(path, "cannot open") }
        defer { close(descriptor) }
        try writeAll(contents, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw failure(path, "cannot flush") }
    }

    private static func writeAll(_ contents: Data, to descriptor: Int32, path: String) throws {
        try contents.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot write")
                }
                offset += written
            }
        }
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #elseif canImport(Musl)
        Musl.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }

    private static func failure(_ path: String, _ what: String) -> FacePayError {
        let reason = String(cString: strerror(errno))
        return FacePayError(.internalFailure, code: "secret_file_unwritable", detail: "\(what) \(path): \(reason)")
    }
}
