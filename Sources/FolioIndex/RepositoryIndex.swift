import Foundation
public import FolioGit
import FolioModel
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// `.git/folio/index.sqlite` (SPEC §6): a cache of the documents of one commit, brought up
/// to date before every read by diffing the commit it records against HEAD.
///
/// Concurrency and crashes:
/// - every process that opens the index holds `index.lock` (flock): shared while it only
///   reads, exclusive while it writes. A writer re-reads the state after it gets the lock,
///   so two commands that find the index stale update it once.
/// - an update is one SQLite transaction (WAL, synchronous=NORMAL: atomic, and one
///   sequential write instead of a journal of every touched page) that also moves the
///   recorded commit: a crash leaves the old state, which the next reader updates again.
/// - a rebuild writes a new file beside the old one and renames it over, so a crash leaves
///   the old file (or none, if the old one was being replaced for being unreadable).
public final class RepositoryIndex {
    public enum Refresh: Sendable, Equatable {
        /// It already reflected HEAD.
        case upToDate
        /// Brought up to date from the recorded commit: `files` documents changed.
        case updated(files: Int, seconds: Double)
        /// Built from scratch; `reason` is nil for a first build.
        case rebuilt(reason: String?, seconds: Double)
    }

    public struct Options {
        /// Messages for people (standard error).
        public var log: (String) -> Void
        /// Called during a rebuild with (documents done, documents in all).
        public var progress: ((Int, Int) -> Void)?
        /// Rebuild even when the index is up to date (`folio index rebuild`).
        public var forceRebuild: Bool

        public init(log: @escaping (String) -> Void = { _ in }, progress: ((Int, Int) -> Void)? = nil, forceRebuild: Bool = false) {
            self.log = log; self.progress = progress; self.forceRebuild = forceRebuild
        }
    }

    /// The commit the index reflects (HEAD when it was opened); nil on an unborn branch.
    public let commit: GitOID?
    public let path: String
    public private(set) var refresh: Refresh
    let queue: DatabaseQueue
    private let lock: IndexLock

    private init(commit: GitOID?, path: String, refresh: Refresh, queue: DatabaseQueue, lock: IndexLock) {
        self.commit = commit; self.path = path; self.refresh = refresh; self.queue = queue; self.lock = lock
    }

    public static func location(of git: GitRepository) -> String { git.gitDir + "/folio/index.sqlite" }

    /// For a command that has read what it needs and is about to exit: releases the lock now
    /// but leaves the connection to the end of the process instead of closing it. Closing a
    /// reader costs a checkpoint attempt, two unlinks and deregistering GRDB's observers,
    /// about a twentieth of a `folio list`; exiting closes the file all the same, and SQLite
    /// meets the -wal and -shm files left behind as it meets a crashed reader's. The lock
    /// goes at once, so that a later command in the same process (or another) can write.
    /// The value must not be used afterwards.
    public func keepOpenUntilExit() {
        lock.release()
        // One reference the process never gives back: the value lives until exit.
        _ = Unmanaged.passRetained(self)
    }

    /// Closes the database and releases the lock, so that this process can open the index
    /// again (to rebuild a damaged file). The value must not be used afterwards.
    public func close() {
        try? queue.close()
        lock.release()
    }

    /// Opens the index of `git` and brings it up to HEAD (building it when there is none).
    public static func open(_ git: GitRepository, options: Options = Options()) throws -> RepositoryIndex {
        do { return try openUnwrapped(git, options: options) } catch { throw IndexError.from(error) }
    }

    private static func openUnwrapped(_ git: GitRepository, options: Options) throws -> RepositoryIndex {
        let path = location(of: git)
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw IndexError.io("cannot create \(folder): \(error.localizedDescription)")
        }
        let lock = try IndexLock(path: folder + "/index.lock", log: options.log)
        let head = try git.headCommit()

        try lock.acquire(exclusive: false)
        removeInterruptedRebuilds(in: folder, onlyOfDeadProcesses: true)
        if !options.forceRebuild, case .ready(let queue, let recorded, _) = inspect(path), recorded == (head?.hex ?? "") {
            return RepositoryIndex(commit: head, path: path, refresh: .upToDate, queue: queue, lock: lock)
        }

