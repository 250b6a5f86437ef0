/// The values going into and out of `GalleryIndex`: entries to load, build progress, search
/// options and results.
import FacePayCore

/// One template to load: whose, which hint bucket (e.g. the phone's last four digits), and the
/// validated embedding.
public struct GalleryEntry: Sendable {
    public let subjectID: String
    public let bucket: String?
    public let embedding: Embedding

    public init(subjectID: String, bucket: String? = nil, embedding: Embedding) {
        self.subjectID = subjectID
        self.bucket = bucket
        self.embedding = embedding
    }
}

/// Progress of a bulk load or an approximate-index build, for a terminal progress line.
public struct GalleryBuildProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        case loading
        case trainingApproximateIndex = "training approximate index"
        case assigningApproximateIndex = "assigning approximate index"
        case reorderingStorage = "reordering storage by list"
    }

    public let phase: Phase
    public let completed: Int
    public let total: Int

    public init(phase: Phase, completed: Int, total: Int) {
        self.phase = phase
        self.completed = completed
        self.total = total
    }
}

/// How a search ran.
public enum GallerySearchPath: String, Sendable, Equatable {
    /// Every template, compact pass + exact rescoring: equals exhaustive float32 search.
    case exact
    /// The inverted file's nearest lists, compact pass + exact rescoring.
    case approximate
    /// The hint's bucket only, compact pass + exact rescoring.
    case bucket
}

public struct GallerySearchOptions: Sendable, Equatable {
    public enum Path: Sendable, Equatable {
        /// Approximate when the approximate index exists and the gallery has at least
        /// `Configuration.approximateSearchTemplatesMin` templates; exact otherwise.
        case automatic
        case exact
        /// Approximate when the index exists; exact otherwise.
        case approximate
    }

    public var path: Path
    /// Threads one search may use; nil: the configuration's `threadsMax`.
    public var threadsMax: Int?

    public init(path: Path = .automatic, threadsMax: Int? = nil) {
        self.path = path
        self.threadsMax = threadsMax
    }
}

/// A search's candidates and what the open-set decision needs to know about it.
public struct GallerySearchResult: Sendable, Equatable {
    /// Distinct subjects, best first, with exact float32 scores.
    public let candidates: [MatchCandidate]
    /// N for the decision: live templates the search covered (the gallery, or the bucket). An
    /// approximate search counts the whole gallery, which is conservative.
    public let templatesSearched: Int
    public let path: GallerySearchPath
}
