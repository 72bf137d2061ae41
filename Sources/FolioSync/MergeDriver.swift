import Foundation
public import FolioGit
public import FolioModel
public import FolioRepo

/// `folio merge-driver %O %A %B %P`: the same per-document merge as `folio sync`, called by
/// git during a plain `git pull` / `git merge` for paths that .gitattributes routes to it.
public enum MergeDriver {
    public static let name = "folio"

    /// Registers the driver in the clone's .git/config (init and clone do this; git does not
    /// copy config from a remote). `executable` is an absolute path so git finds it.
    ///
    /// With several merge bases (criss-cross), git first merges the bases into a virtual one,
    /// calling the driver named by `merge.folio.recursive` for that inner merge: the same merge
    /// without conflict records, as `folio sync` builds its virtual base (`--virtual-base`).
    ///
    /// A plain `git pull` must work as the README says, on git's defaults: `pull.rebase false`
    /// makes divergent branches merge (git 2.27+ otherwise stops and asks), and when Folio was
    /// told who acts (--as, FOLIO_USER) that identity becomes the clone's `user.email`, so the
    /// merge commit git makes needs no second identity and names a party.
    public static func install(in repo: FolioRepository, executable: String, identity: (email: String, name: String?)? = nil) throws {
        do { try install(in: repo.git, executable: executable, identity: identity) } catch { throw FolioError.wrap(error) }
    }

    /// The same, for the repository at `path` (one that `folio generate` is still writing).
    public static func install(at path: String, executable: String) throws {
        do { try install(in: try GitRepository.open(at: path), executable: executable) } catch { throw FolioError.wrap(error) }
    }

    public static func install(in git: GitRepository, executable: String, identity: (email: String, name: String?)? = nil) throws {
        try git.setConfig("pull.rebase", "false")
        if let identity {
            try git.setConfig("user.email", identity.email)
            try git.setConfig("user.name", identity.name ?? identity.email)
        }
        try git.setConfig("merge.folio.name", "Folio: merge invoices and orders by what their fields mean")
        try git.setConfig("merge.folio.driver", "\(shellQuote(executable)) merge-driver %O %A %B %P")
        try git.setConfig("merge.folio.recursive", "folio-virtual-base")
        try git.setConfig("merge.folio-virtual-base.name", "Folio: merge two merge bases into a virtual base (no conflict records)")
        try git.setConfig("merge.folio-virtual-base.driver", "\(shellQuote(executable)) merge-driver --virtual-base %O %A %B %P")
    }

    public static func shellQuote(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Merges the three temporary files git hands over and writes the result into `ours`.
    /// Returns git's expectation: 0 merged cleanly (conflict records are a clean merge: they
    /// live in the document), non-zero when the file cannot be merged.
    public static func run(base: String, ours: String, theirs: String, path: String, environment: [String: String],
                           virtualBase: Bool = false) throws -> MergeOutcome {
        func read(_ file: String) throws -> Data? {
            guard let data = FileManager.default.contents(atPath: file) else { throw FolioError.io("\(file): cannot be read") }
            // git passes an empty file for a side where the document does not exist.
            return data.isEmpty ? nil : data
        }
        let (b, o, t) = (try read(base), try read(ours), try read(theirs))
        // ours is HEAD; git names the commit being merged in GITHEAD_<id> for its labels.
        let repo = try? GitRepository.open(at: FileManager.default.currentDirectoryPath)
        let oursCommit = try? repo?.headCommit()
        let theirsHex = environment.keys.filter { $0.hasPrefix("GITHEAD_") }.map { String($0.dropFirst(8)) }.filter { $0.count == 40 }.sorted().first
        let theirsCommit = theirsHex.flatMap(GitOID.init(hex:))
        let oursAuthor = oursCommit.flatMap { try? repo?.commitInfo($0).author.email }
        let theirsAuthor = theirsCommit.flatMap { try? repo?.commitInfo($0).author.email }
        let oursSide = virtualBase ? MergeSide(commit: nil, author: nil) : MergeSide(commit: oursCommit?.hex, author: oursAuthor)
        let theirsSide = virtualBase ? MergeSide(commit: nil, author: nil) : MergeSide(commit: theirsCommit?.hex, author: theirsAuthor)
        // An order's items follow the merged invoices they name, which git merges as other
        // files of this merge: the driver computes those merges the same way.
        var linked: [String: JSONValue] = [:]
        if !virtualBase, DocumentPaths.parse(path)?.kind == .order, let repo, let oursCommit, let theirsCommit {
            let bases = try repo.mergeBases(oursCommit, theirsCommit)
            linked = try TreeMerger.linkedInvoices(TreeMerger.Versions(path: path, base: b, ours: o, theirs: t)) { invoicePath in
                try TreeMerger(git: repo).mergedVersion(path: invoicePath, ours: oursCommit, theirs: theirsCommit, bases: bases)
            }
        }
        var merged = try TreeMerger.mergeDocument(path: path, base: b, ours: o, theirs: t, oursSide: oursSide, theirsSide: theirsSide,
                                                  recordConflicts: !virtualBase, linked: linked)
        // Conflicts are decided by the commits that made the edits, as `folio sync` does.
        if !merged.outcome.conflicts.isEmpty, let repo, let oursCommit, let theirsCommit {
            merged = try TreeMerger.decideByEdits(git: repo, path: path, base: b, ours: o, theirs: t, commits: (oursCommit, theirsCommit),
                                                  bases: try repo.mergeBases(oursCommit, theirsCommit), oursSide: oursSide, theirsSide: theirsSide,
                                                  linked: linked)
        }
        guard let data = merged.data else { throw SyncError.unmergeable(path: path, message: "the merge deletes the document; git cannot express that through a merge driver") }
        try data.write(to: URL(fileURLWithPath: ours))
        return merged.outcome
    }
}
