import Logging
import Synchronization

/// A swift-log handler that keeps every line (at trace level and up), metadata included, so a
/// test can search what the server logged.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func handler(label: String) -> any LogHandler { RecordingHandler(label: label, recorder: self) }

    struct RecordingHandler: LogHandler {
        let label: String
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append("\(event.level) \(label) \(event.message) \(all)")
        }
    }
}
