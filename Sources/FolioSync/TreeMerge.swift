public import Foundation
public import FolioGit
public import FolioModel
public import FolioRepo

/// What a merge of two commits did, for the sync summary.
public struct MergeReport: Sendable {
    public var mergedPaths: [String] = []
    public var conflicts: [(path: String, record: ConflictRecord)] = []
    public var voidedNumbers: [String] = []
    /// Numbers held by more than one invoice after the merge: reported, never silently kept.
    public var duplicateNumbers: [String: [String]] = [:]
    public var takenFromTheirs: [String] = []
}

public enum SyncError: Error, CustomStringConvertible {
    case unmergeable(path: String, message: String)
    case unreadable(MergeFailure)

    public var description: String {
        switch self {
        case .unmergeable(let path, let message): "\(path): \(message)"
        case .unreadable(let failure): failure.description
        }
    }
}

/// A merge that cannot be made outside a sync (the history check redoing a merge commit, a
/// share's import): the sentence, exit 2, as ever. Sync itself reports it as a refusal
/// (`SyncFailure.merge`: nothing was written).
extension SyncError: FolioErrorConvertible {
    public var folioError: FolioError { .io(description) }
}

/// Merges two commits' trees document by document with FolioModel's DocumentMerge. Only the
/// paths that differ between the two sides are read, so the cost follows the size of the
/// change, not of the repository.
public struct TreeMerger {
    public let git: GitRepository

    public init(git: GitRepository) { self.git = git }

    /// The merged root tree of `ours` and `theirs` (commits), and what happened.
    public func merge(ours: GitOID, theirs: GitOID) throws -> (tree: GitOID, report: MergeReport) {
        let oursInfo = try git.commitInfo(ours)
        let theirsInfo = try git.commitInfo(theirs)
        let bases = try git.mergeBases(ours, theirs).sorted()
        var report = MergeReport()
        var changes: [String: Data?] = [:]
        var taken: [String: GitOID] = [:]
        var bothChanged: [Versions] = []
        // One base: what each side changed since it comes from two tree diffs, so a path
        // changed on one side only is decided by object ids, without reading any content.
        var oursSinceBase: [String: GitTreeChange] = [:], theirsSinceBase: [String: GitTreeChange] = [:]
        if bases.count == 1 {
            for c in try git.diff(from: bases[0], to: ours) { oursSinceBase[c.path] = c }
            for c in try git.diff(from: bases[0], to: theirs) { theirsSinceBase[c.path] = c }
        }
        for change in try git.diff(from: ours, to: theirs) {
            let path = change.path
            let baseData: Data?
            if bases.count == 1 {
                guard let oursChange = oursSinceBase[path] else {
                    if let blob = change.newBlob { taken[path] = blob } else { changes[path] = .some(nil) }
                    report.takenFromTheirs.append(path)
                    continue
                }
                if theirsSinceBase[path] == nil { continue }
                baseData = try oursChange.oldBlob.map { try git.readBlob($0) }
            } else {
                baseData = try baseVersion(path: path, bases: bases)
            }
            let oursData = try change.oldBlob.map { try git.readBlob($0) }
            let theirsData = try change.newBlob.map { try git.readBlob($0) }
            if baseData == oursData {
                changes[path] = .some(theirsData)
                report.takenFromTheirs.append(path)
                continue
            }
            if baseData == theirsData { continue }
            bothChanged.append(Versions(path: path, base: baseData, ours: oursData, theirs: theirsData))
        }
        // The document merges are pure and independent: spread them over the worker pool (git
        // is only read above, on this thread), then take the results in the diff's order.
        let oursSide = MergeSide(commit: ours.hex, author: oursInfo.author.email)
        let theirsSide = MergeSide(commit: theirs.hex, author: theirsInfo.author.email)
        // Orders last: what their items record follows the merged invoices they name.
        let isOrder = { (v: Versions) in DocumentPaths.parse(v.path)?.kind == .order }
        var results: [Result<(data: Data?, outcome: MergeOutcome), any Error>] = []
        try git.mapOnWorkers(bothChanged.filter { !isOrder($0) }, chunk: 32, transform: { _, v in
            Result { try Self.mergeDocument(path: v.path, base: v.base, ours: v.ours, theirs: v.theirs, oursSide: oursSide, theirsSide: theirsSide) }
        }, consume: { results.append($0) })
        func take(_ v: Versions, _ result: (data: Data?, outcome: MergeOutcome)) {
            changes[v.path] = .some(result.data)
            report.mergedPaths.append(v.path)
            report.conflicts += result.outcome.conflicts.map { (v.path, $0) }
            report.voidedNumbers += result.outcome.voidedNumbers
        }
        for (v, result) in zip(bothChanged.filter { !isOrder($0) }, results) {
            var merged = try result.get()
            if !merged.outcome.conflicts.isEmpty {
                // Rare, so read here, one document at a time.
                merged = try Self.decideByEdits(git: git, path: v.path, base: v.base, ours: v.ours, theirs: v.theirs,
                                                commits: (ours, theirs), bases: bases, oursSide: oursSide, theirsSide: theirsSide)
            }
            take(v, merged)
        }
        for v in bothChanged where isOrder(v) {
            let linked = try Self.linkedInvoices(v) { path in
                if let merged = changes[path] { return merged }
                if let blob = taken[path] { return try git.readBlob(blob) }
                return try git.readFile(path: path, at: ours)
            }
            var merged = try Self.mergeDocument(path: v.path, base: v.base, ours: v.ours, theirs: v.theirs, oursSide: oursSide, theirsSide: theirsSide, linked: linked)
            if !merged.outcome.conflicts.isEmpty {
                merged = try Self.decideByEdits(git: git, path: v.path, base: v.base, ours: v.ours, theirs: v.theirs, commits: (ours, theirs),
                                                bases: bases, oursSide: oursSide, theirsSide: theirsSide, linked: linked)
            }
            take(v, merged)
        }
        let tree = try git.writeTree(base: oursInfo.tree, changes: changes, blobs: taken)
        return (tree, report)
    }

