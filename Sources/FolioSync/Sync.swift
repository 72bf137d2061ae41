import Foundation
public import FolioGit
import FolioModel
public import FolioRepo

/// What one `folio sync` / `pull` / `push` did (SPEC §5): what came in, what merged, what
/// conflicted, what went out.
public struct SyncSummary {
    public var remote: String
    public var incomingCommits = 0
    public var fastForward = false
    public var mergeCommit: GitOID?
    public var report = MergeReport()
    public var outgoingCommits = 0
    public var pushed = false
    public var pushAttempts = 0
    public var upToDate = false
    public var head: GitOID?

    public init(remote: String) { self.remote = remote }
}

public enum SyncFailure: Error, CustomStringConvertible {
    case noRemote(String)
    case pushRejected(remote: String, message: String, attempts: Int)
    case merge(SyncError)
    /// The remote's branch is locked: a push into it was interrupted (or is running).
    case remoteLocked(remote: String, lock: String)
    /// HEAD is on another branch (or detached): Folio syncs `main` only.
    case notOnBranch(expected: String, current: String?)

    public var description: String {
        switch self {
        case .noRemote(let name): "no remote named \"\(name)\"; add one with `git remote add \(name) URL`"
        case .pushRejected(let remote, let message, let attempts):
            "push to \(remote) was rejected \(attempts) time(s) (\(message)); your commits are safe locally, run `folio sync` again"
        case .merge(let e): e.description
        case .remoteLocked(let remote, let lock):
            "remote \(remote) is locked (\(lock) exists: a push into it was interrupted, or one is running now); nothing was pushed and your commits are safe. If no push to \(remote) is running, delete that file on the remote and run `folio sync` again"
        case .notOnBranch(let expected, let current):
            "folio syncs branch \(expected), and HEAD is \(current.map { "on branch \($0)" } ?? "detached"); nothing was fetched or pushed. Switch back with `git checkout \(expected)` (and merge your branch into it to send its commits)"
        }
    }
}

/// The sync layer's failures as the one error of the front ends: a remote that is not there
/// is a usage problem; a rejected push, a stopped merge, a locked remote or another branch are
/// refusals (nothing was written, and the sentence says what to do).
extension SyncFailure: FolioErrorConvertible {
    public var folioError: FolioError {
        switch self {
        case .noRemote: .usage(description)
        case .merge: .refused(Refusal("merge stopped, nothing was written: \(description)"))
        case .pushRejected, .notOnBranch, .remoteLocked: .refused(Refusal(description))
        }
    }
}

/// The sync loop: fetch, merge (fast-forward when possible, else a merge commit whose tree is
/// the semantic merge), push, and on a rejected push fetch and merge again, a bounded number
/// of times.
public struct Syncer {
    public let repo: FolioRepository
    public let branch = "main"
    /// How long `sync` keeps trying when other replicas keep pushing first: each rejected push
    /// is followed by a fetch, a merge and a new push after a jittered, growing pause.
    public var patience: Double = 120

    public init(repo: FolioRepository) { self.repo = repo }

    var git: GitRepository { repo.git }

    func remoteTip(_ remote: String) throws -> GitOID? {
        try git.resolveReference("refs/remotes/\(remote)/\(branch)")
    }

    /// The remote exists, and HEAD is on the synced branch: what Folio writes goes to HEAD's
    /// branch, so syncing `main` from another one would report commits that are not sent.
    /// REMOTE may be a remote's name or a URL (SPEC §5: `folio sync git://host/shop.git`). A URL
    /// is synced through the remote that already has it, else through one Folio adds for it,
    /// named `folio-` and a hash of the URL, so that its remote-tracking branch has a home.
    public func remoteName(for remote: String) throws -> String {
        // A URL is not a valid remote name, and libgit2 says so by throwing.
        if case .some(.some) = try? git.remoteURL(remote) { return remote }
        guard remote.contains("/") || remote.contains(":") else { throw SyncFailure.noRemote(remote) }
        for name in try git.remoteNames() where try git.remoteURL(name) == remote { return name }
        let name = "folio-" + String(String(DocumentPaths.fnv1a64(remote), radix: 16).suffix(8))
        // A local path is kept absolute, so that it means the same from any folder (-C).
        var url = remote
        if !remote.contains("://"), FileManager.default.fileExists(atPath: remote) {
            url = URL(fileURLWithPath: remote).standardizedFileURL.path
        }
        if try git.remoteURL(name) == nil { try git.addRemote(name, url: url) }
        return name
    }

