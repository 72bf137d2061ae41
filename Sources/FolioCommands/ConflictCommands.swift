import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync

struct ConflictsCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "conflicts", abstract: "List unresolved conflict records.")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let visibility = try repo.visibility(explicit: global.actingAs, snapshot: repo.snapshot())
        let open = try repo.openConflicts().filter { visibility.allows(customerID: $0.customerID) }
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["data": .array(open.map { c in
                var o = JSONValue.encoding(c.record).objectValue ?? [:]
                o["document"] = .string(c.documentID); o["kind"] = .string(c.kind.rawValue); o["file"] = .string(c.file)
                return .object(o)
            })])))
            return
        }
        if open.isEmpty { console.data("No unresolved conflicts."); return }
        for c in open {
            let show: (JSONValue?) -> String = { $0.map { String(CanonicalJSON.compact($0).prefix(60)) } ?? "(absent)" }
            console.data("\(c.kind.rawValue) \(c.documentID) \(c.record.path): kept \(show(c.record.ours)) by \(c.record.oursBy ?? "?"); other \(show(c.record.theirs)) by \(c.record.theirsBy ?? "?") — \(c.record.reason ?? "")")
        }
        console.info("\(open.count) conflict(s); clear one with `folio resolve ID --path P --take ours|theirs|VALUE`")
    }
}

struct ResolveCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Clear a conflict record, keeping ours, taking theirs, or setting a value.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The invoice or order id.") var id: String
    @Option(help: "The conflict's JSON pointer (or its record id).") var path: String
    @Option(help: "ours (keep the merged value), theirs (take the other), or a value (JSON, else a string).") var take: String

    func run(_ console: Console) throws {
        let resolution: FolioRepository.Resolution
        switch take {
        case "ours": resolution = .ours
        case "theirs": resolution = .theirs
        default: resolution = .value((try? JSONValue.parse(Data(take.utf8))) ?? .string(take))
        }
        let repo = try global.openRepository(console)
        let written = try repo.resolve(id: repo.invoiceID(for: id), path: path, take: resolution, caller: global.caller(console))
        if global.wantsJSON { console.data(CanonicalJSON.string(written.value)) } else { console.data(written.message) }
    }
}