    /// One document's three versions, read from git before the merges run in parallel.
    struct Versions: Sendable {
        var path: String
        var base: Data?, ours: Data?, theirs: Data?
    }

    /// The merged versions of the invoices an order's items name in any of its three versions,
    /// as `mergedInvoice` gives them (by path), keyed by invoice id.
    static func linkedInvoices(_ v: Versions, mergedInvoice: (String) throws -> Data?) throws -> [String: JSONValue] {
        var ids: Set<String> = []
        for data in [v.base, v.ours, v.theirs] {
            guard let data, let order = try? DocumentCodec.parse(data, file: v.path).decode(Order.self) else { continue }
            for item in order.items { ids.formUnion(item.takers) }
        }
        var linked: [String: JSONValue] = [:]
        for id in ids.sorted() {
            guard let data = try mergedInvoice(DocumentPaths.path(.invoice, id: id)),
                  let doc = try? DocumentCodec.parse(data, file: DocumentPaths.path(.invoice, id: id)) else { continue }
            linked[id] = doc
        }
        return linked
    }

    /// The merged version of one path, as `merge(ours:theirs:)` writes it: for the merge driver,
    /// which sees one file at a time but needs the merged invoices an order names.
    public func mergedVersion(path: String, ours: GitOID, theirs: GitOID, bases: [GitOID]) throws -> Data? {
        let o = try git.readFile(path: path, at: ours), t = try git.readFile(path: path, at: theirs)
        if o == t { return o }
        let b = try baseVersion(path: path, bases: bases)
        if b == o { return t }
        if b == t { return o }
        let oursSide = MergeSide(commit: ours.hex, author: try git.commitInfo(ours).author.email)
        let theirsSide = MergeSide(commit: theirs.hex, author: try git.commitInfo(theirs).author.email)
        var merged = try Self.mergeDocument(path: path, base: b, ours: o, theirs: t, oursSide: oursSide, theirsSide: theirsSide)
        if !merged.outcome.conflicts.isEmpty {
            merged = try Self.decideByEdits(git: git, path: path, base: b, ours: o, theirs: t, commits: (ours, theirs), bases: bases,
                                            oursSide: oursSide, theirsSide: theirsSide)
        }
        return merged.data
    }