    func requireRemote(_ remote: String) throws {
        guard try git.remoteURL(remote) != nil else { throw SyncFailure.noRemote(remote) }
        let current = try git.headBranch()
        guard current == branch else { throw SyncFailure.notOnBranch(expected: branch, current: current) }
        // As `git push -u` would: a plain `git pull` on this clone then knows what to merge.
        if try git.config("branch.\(branch).remote") == nil {
            try git.setConfig("branch.\(branch).remote", remote)
            try git.setConfig("branch.\(branch).merge", "refs/heads/\(branch)")
        }
    }

    public func pull(remote: String, caller: Caller) throws -> SyncSummary {
        let remote = try remoteName(for: remote)
        try repo.withWriteLock {}   // finishes what an interrupted command left first
        try requireRemote(remote)
        var summary = SyncSummary(remote: remote)
        try fetch(remote)
        try repo.withWriteLock { try integrate(remote: remote, caller: caller, into: &summary) }
        summary.head = try git.headCommit()
        return summary
    }

    public func push(remote: String) throws -> SyncSummary {
        let remote = try remoteName(for: remote)
        try repo.withWriteLock {}   // finishes what an interrupted command left first
        try requireRemote(remote)
        var summary = SyncSummary(remote: remote)
        guard let head = try git.headCommit() else { return summary }
        let before = try remoteTip(remote)
        summary.outgoingCommits = try git.walk(from: head, hiding: before).count
        if summary.outgoingCommits == 0 { summary.upToDate = true; summary.head = head; return summary }
        summary.pushAttempts = 1
        let result = try push(remote)
        guard result.accepted else {
            throw SyncFailure.pushRejected(remote: remote, message: (result.message ?? "rejected") + "; run `folio sync` to merge first", attempts: 1)
        }
        summary.pushed = true
        summary.head = head
        return summary
    }

    /// fetch + merge + push, retrying when another replica pushed in between.
    public func sync(remote: String, caller: Caller) throws -> SyncSummary {
        let remote = try remoteName(for: remote)
        try repo.withWriteLock {}   // finishes what an interrupted command left first
        try requireRemote(remote)
        var summary = SyncSummary(remote: remote)
        var lastMessage = ""
        let deadline = Date().addingTimeInterval(patience)
        var pause = 0.05
        var attempt = 0
        while true {
            attempt += 1
            try fetch(remote)
            try repo.withWriteLock { try integrate(remote: remote, caller: caller, into: &summary) }
            // What arrived may have changed the parties' keys: plain git checks with them.
            try? repo.refreshAllowedSigners()
            guard let head = try git.headCommit() else { summary.upToDate = true; return summary }
            let remoteHead = try remoteTip(remote)
            let outgoing = try git.walk(from: head, hiding: remoteHead).count
            if outgoing == 0 {
                summary.head = head
                if summary.incomingCommits == 0 { summary.upToDate = true }
                return summary
            }
            summary.outgoingCommits = outgoing
            summary.pushAttempts = attempt
            let result = try push(remote)
            if result.accepted {
                summary.pushed = true
                summary.head = head
                return summary
            }
            lastMessage = result.message ?? "rejected"
            // Someone pushed first (or a hook said no): fetch what they pushed, merge, try again,
            // after a pause that grows and is jittered so that racing replicas spread out.
            if Date().addingTimeInterval(pause) >= deadline || Self.isFinal(lastMessage) {
                if lastMessage.contains("is locked by another push"), let lock = lastMessage.split(separator: "(").last?.dropLast() {
                    throw SyncFailure.remoteLocked(remote: remote, lock: String(lock))
                }
                throw SyncFailure.pushRejected(remote: remote, message: lastMessage, attempts: attempt)
            }
            Thread.sleep(forTimeInterval: pause * Double.random(in: 0.5...1.5))
            pause = min(pause * 2, 2)
        }
    }