        // Something to write: take the lock for ourselves and look again, since another
        // process may have done the work while we waited.
        try lock.acquire(exclusive: true)
        removeInterruptedRebuilds(in: folder)
        let started = Date()
        var reason: String?
        if options.forceRebuild {
            reason = nil
        } else {
            switch inspect(path) {
            case .ready(let queue, let recorded, _) where recorded == (head?.hex ?? ""):
                return RepositoryIndex(commit: head, path: path, refresh: .upToDate, queue: queue, lock: lock)
            case .ready(let queue, let recorded, _):
                do {
                    if let files = try update(queue: queue, git: git, from: recorded, to: head) {
                        let refresh = Refresh.updated(files: files, seconds: Date().timeIntervalSince(started))
                        return RepositoryIndex(commit: head, path: path, refresh: refresh, queue: queue, lock: lock)
                    }
                    reason = "\(path) is far behind HEAD (a large change); rebuilding"
                } catch let e as GitError {
                    guard case .notFound = e else { throw e }
                    reason = "\(path) reflects commit \(recorded.prefix(10)), which is no longer in the repository; rebuilding"
                } catch let e as DatabaseError where isDamage(e) {
                    reason = "\(path) is damaged (\(e.message ?? "\(e.resultCode)")); rebuilding"
                }
                try? queue.close()
            case .missing:
                reason = nil
            case .otherVersion(let detail):
                reason = "\(path) \(detail); rebuilding"
            case .unreadable(let detail):
                reason = "\(path) is unreadable (\(detail)); rebuilding"
            }
        }
        if let reason { options.log("folio: index: \(reason)") }
        let queue = try rebuild(git: git, head: head, path: path, options: options)
        let refresh = Refresh.rebuilt(reason: reason, seconds: Date().timeIntervalSince(started))
        return RepositoryIndex(commit: head, path: path, refresh: refresh, queue: queue, lock: lock)
    }

    // MARK: State on disk

    enum State {
        case missing
        case ready(DatabaseQueue, commit: String, meta: [String: String])
        case otherVersion(String)
        case unreadable(String)
    }

    static func inspect(_ path: String) -> State {
        guard FileManager.default.fileExists(atPath: path) else { return .missing }
        let queue: DatabaseQueue
        do {
            queue = try openQueue(path)
        } catch {
            return .unreadable(describe(error))
        }
        do {
            let meta = try queue.inDatabase { db -> [String: String] in
                // Asked directly rather than through tableExists (a schema query every read
                // would pay): a file without the table is not a Folio index.
                let rows: [Row]
                do {
                    rows = try Row.fetchAll(db, sql: "SELECT key, value FROM meta")
                } catch let e as DatabaseError where e.resultCode == .SQLITE_ERROR && (e.message ?? "").contains("no such table") {
                    return [:]
                }
                return Dictionary(rows.map { ($0["key"] as String, $0["value"] as String) }, uniquingKeysWith: { a, _ in a })
            }
            guard let version = meta["schema"] else {
                try? queue.close()
                return .otherVersion("is not a Folio index")
            }
            guard version == String(IndexSchema.version) else {
                try? queue.close()
                return .otherVersion("has schema version \(version), this folio uses \(IndexSchema.version)")
            }
            guard let commit = meta["commit"] else {
                try? queue.close()
                return .unreadable("no recorded commit")
            }
            return .ready(queue, commit: commit, meta: meta)
        } catch {
            try? queue.close()
            return .unreadable(describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    static func isDamage(_ e: DatabaseError) -> Bool {
        e.resultCode == .SQLITE_CORRUPT || e.resultCode == .SQLITE_NOTADB
    }

    static func openQueue(_ path: String, building: Bool = false) throws -> DatabaseQueue {
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.label = "folio-index"
        config.prepareDatabase { db in
            if building {
                // A new file that nobody reads until it is renamed into place: no journal,
                // no fsync per transaction (it is synced once, before the rename).
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -16384")
            } else {
                // Reads map the file instead of copying pages through read(2).
                try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 1073741824")
            }
            MatchFunctions.register(db)
        }
        return try DatabaseQueue(path: path, configuration: config)
    }

    // MARK: Incremental update

    /// Applies the diff between `recorded` and `head` in one transaction; nil when the
    /// change is so large that a rebuild is cheaper.
    static func update(queue: DatabaseQueue, git: GitRepository, from recorded: String, to head: GitOID?) throws -> Int? {
        let timing = Timing()
        var relevant: [(GitTreeChange, DocumentClass)] = []
        if let head {
            let old: GitOID? = recorded.isEmpty ? nil : GitOID(hex: recorded)
            if !recorded.isEmpty && old == nil { throw GitError.notFound("commit \(recorded)") }
            timing.mark("update: start")
            let changes = try git.diff(from: old, to: head)
            relevant = changes.compactMap { c in DocumentClass(path: c.path).map { (c, $0) } }
            timing.mark("update: diff of \(changes.count) file(s)")
        } else {
            // Unborn branch: nothing is committed, so nothing is indexed.
            relevant = try queue.inDatabase { db in
                try String.fetchAll(db, sql: "SELECT path FROM invoices UNION ALL SELECT path FROM orders UNION ALL SELECT path FROM problems")
                    .compactMap { p in DocumentClass(path: p).map { (GitTreeChange(path: p, oldBlob: nil, newBlob: nil), $0) } }
            }
        }
        if relevant.count > 20_000 {
            let indexed = try queue.inDatabase { db in try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM orders)") ?? 0 }
            if relevant.count > indexed / 4 { return nil }
        }
        try queue.inDatabase { db in
            try db.inTransaction(.immediate) {
                let writer = try IndexWriter(db)
                for (change, kind) in relevant { try writer.remove(path: change.path, kind: kind) }
                timing.mark("update: \(relevant.count) removed")
                TestHook.reached("update:removed")
                let items = relevant.compactMap { change, kind in change.newBlob.map { Ingest.Item(path: change.path, kind: kind, blob: $0) } }
                var done = 0
                try Ingest.run(git: git, items: items) { result in
                    try writer.write(result)
                    done += 1
                    TestHook.reached("update:insert", done)
                }
                timing.mark("update: \(done) document(s) written")
                try setMeta(db, commit: head, git: git)
                timing.mark("update: meta")
                TestHook.reached("update:commit")
                return .commit
            }
        }
        timing.mark("update: committed")
        return relevant.count
    }

    /// Records the commit, with the facts a read needs about it, in the same transaction as
    /// the documents.
    static func setMeta(_ db: Database, commit: GitOID?, git: GitRepository) throws {
        // Formatted by hand: a date formatter loads ICU, which costs more than the update.
        let seconds = Int(Date().timeIntervalSince1970)
        let now = Dates.formatDate(days: seconds / 86_400) + String(format: "T%02d:%02d:%02dZ", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60)
        let invoices = try Int.fetchOne(db, sql: "SELECT count(*) FROM invoices") ?? 0
        let config = try commit.flatMap { try git.blobID(path: DocumentPaths.config, at: $0) }?.hex ?? ""
        let parties = try commit.flatMap { try git.blobID(path: DocumentPaths.parties, at: $0) }?.hex ?? ""
        try db.execute(sql: """
            INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?), ('commit', ?), ('updatedAt', ?), ('invoices', ?),
                ('configBlob', ?), ('partiesBlob', ?)
            """, arguments: [String(IndexSchema.version), commit?.hex ?? "", now, String(invoices), config, parties])
    }

    /// The index of the repository whose git folder is `gitDir` when it already reflects
    /// `head` (a commit id read without libgit2) and that commit is a Folio repository's;
    /// else nil, and the caller takes the ordinary path. Never writes.
    public static func openIfCurrent(gitDir: String, head: String) -> RepositoryIndex? {
        let path = gitDir + "/folio/index.sqlite"
        guard FileManager.default.fileExists(atPath: path), let commit = GitOID(hex: head),
              let lock = try? IndexLock(path: gitDir + "/folio/index.lock", log: { _ in }, create: false),
              (try? lock.acquire(exclusive: false, wait: false)) == true else { return nil }
        removeInterruptedRebuilds(in: gitDir + "/folio", onlyOfDeadProcesses: true)
        guard case .ready(let queue, let recorded, let meta) = inspect(path) else { return nil }
        guard recorded == commit.hex, meta["configBlob"].map({ !$0.isEmpty }) == true else {
            try? queue.close()
            return nil
        }
        return RepositoryIndex(commit: commit, path: path, refresh: .upToDate, queue: queue, lock: lock)
    }

    // MARK: Rebuild

    /// Leftovers of rebuilds that were killed (`index.sqlite.new-PID`, with SQLite's journal
    /// files beside them): nobody else builds while we hold the exclusive lock, so they are
    /// removed at the first update after the kill rather than at the next full rebuild.
    static func removeInterruptedRebuilds(in folder: String, onlyOfDeadProcesses: Bool = false) {
        // readdir rather than FileManager: `folio list` passes here, and every microsecond of
        // its start-up counts (see the README's index figures).
        guard let dir = opendir(folder) else { return }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("index.sqlite.new-") { names.append(name) }
        }
        closedir(dir)
        for name in names {
            if onlyOfDeadProcesses {
                // Without the exclusive lock a rebuild may be running: only a dead process's go.
                guard let pid = Int32(name.dropFirst("index.sqlite.new-".count).prefix { $0.isNumber }),
                      kill(pid, 0) != 0, errno == ESRCH else { continue }
            }
            unlink(folder + "/" + name)
        }
    }

    static func rebuild(git: GitRepository, head: GitOID?, path: String, options: Options) throws -> DatabaseQueue {
        let timing = Timing()
        let folder = (path as NSString).deletingLastPathComponent
        removeInterruptedRebuilds(in: folder)
        let temporary = "\(path).new-\(getpid())"
        var items: [Ingest.Item] = []
        if let head {
            for (prefix, kind) in [("invoices", DocumentClass.invoice), ("orders", .order)] {
                for entry in try git.listFiles(at: head, under: prefix, cachingTrees: false) where DocumentClass(path: entry.path) == kind {
                    items.append(Ingest.Item(path: entry.path, kind: kind, blob: entry.blob))
                }
            }
            if let parties = try git.blobID(path: DocumentPaths.parties, at: head) {
                items.append(Ingest.Item(path: DocumentPaths.parties, kind: .parties, blob: parties))
            }
        }
        let total = items.count
        timing.mark("listed \(total) documents")
        do {
            let queue = try openQueue(temporary, building: true)
            try queue.inDatabase { db in
                // Page cache and FTS5's pending-token buffer sized to the load: about 100 bytes of
                // cache per document (16-256 MB), so large rebuilds sort and merge in memory.
                let cacheKB = min(262_144, max(16_384, total / 10))
                try db.execute(sql: "PRAGMA cache_size = -\(cacheKB)")
                try db.execute(sql: "BEGIN")
                try db.execute(sql: IndexSchema.tables)
                try db.execute(sql: "INSERT INTO invoice_search(invoice_search, rank) VALUES ('hashsize', ?)", arguments: [min(64, max(1, total / 20_000)) << 20])
                let writer = try IndexWriter(db)
                var done = 0
                options.progress?(0, total)
                var writing = 0.0
                try Ingest.run(git: git, items: items) { result in
                    let t0 = Timing.enabled ? Timing.threadCPU() : 0
                    try writer.write(result)
                    if Timing.enabled { writing += Timing.threadCPU() - t0 }
                    done += 1
                    if done % 1000 == 0 { options.progress?(done, total) }
                    TestHook.reached("rebuild:insert", done)
                }
                timing.mark("documents written (\(Int(writing * 1000)) ms CPU in SQLite)")
                try db.execute(sql: IndexSchema.indexes)
                timing.mark("indexes created")
                try setMeta(db, commit: head, git: git)
                try db.execute(sql: "COMMIT")
                timing.mark("committed")
                try db.execute(sql: "PRAGMA analysis_limit = 1000; ANALYZE")
                timing.mark("analyzed")
                // Recorded in the file: every later connection writes ahead.
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                options.progress?(total, total)
            }
            try queue.close()
            try syncFile(temporary)
            TestHook.reached("rebuild:rename")
            // A write-ahead log (or journal) beside the old file belongs to the old file: the
            // new one must never meet it. Nobody has the old file open (we hold the lock), so
            // it goes first, then its companions; a crash in between leaves no index, which
            // the next read builds.
            let companions = ["-wal", "-shm", "-journal"].map { path + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            if !companions.isEmpty {
                unlink(path)
                for file in companions { unlink(file) }
            }
            guard rename(temporary, path) == 0 else { throw IndexError.io("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))") }
            try syncFile(folder)
        } catch {
            unlink(temporary)
            throw error
        }
        return try openQueue(path)
    }

    static func syncFile(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        _ = fsync(fd)
    }
}

public enum IndexError: Error, CustomStringConvertible {
    /// The index file cannot be created, locked or replaced.
    case io(String)
    /// SQLite found the file damaged: rebuild it.
    case damaged(String)
    /// Any other SQLite failure.
    case sqlite(String)

    public var description: String {
        switch self {
        case .io(let m): "index: \(m)"
        case .damaged(let m): "index: the file is damaged: \(m)"
        case .sqlite(let m): "index: \(m)"
        }
    }

    static func from(_ error: any Error) -> any Error {
        guard let e = error as? DatabaseError else { return error }
        let message = e.message ?? "\(e.resultCode)"
        return RepositoryIndex.isDamage(e) ? IndexError.damaged(message) : IndexError.sqlite(message)
    }
}

extension RepositoryIndex {
    /// Runs `body` on the index's connection; SQLite errors come out as IndexError.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.inDatabase(body) } catch { throw IndexError.from(error) }
    }
}

/// `index.lock`: shared for readers, exclusive for writers (flock, released by the kernel
/// when the process ends, however it ends).
final class IndexLock {
    private let fd: Int32
    private let log: (String) -> Void
    private var held: Int32 = 0

    init(path: String, log: @escaping (String) -> Void, create: Bool = true) throws {
        fd = Glibc.open(path, create ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDWR | O_CLOEXEC), 0o644)
        self.log = log
        guard fd >= 0 else { throw IndexError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Lets other holders in. flock locks belong to the open file, so even another handle in
    /// this same process waits until this one is released.
    func release() {
        if held != 0 { _ = flock(fd, LOCK_UN) }
        held = 0
    }

    /// Takes the lock, waiting for other processes unless `wait` is false (then: false when
    /// it is taken).
    @discardableResult
    func acquire(exclusive: Bool, wait: Bool = true) throws -> Bool {
        let mode = exclusive ? LOCK_EX : LOCK_SH
        if held == mode { return true }
        if flock(fd, mode | LOCK_NB) == 0 { held = mode; return true }
        if !wait { return false }
        log("folio: waiting for another folio process to finish with the index…")
        while flock(fd, mode) != 0 {
            guard errno == EINTR else { throw IndexError.io("cannot lock the index: \(String(cString: strerror(errno)))") }
        }
        held = mode
        return true
    }
}

/// Stops the process at a named point of an index write, as a crash would
/// (`FOLIO_INDEX_TEST_CRASH=update:insert:3` → SIGKILL after the third document).
/// `FOLIO_INDEX_TEST_SLOW=MS` sleeps that long after each rebuilt document, so that a test
/// can kill a rebuild from outside while it runs.
/// `FOLIO_INDEX_TIMING=1`: where an index write spends its time, on standard error.
final class Timing {
    static let enabled = ProcessInfo.processInfo.environment["FOLIO_INDEX_TIMING"] == "1"
    /// One write's clock: each mark reports the time since the one before.
    private var last = Date()
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    func mark(_ what: @autoclosure () -> String) {
        guard Timing.enabled else { return }
        let now = Date()
        let rss = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)).flatMap { Int($0.split(separator: " ")[1]) }.map { $0 * 4096 / 1_048_576 } ?? 0
        FileHandle.standardError.write(Data(String(format: "index timing: %7.1f ms  %4d MB RSS  %@\n", now.timeIntervalSince(last) * 1000, rss, what()).utf8))
        last = now
    }
}

/// Debug builds only (issue 9: no test hooks in the release binary): a release `folio` reads
/// neither variable.
enum TestHook {
    #if DEBUG
    static let crash: (point: String, count: Int?)? = {
        guard let spec = ProcessInfo.processInfo.environment["FOLIO_INDEX_TEST_CRASH"], !spec.isEmpty else { return nil }
        if let colon = spec.lastIndex(of: ":"), let n = Int(spec[spec.index(after: colon)...]) {
            return (String(spec[..<colon]), n)
        }
        return (spec, nil)
    }()
    static let slow: UInt32 = ProcessInfo.processInfo.environment["FOLIO_INDEX_TEST_SLOW"].flatMap { UInt32($0) } ?? 0
    #endif

    @inline(__always) static func reached(_ point: String, _ count: Int? = nil) {
        #if DEBUG
        if slow > 0, point == "rebuild:insert" { usleep(slow * 1000) }
        guard let crash, crash.point == point else { return }
        if let n = crash.count, n != count { return }
        kill(getpid(), SIGKILL)
        #endif
    }
}
