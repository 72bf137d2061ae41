import ArgumentParser
import Foundation
import FolioGit
import FolioApp
import FolioIndex
import FolioModel
import FolioRepo

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "The SQLite index behind list and inbox (.git/folio/index.sqlite, never committed).",
        discussion: "The index is a cache: every read brings it up to HEAD first, and deleting it loses nothing.",
        subcommands: [IndexStatusCommand.self, IndexRebuildCommand.self])
}

struct IndexStatusCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The commit the index reflects, how far HEAD has moved since, and what it holds (changes nothing).")
    @OptionGroup var global: GlobalOptions

    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let s = try IndexAccess.wrap { try RepositoryIndex.status(of: repo.git) }
        let relative = IndexAccess.relative(s.path, repo)
        if global.wantsJSON {
            var o: [String: JSONValue] = [
                "path": .string(relative), "state": .string(s.state), "schemaVersion": .int(Int64(s.schemaVersion)),
                "commit": s.commit.map(JSONValue.string) ?? .null, "head": s.head.map(JSONValue.string) ?? .null,
                "upToDate": .bool(s.upToDate), "pendingFiles": s.pendingFiles.map { .int(Int64($0)) } ?? .null,
                "updatedAt": s.updatedAt.map(JSONValue.string) ?? .null, "sizeBytes": .int(s.sizeBytes),
                "skipped": .array(s.skipped.map(JSONValue.string)),
            ]
            o["counts"] = .object(["invoices": .int(Int64(s.invoices)), "productLines": .int(Int64(s.lines)), "extraFields": .int(Int64(s.extraFields)),
                                   "ordersWithOpenItems": .int(Int64(s.openOrders)), "parties": .int(Int64(s.parties)), "skipped": .int(Int64(s.skipped.count))])
            console.data(CanonicalJSON.string(.object(o)))
            return
        }
        func short(_ c: String?) -> String { c.map { $0.isEmpty ? "(no commit)" : String($0.prefix(12)) } ?? "-" }
        var lines = ["index     \(relative) (\(s.state == "missing" ? "not built yet" : String(format: "%.1f MB", Double(s.sizeBytes) / 1_048_576)), schema \(s.schemaVersion))"]
        switch s.state {
        case "missing":
            lines.append("state     not built: the next `folio list` or `folio index rebuild` builds it")
        case "ready":
            let behind = s.upToDate ? "up to date" : s.pendingFiles.map { "\($0) document(s) behind; the next read brings it up to date" } ?? "behind; the next read rebuilds it"
            lines.append("commit    \(short(s.commit)) (HEAD \(short(s.head)): \(behind))")
            lines.append("updated   \(s.updatedAt ?? "-")")
            lines.append("invoices  \(s.invoices) (\(s.lines) product lines, \(s.extraFields) extra fields)")
            lines.append("orders    \(s.openOrders) with open items")
            lines.append("parties   \(s.parties)")
            lines.append("skipped   \(s.skipped.count)\(s.skipped.isEmpty ? "" : " (see below; `folio validate` explains)")")
            lines += s.skipped.map { "  \($0)" }
        default:
            lines.append("state     \(s.state); the next read rebuilds it")
        }
        console.data(lines.joined(separator: "\n"))
    }
}

struct IndexRebuildCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Build the index again from HEAD (a progress bar on a terminal).")
    @OptionGroup var global: GlobalOptions

    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let index = try IndexAccess(repo, console).open(forceRebuild: true)
        let s = try IndexAccess.wrap { try index.status() }
        let seconds: Double
        if case .rebuilt(_, let t) = index.refresh { seconds = t } else { seconds = 0 }
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object([
                "commit": s.commit.map(JSONValue.string) ?? .null, "invoices": .int(Int64(s.invoices)), "ordersWithOpenItems": .int(Int64(s.openOrders)),
                "skipped": .array(s.skipped.map(JSONValue.string)), "seconds": .string(String(format: "%.2f", seconds)),
            ])))
            return
        }
        for p in s.skipped { console.info("warning: skipped \(p)") }
        console.info("Indexed \(s.invoices) invoice(s) and \(s.openOrders) order(s) with open items at \(s.commit.map { String($0.prefix(12)) } ?? "-") in \(String(format: "%.2f", seconds)) s\(s.skipped.isEmpty ? "" : "; \(s.skipped.count) finding(s) on skipped documents")")
    }
}

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