    func fetch(_ remote: String) throws {
        FaultPoint.reach("sync.before-fetch")
        _ = try repo.recordingLocks(remoteURL: try git.remoteURL(remote), remote: remote) { try git.fetch(remote: remote) }
    }

    /// Pushes main. A remote whose branch is locked (a push into it was killed) gets a sentence
    /// that says what to do, not libgit2's text.
    func push(_ remote: String) throws -> GitPushResult {
        FaultPoint.reach("sync.before-push")
        let url = try git.remoteURL(remote)
        func lockedFile(_ text: String) -> String? {
            guard text.contains("failed to lock file") else { return nil }
            return text.split(separator: "'").dropFirst().first.map(String.init) ?? "its refs/heads/\(branch).lock"
        }
        let result: GitPushResult
        do {
            result = try repo.recordingLocks(remoteURL: url, remote: remote) {
                try git.push(remote: remote, localRef: "refs/heads/\(branch)", remoteRef: "refs/heads/\(branch)")
            }
        } catch let error as GitError where lockedFile(error.description) != nil {
            let lock = lockedFile(error.description)!
            if Self.isStale(lock) { throw SyncFailure.remoteLocked(remote: remote, lock: lock) }
            return GitPushResult(ref: "refs/heads/\(branch)", accepted: false, message: "the remote's branch is locked by another push (\(lock))")
        }
        // Another replica pushing at this moment holds the remote's lock for milliseconds: a
        // race, retried like a rejection. A lock older than that was left by a push that was
        // killed: say so at once, with what to do.
        if !result.accepted, let lock = lockedFile(result.message ?? ""), Self.isStale(lock) {
            throw SyncFailure.remoteLocked(remote: remote, lock: lock)
        }
        return result
    }

    /// A lock file on this machine older than any push holds one (10 s). A lock in a remote
    /// elsewhere cannot be looked at: it counts as a race until the sync's patience runs out.
    static func isStale(_ lock: String) -> Bool {
        guard let modified = (try? FileManager.default.attributesOfItem(atPath: lock)[.modificationDate]) as? Date else { return false }
        return Date().timeIntervalSince(modified) > 10
    }

    /// A rejection that another fetch and merge cannot cure: a server hook's verdict (git
    /// reports it as "pre-receive hook declined") is final, a race is not.
    static func isFinal(_ message: String) -> Bool {
        message.contains("hook declined") || message.contains("hook-declined")
    }

    /// Brings the remote's branch into HEAD: nothing, a fast-forward, or a merge commit.
    func integrate(remote: String, caller: Caller, into summary: inout SyncSummary) throws {
        guard let theirs = try remoteTip(remote) else { return }
        guard let ours = try git.headCommit() else {
            // An empty clone takes the remote's history as it is.
            try repo.advanceBranch(from: nil, to: theirs, paths: [], logMessage: "folio pull: initial")
            summary.incomingCommits += try git.walk(from: theirs, hiding: nil).count
            summary.fastForward = true
            return
        }
        if theirs == ours { return }
        if try git.isAncestor(theirs, of: ours) { return }
        let incoming = try git.walk(from: theirs, hiding: ours).count
        summary.incomingCommits += incoming
        if try git.isAncestor(ours, of: theirs) {
            let changed = try git.diff(from: ours, to: theirs).map(\.path)
            let dirty = try git.dirtyPaths(changed, comparedTo: ours)
            if !dirty.isEmpty { throw FolioError.dirtyWorkingTree(dirty) }
            try repo.advanceBranch(from: ours, to: theirs, paths: changed, logMessage: "folio pull: fast-forward")
            summary.fastForward = true
            return
        }
        let merger = TreeMerger(git: git)
        let (tree, report): (GitOID, MergeReport)
        do { (tree, report) = try merger.merge(ours: ours, theirs: theirs) } catch let e as SyncError { throw SyncFailure.merge(e) }
        var full = report
        full.duplicateNumbers = try duplicateNumbers(ours: ours, theirs: theirs)
        let message = Self.mergeMessage(remote: remote, branch: branch, report: full)
        let signature = try mergeSignature(caller: caller)
        let signer = try repo.mergeSigner(for: signature.email, parent: ours)
        let commit = try git.createCommit(tree: tree, parents: [ours, theirs], message: message, author: signature, committer: signature, signer: signer)
        let changed = try git.diff(from: ours, to: commit).map(\.path)
        let dirty = try git.dirtyPaths(changed, comparedTo: ours)
        if !dirty.isEmpty { throw FolioError.dirtyWorkingTree(dirty) }
        try repo.advanceBranch(from: ours, to: commit, paths: changed, logMessage: "folio merge \(remote)/\(branch)")
        summary.mergeCommit = commit
        summary.report = full
    }

