public import FolioIndex
public import FolioRepo
import FolioModel

/// How a front end reaches the index: opened and brought up to HEAD, errors mapped to
/// `FolioError`, and one rebuild-and-retry when a query meets a damaged file. The command
/// line and the HTTP server differ only in where the messages go.
public struct IndexReads {
    public let repo: FolioRepository
    /// Sentences for the user (index updated, damaged and rebuilt…).
    public var log: (String) -> Void
    /// Documents indexed so far, of how many (a rebuild's progress).
    public var progress: (Int, Int) -> Void

    public init(repo: FolioRepository, log: @escaping (String) -> Void = { _ in }, progress: @escaping (Int, Int) -> Void = { _, _ in }) {
        (self.repo, self.log, self.progress) = (repo, log, progress)
    }

    public func open(forceRebuild: Bool = false) throws -> RepositoryIndex {
        try Self.wrap { try RepositoryIndex.open(repo.git, options: .init(log: log, progress: progress, forceRebuild: forceRebuild)) }
    }

    /// Opens the index and runs `body` on it. When anything `body` reads meets a damaged file,
    /// that index is closed (releasing its lock, or the rebuild would wait for this very
    /// process), rebuilt, and `body` runs once more on the new one. So `body` should only read
    /// and return; print after it. `opened`: an index the caller opened itself.
    public func reading<T>(opened: RepositoryIndex? = nil, _ body: (RepositoryIndex) throws -> T) throws -> T {
        let index = try opened ?? open()
        do {
            return try body(index)
        } catch IndexError.damaged(let detail) {
            index.close()
            log("folio: index: \(RepositoryIndex.location(of: repo.git)) is damaged (\(detail)); rebuilding")
            let rebuilt = try open(forceRebuild: true)
            return try Self.wrap { try body(rebuilt) }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// `validate --since REV`'s check of HEAD's state, limited to what the range changed and
    /// what relates to it, found through the index (brought up to HEAD first). Nil when the
    /// whole state must be checked: the range changed settings or is not history of HEAD,
    /// or there is no index to ask (it cannot be written here).
    public func validateChanges(since rev: String, opened: RepositoryIndex? = nil) throws -> FolioRepository.ChangeValidation? {
        let index: RepositoryIndex
        do { index = try opened ?? open() } catch {
            log("folio: validate: the index cannot be opened (\(Self.mapped(error).message)); checking the whole state")
            return nil
        }
        return try reading(opened: index) { try repo.validateChanges(since: rev, related: $0) }
    }

    /// Where the index stands against HEAD (changes nothing).
    public func status() throws -> IndexStatus {
        try Self.wrap { try RepositoryIndex.status(of: repo.git) }
    }

    public static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw mapped(error) }
    }

    /// The index's errors as the front ends' one error (this layer's boundary): a file that
    /// cannot be opened, locked or read is an I/O problem.
    static func mapped(_ error: any Error) -> FolioError {
        if let error = error as? IndexError { return .io(error.description) }
        return FolioError.wrap(error)
    }

    /// The customer a buyer identity is limited to (SPEC §3); nil for a seller, or when there
    /// is no identity (reads work without one: a CI machine has none).
    public func visibleCustomer(_ index: RepositoryIndex, actingAs: String?) throws -> String? {
        guard let email = try? repo.identityEmail(explicit: actingAs) else { return nil }
        switch try index.visibility(of: email) {
        case .all: return nil
        case .customer(let id): return id
        case .unknown:
            // .folio/parties.json is missing or malformed: the document itself answers, with its
            // own error.
            guard let party = try repo.snapshot().parties()[email], party.role == .buyer else { return nil }
            return party.customerId ?? "\u{0}"
        }
    }
}
