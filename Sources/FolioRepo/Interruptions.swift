import Foundation
public import FolioGit
import FolioModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a Folio command is in the middle of, written before it takes any of git's lock files
/// and removed when it is done: `.git/folio/pending/<pid>.json`. When the command is killed,
/// the next one finds the record, sees that its process is gone, and finishes what it can:
/// it removes the lock files that process left (git leaves that to a person; Folio knows its
/// own processes) and completes a checkout whose commit had already landed, so that a kill
/// never leaves a clone that needs repairing by hand.
struct PendingOperation: Codable {
    var pid: Int32
    /// Unix time in milliseconds when the operation began: a lock file older than this is not its own.
    var started: Int64
    var command: String
    /// Lock files the operation may create (absolute paths).
    var locks: [String]
    /// A write: the branch may have moved from `old` to `new`; its checkout of `paths` is
    /// finished when the branch is at `new`.
    var old: String?
    var new: String?
    var paths: [String]?

    static func folder(_ gitDir: String) -> String { gitDir + "/folio/pending" }
}

/// A pending record for the life of one operation; `end()` removes it.
final class OperationRecord {
    let path: String
    private(set) var operation: PendingOperation

    private init(path: String, operation: PendingOperation) {
        self.path = path
        self.operation = operation
    }

    static func begin(gitDir: String, locks: [String], old: GitOID? = nil, new: GitOID? = nil, paths: [String]? = nil) throws -> OperationRecord {
        let folder = PendingOperation.folder(gitDir)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let op = PendingOperation(pid: getpid(), started: Int64(Date().timeIntervalSince1970 * 1000), command: CommandLine.arguments.dropFirst().joined(separator: " "),
                                  locks: locks, old: old?.hex, new: new?.hex, paths: paths)
        // One process may leave several records (a sync whose merge checkout must wait, then
        // its push): each has a name of its own, so a later one never replaces an earlier one.
        let record = OperationRecord(path: folder + "/\(getpid())-\(IDs.make("", length: 8)).json", operation: op)
        try record.write()
        return record
    }

    private func write() throws {
        let data = DocumentCodec.encode(operation)
        // Durable before the branch moves: after a crash, the record must be there to read.
        let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FolioError.io("cannot write \(path): \(String(cString: strerror(errno))); nothing was written") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0, rename(path + ".tmp", path) == 0 else {
            throw FolioError.io("cannot write \(path): \(String(cString: strerror(errno))); nothing was written")
        }
    }

    func end() {
        unlink(path)
    }

    /// The operation finished but left its checkout to the next command: it holds no lock
    /// file any more, so recovery must not remove one that has the same name later.
    func keepForCheckoutOnly() {
        operation.locks = []
        try? write()
    }
}

extension FolioRepository {
    /// The lock files a write to HEAD's branch may leave: the branch's, its reflogs', the index's.
    func writeLocks(branch: String) -> [String] {
        let g = git.gitDir
        return ["\(g)/\(branch).lock", "\(g)/logs/\(branch).lock", "\(g)/logs/HEAD.lock", "\(g)/index.lock", "\(g)/packed-refs.lock"]
    }

