import ArgumentParser
import Foundation
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
        let s = try IndexAccess(repo, console).reads().status()
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
