import Foundation
import FolioApp
import FolioIndex
import FolioRepo

/// How commands reach the index (`IndexReads`), with its messages and a progress bar on
/// the console's standard error.
struct IndexAccess {
    let repo: FolioRepository
    let console: Console

    init(_ repo: FolioRepository, _ console: Console) { self.repo = repo; self.console = console }

    func reads(progress bar: ProgressBar? = nil) -> IndexReads {
        IndexReads(repo: repo, log: { [console] in console.info($0) }, progress: { bar?.update($0, $1) })
    }

    func open(forceRebuild: Bool = false) throws -> RepositoryIndex {
        let bar = ProgressBar(console, minimum: forceRebuild ? 0 : 5_000)
        let index = try reads(progress: bar).open(forceRebuild: forceRebuild)
        bar.finish()
        if ProcessInfo.processInfo.environment["FOLIO_INDEX_TIMING"] == "1" {
            switch index.refresh {
            case .upToDate: console.info("index: up to date")
            case .updated(let files, let t): console.info(String(format: "index: updated %d document(s) in %.1f ms", files, t * 1000))
            case .rebuilt(_, let t): console.info(String(format: "index: rebuilt in %.2f s", t))
            }
        }
        return index
    }

    func reading<T>(_ body: (RepositoryIndex) throws -> T) throws -> T {
        // The bar is for the rebuild after a damaged file (`open` has its own).
        let bar = ProgressBar(console, minimum: 0)
        defer { bar.finish() }
        return try reads(progress: bar).reading(opened: try open(), body)
    }

    func validateChanges(since rev: String) throws -> FolioRepository.ChangeValidation? {
        let bar = ProgressBar(console, minimum: 5_000)
        defer { bar.finish() }
        return try reads(progress: bar).validateChanges(since: rev)
    }

    func visibleCustomer(_ index: RepositoryIndex, _ global: GlobalOptions) throws -> String? {
        try reads().visibleCustomer(index, actingAs: global.actingAs)
    }

    static func wrap<T>(_ body: () throws -> T) throws -> T { try IndexReads.wrap(body) }

    static func relative(_ path: String, _ repo: FolioRepository) -> String {
        guard let workdir = repo.workdir, path.hasPrefix(workdir + "/") else { return path }
        return String(path.dropFirst(workdir.count + 1))
    }
}

/// `indexing [#######.............] 35% 70000/200000` on standard error, only when it is a
/// terminal and the job is large enough to be worth watching.
final class ProgressBar {
    private let console: Console
    private let enabled: Bool
    private let minimum: Int
    private var shown = false
    private var last = Date.distantPast

    init(_ console: Console, minimum: Int) {
        self.console = console
        self.minimum = minimum
        enabled = console.errorsGoToTerminal && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total >= minimum, total > 0 else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.1 else { return }
        last = now
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        console.error("\rindexing [\(bar)] \(100 * done / total)% \(done)/\(total) documents", newline: false)
        shown = true
    }

    func finish() {
        if shown { console.error("\r\u{1B}[K", newline: false) }
        shown = false
    }
}
