public import FolioRepo
import FolioModel

/// One `folio sync` as a whole (SPEC §4 and §10), for every front end: fetch, merge and push
/// main; for a seller, publish every share and bring the buyers' answers back, then push
/// what came back. A seller with shares and no remote of its own syncs the shares only.
public struct SyncRound {
    public let repo: FolioRepository
    public init(repo: FolioRepository) { self.repo = repo }

    public struct Outcome {
        /// The remote's sync; nil when there is no remote and only the shares were synced.
        public var summary: SyncSummary?
        public var shares: [SharePublication] = []
        /// A share refused what its buyers pushed (the findings are in `shares`).
        public var refusedShares: Bool { shares.contains { !$0.imported.findings.isEmpty } }
    }

    /// `remote`: nil for origin, which may be absent when the seller has shares; a remote
    /// named explicitly must exist.
    public func run(remote: String?, caller: Caller) throws -> Outcome {
        let publishesShares: Bool = {
            guard let snap = try? repo.snapshot(), let shares = try? snap.shares(), !shares.shares.isEmpty else { return false }
            return (try? repo.actor(explicit: caller.identity, snapshot: snap))?.isSeller == true
        }()
        let name = remote ?? "origin"
        let hasRemote = remote != nil || !publishesShares || repo.hasRemote(name)
        var outcome = Outcome()
        if hasRemote { outcome.summary = try Syncer(repo: repo).sync(remote: name, caller: caller) }
        guard publishesShares else { return outcome }
        outcome.shares = try SharePublisher(repo: repo).publish(caller: Caller(identity: caller.identity, clock: Clock()))
        // What came back from the shares goes to the seller's remote too.
        if hasRemote, outcome.shares.contains(where: { $0.imported.commit != nil }) {
            outcome.summary = try Syncer(repo: repo).sync(remote: name, caller: caller)
        }
        return outcome
    }
}