    func mergeSignature(caller: Caller) throws -> GitSignature {
        let email = (try? repo.identityEmail(explicit: caller.identity, environment: caller.environment)) ?? "folio@localhost"
        let name = (try? repo.snapshot().parties()[email]?.name) ?? nil
        return GitSignature(name: name ?? email, email: email, time: caller.clock.unixSeconds)
    }

    /// Two invoices numbered alike on two replicas (a series used on two clones): reported.
    ///
    /// A number comes from a series whose state (`.folio/series/P.json`) moves with every
    /// number issued, so two replicas can only issue the same number if both moved the same
    /// series file. When none did, there is nothing to look for, and the merge does not pay
    /// for reading every changed invoice (numbers edited by hand are `folio validate`'s to
    /// report). When one did, the invoices changed on each side are read for their numbers.
    func duplicateNumbers(ours: GitOID, theirs: GitOID) throws -> [String: [String]] {
        let bases = try git.mergeBases(ours, theirs)
        let oursChanges = try git.diff(from: bases.first, to: ours)
        let theirsChanges = try git.diff(from: bases.first, to: theirs)
        func series(_ changes: [GitTreeChange]) -> Set<String> {
            Set(changes.map(\.path).filter { $0.hasPrefix(DocumentPaths.seriesFolder + "/") })
        }
        guard !series(oursChanges).isDisjoint(with: series(theirsChanges)) else { return [:] }
        func numbers(_ changes: [GitTreeChange]) throws -> [String: String] {
            var out: [String: String] = [:]
            for change in changes where change.newBlob != nil && change.path.hasPrefix("invoices/") {
                // Only the id and the number are needed: the parsed value, not the typed document.
                if let data = try? git.readBlob(change.newBlob!), let json = try? DocumentCodec.parse(data, file: change.path),
                   let id = json["id"]?.stringValue, let n = json["number"]?.stringValue { out[id] = n }
            }
            return out
        }
        let mine = try numbers(oursChanges), theirs = try numbers(theirsChanges)
        var byNumber: [String: Set<String>] = [:]
        for (id, n) in mine { byNumber[n, default: []].insert(id) }
        for (id, n) in theirs { byNumber[n, default: []].insert(id) }
        return byNumber.filter { $0.value.count > 1 }.mapValues { $0.sorted() }
    }

    static func mergeMessage(remote: String, branch: String, report: MergeReport) -> String {
        var lines = ["Merge \(remote)/\(branch): \(report.mergedPaths.count) document(s) merged, \(report.conflicts.count) conflict(s) recorded"]
        if !report.conflicts.isEmpty {
            lines.append("")
            for c in report.conflicts { lines.append("conflict \(c.record.id) \(c.path)#\(c.record.path): \(c.record.reason ?? "")") }
        }
        for n in report.voidedNumbers { lines.append("number \(n) recorded void (draft sent on two replicas)") }
        for (n, ids) in report.duplicateNumbers.sorted(by: { $0.key < $1.key }) { lines.append("duplicate number \(n): \(ids.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}