    /// Finishes or clears what killed Folio commands left on this clone (see `PendingOperation`).
    /// Runs under the write lock, so no live Folio writer is mid-way; records of processes that
    /// are still running (a sync's fetch) are left alone. Returns one sentence per repair.
    func recoverInterruptedOperations() -> [String] {
        let folder = PendingOperation.folder(git.gitDir)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var said: [String] = []
        // A record half written when its process was killed: nothing was locked yet.
        for name in names where name.hasSuffix(".json.tmp") {
            if let pid = Int32(name.prefix { $0 != "." && $0 != "-" }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH { unlink(folder + "/" + name) }
        }
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = folder + "/" + name
            guard let data = FileManager.default.contents(atPath: path),
                  let op = try? JSONDecoder().decode(PendingOperation.self, from: data) else {
                unlink(path)
                continue
            }
            if op.pid == getpid() { continue }
            if kill(op.pid, 0) == 0 || errno == EPERM { continue }   // still running
            var done: [String] = []
            var waiting = false
            let started = Double(op.started) / 1000
            let recordTime = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)?.timeIntervalSince1970 ?? started
            for lock in op.locks {
                guard let modified = (try? FileManager.default.attributesOfItem(atPath: lock)[.modificationDate] as? Date)?.timeIntervalSince1970 else { continue }
                // Only a lock taken while that operation ran is its own; an older one belongs to
                // something else (a person's `git commit` in progress) and stays.
                // A lock outside this clone (in a remote other clones push to) must also be older
                // than a live push ever holds one: a fresh one may be another clone's, right now.
                let inThisClone = lock.hasPrefix(git.gitDir + "/")
                let settled = inThisClone || Date().timeIntervalSince1970 - modified > 2
                let itsOwn = modified >= started - 0.01 && modified <= recordTime + 10
                if itsOwn && !settled { waiting = true }   // removed by a later command, once settled
                if itsOwn && settled, unlink(lock) == 0 {
                    done.append("removed \(lock.hasPrefix(git.gitDir + "/") ? ".git/" + lock.dropFirst(git.gitDir.count + 1) : lock)")
                }
            }
            if let newHex = op.new, let new = GitOID(hex: newHex), let paths = op.paths,
               let branch = try? git.headBranch(), let tip = try? git.resolveReference("refs/heads/\(branch)"),
               (try? git.isAncestor(new, of: tip)) == true {
                // The branch is at the new commit, or past it (the same process committed again
                // before it ended): bring the paths to the tip.
                let old = op.old.flatMap(GitOID.init(hex:))
                do {
                    if old == nil {
                        try git.checkoutHead(force: false)   // a first pull into an empty clone
                        done.append("finished its checkout")
                    } else {
                        let skipped = try git.finishCheckout(paths: paths, from: old, to: tip, alsoKnown: new)
                        done.append("finished its checkout of \(paths.count - skipped.count) file(s)")
                        if !skipped.isEmpty { done.append("left \(skipped.joined(separator: ", ")) alone (edited since)") }
                    }
                } catch {
                    // Still blocked (another git process holds the index): the record stays for
                    // the next command, so the checkout is never forgotten.
                    notice("folio: warning: an interrupted command's checkout could not be finished yet (\(FolioError.wrap(error).description)); the next folio command tries again")
                    if !done.isEmpty { said.append("folio: an interrupted command (pid \(op.pid)) was partly cleaned up: \(done.joined(separator: "; "))") }
                    continue
                }
            }
            if !waiting { unlink(path) }
            if !done.isEmpty { said.append("folio: an interrupted command (pid \(op.pid): folio \(op.command)) was cleaned up: \(done.joined(separator: "; "))") }
        }
        return said
    }
}

extension FolioRepository {
    /// Moves HEAD's branch from `old` to `new` (a fast-forward or a merge commit made by the
    /// sync) and checks out `paths`, under a pending record like every Folio write, so that a
    /// kill half way is finished by the next command.
    public func advanceBranch(from old: GitOID?, to new: GitOID, paths: [String], logMessage: String) throws {
        let branch = "refs/heads/" + ((try? git.headBranch()) ?? nil ?? "main")
        let record = try OperationRecord.begin(gitDir: git.gitDir, locks: writeLocks(branch: branch), old: old, new: new, paths: paths)
        do {
            FaultPoint.reach("sync.before-branch")
            try git.updateRef(branch, to: new, expected: old, logMessage: logMessage)
        } catch {
            record.end()
            throw FolioError.wrap(error)
        }
        FaultPoint.reach("sync.before-checkout")
        do {
            if old == nil { try git.checkoutHead(force: false) } else { try git.checkout(paths: paths, from: old, to: new) }
        } catch {
            // The branch moved: the next command finishes the checkout (the record stays).
            notice("folio: warning: the merge is committed, but the working tree is not yet in step (\(FolioError.wrap(error).description)); the next folio command finishes it")
            record.keepForCheckoutOnly()
            return
        }
        record.end()
    }

    /// Runs a fetch or push under a pending record of the lock files it may leave, in this
    /// clone and, for a remote on this machine, in the remote: if the process is killed, the
    /// next Folio command removes them (see `PendingOperation`).
    public func recordingLocks<T>(remoteURL: String?, remote: String, _ body: () throws -> T) throws -> T {
        let g = git.gitDir
        var locks = ["\(g)/refs/remotes/\(remote)/main.lock", "\(g)/logs/refs/remotes/\(remote)/main.lock", "\(g)/FETCH_HEAD.lock", "\(g)/packed-refs.lock"]
        // A remote on this machine: its branch's lock, if this push is killed holding it. Other
        // clones push there too, so recovery removes one only once it is older than any live
        // push holds a lock (see `recoverInterruptedOperations`).
        if let folder = Self.localRemoteGitDir(remoteURL) {
            locks += ["\(folder)/refs/heads/main.lock", "\(folder)/logs/refs/heads/main.lock", "\(folder)/packed-refs.lock"]
        }
        let record = try OperationRecord.begin(gitDir: g, locks: locks)
        defer { record.end() }
        return try body()
    }

    /// The git directory of a remote given as a path or file:// URL, if it is one on this machine.
    static func localRemoteGitDir(_ url: String?) -> String? {
        guard var path = url else { return nil }
        if path.hasPrefix("file://") { path = String(path.dropFirst("file://".count)) }
        guard !path.contains("://"), FileManager.default.fileExists(atPath: path) else { return nil }
        let dotGit = path + "/.git"
        return FileManager.default.fileExists(atPath: dotGit) ? dotGit : path
    }
}