    /// The version of `path` in the merge base. Criss-cross histories have several bases: when
    /// they disagree on this document, their versions are merged first (without conflict
    /// records) into a virtual base, as git's recursive strategies do.
    func baseVersion(path: String, bases: [GitOID]) throws -> Data? {
        guard let first = bases.first else { return nil }
        var current = try git.readFile(path: path, at: first)
        var currentCommit = first
        for other in bases.dropFirst() {
            let next = try git.readFile(path: path, at: other)
            if next == current { continue }
            let deeper = try git.mergeBases(currentCommit, other).sorted()
            let base = try baseVersion(path: path, bases: deeper)
            // No commit ids: git's inner merge (merge.folio.recursive) does not tell the driver
            // which bases it merges, so the virtual base must depend on content alone for a
            // plain `git pull` to build the same one.
            current = try Self.mergeDocument(path: path, base: base, ours: current, theirs: next,
                                             oursSide: MergeSide(commit: nil, author: nil),
                                             theirsSide: MergeSide(commit: nil, author: nil),
                                             recordConflicts: false).data
            currentCommit = other
        }
        return current
    }

    /// A document whose merge recorded conflicts, merged again with each conflict decided by
    /// the commits that made the two edits (found in the history since the merge bases), not
    /// by the commits that head the sides: the merge driver and `folio sync` both end here.
    public static func decideByEdits(git: GitRepository, path: String, base: Data?, ours: Data?, theirs: Data?, commits: (ours: GitOID, theirs: GitOID),
                                     bases: [GitOID], oursSide: MergeSide, theirsSide: MergeSide,
                                     linked: [String: JSONValue] = [:]) throws -> (data: Data?, outcome: MergeOutcome) {
        let (o, t) = try EditHistory.sides(git: git, path: path, ours: commits.ours, theirs: commits.theirs, bases: bases,
                                           oursSide: oursSide, theirsSide: theirsSide)
        return try mergeDocument(path: path, base: base, ours: ours, theirs: theirs, oursSide: o, theirsSide: t, linked: linked)
    }

    /// One document, as bytes in and out: the function the merge driver and `folio sync` share,
    /// so a plain `git pull` writes what `folio sync` writes.
    public static func mergeDocument(path: String, base: Data?, ours: Data?, theirs: Data?, oursSide: MergeSide, theirsSide: MergeSide,
                                     recordConflicts: Bool = true, linked: [String: JSONValue] = [:]) throws -> (data: Data?, outcome: MergeOutcome) {
        let isFolioJSON = path.hasSuffix(".json") && (DocumentPaths.parse(path) != nil || path.hasPrefix(".folio/"))
        guard isFolioJSON else {
            throw SyncError.unmergeable(path: path, message: "changed on both sides and is not a Folio document; merge it with git and commit the result")
        }
        func parse(_ data: Data?, _ label: String) throws -> JSONValue? {
            guard let data else { return nil }
            do { return try DocumentCodec.parse(data, file: path) } catch {
                throw SyncError.unmergeable(path: path, message: "\(label) version cannot be read (\(error.findings.first?.message ?? "invalid")); fix it with a commit before syncing")
            }
        }
        let b = try parse(base, "the base"), o = try parse(ours, "our"), t = try parse(theirs, "their")
        // Authors: the document says who last changed it; the commit is the fallback.
        let oSide = MergeSide(commit: oursSide.commit, author: o?["updatedBy"]?.stringValue ?? oursSide.author, origin: oursSide.origin)
        let tSide = MergeSide(commit: theirsSide.commit, author: t?["updatedBy"]?.stringValue ?? theirsSide.author, origin: theirsSide.origin)
        let outcome: MergeOutcome
        do {
            outcome = try DocumentMerge.merge(path: path, base: b, a: o, b: t, sideA: oSide, sideB: tSide, recordConflicts: recordConflicts, linked: linked)
        } catch {
            throw SyncError.unreadable(error)
        }
        return (outcome.result.map { Data(CanonicalJSON.bytes($0)) }, outcome)
    }
}

extension HistoryCheck {
    /// The history checks with Folio's own merge for merge commits (a merge commit is checked
    /// as that merge plus whatever its author changed on top of it).
    public init(repo: FolioRepository) {
        self.init(repo: repo, mergeTree: { ours, theirs in try TreeMerger(git: repo.git).merge(ours: ours, theirs: theirs).tree })
    }
}
