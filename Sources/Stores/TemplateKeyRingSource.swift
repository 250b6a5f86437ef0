#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FacePayCore
import Foundation
import Logging
import Synchronization

/// The template key ring a running server uses, re-read when its key file changes.
///
/// `facepay keys rotate` appends a key to the file and re-seals every row while servers keep
/// running. A server still sealing enrolments with the old key after that re-seal would leave
/// rows under a key the operator is about to retire. So the seal path asks for `sealingRing()`,
/// which stats the key file (one syscall, no read) and reloads it when its identity (device,
/// inode, size, modification time) changed. Enrolment calls it inside the write transaction that
/// stores the template, so every seal that commits after rotate wrote the file uses the new key,
/// and every seal that used the old key committed before rotate's first re-seal transaction
/// (SQLite writers are serialised) — which therefore re-seals it. No polling interval to tune
/// and no window. A file that does not parse (half edited) keeps the ring in force and is logged
/// once per version of the file.
public final class TemplateKeyRingSource: Sendable {
    /// The key file, or nil for a ring that never changes (keys from the environment only, tests).
    public let filePath: String?
    private let environment: [String: String]
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var ring: TemplateKeyRing
        /// The file version the ring was read from, and the last version that failed to parse.
        var loaded: FileIdentity?
        var refused: FileIdentity?
    }

    /// A ring that is never re-read.
    public init(fixed ring: TemplateKeyRing) {
        filePath = nil
        environment = [:]
        logger = Logger(label: "facepay.keys")
        state = Mutex(State(ring: ring, loaded: nil, refused: nil))
    }

    /// Loads the ring as `TemplateKeyRing.load` does, remembering the file to follow it.
    public init(path: String, environment: [String: String], createIfMissing: Bool, now: Date = Date(),
                logger: Logger = Logger(label: "facepay.keys")) throws {
        let filePath = TemplateKeyRing.filePath(path: path, environment: environment)
        let identity = FileIdentity.of(filePath)
        let ring = try TemplateKeyRing.load(path: path, environment: environment, createIfMissing: createIfMissing, now: now)
        // Identity taken before the read: a change in between only causes one extra reload later.
        self.filePath = filePath
        self.environment = environment
        self.logger = logger
        state = Mutex(State(ring: ring, loaded: identity ?? FileIdentity.of(filePath), refused: nil))
    }

    /// The ring in force (no I/O).
    public var ring: TemplateKeyRing { state.withLock { $0.ring } }

    /// The ring to seal with now: the key file is checked first (see the type's comment).
    public func sealingRing() -> TemplateKeyRing {
        reloadIfChanged()
        return ring
    }

    /// Re-reads the key file if it changed since it was read; returns whether the ring changed.
    @discardableResult
    public func reloadIfChanged() -> Bool {
        guard let filePath, let identity = FileIdentity.of(filePath) else { return false }
        return state.withLock { state in
            guard identity != state.loaded, identity != state.refused else { return false }
            do {
                let text = try TemplateKeyRing.readText(path: filePath, environment: environment, createIfMissing: false, now: Date())
                let fresh = try TemplateKeyRing.parse(text, source: filePath)
                let before = state.ring.keys.map(\.id)
                state.ring = fresh
                state.loaded = identity
                state.refused = nil
                logger.notice("template keys reloaded", metadata: [
                    "file": .string(filePath), "current_key_id": .string(fresh.current.id),
                    "key_ids": .string(fresh.keys.map(\.id).joined(separator: ",")),
                ])
                return fresh.keys.map(\.id) != before
            } catch {
                state.refused = identity
                logger.error("template key file changed but cannot be used; keeping the keys in force", metadata: [
                    "file": .string(filePath), "error": .string((error as? FacePayError)?.code ?? "unreadable"),
                    "current_key_id": .string(state.ring.current.id),
                ])
                return false
            }
        }
    }
}
