import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

/// `folio series claim/list`: numbering series belong to replicas (SPEC §3).
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "series", abstract: "Numbering series: which clone issues from which.",
                                                    subcommands: [SeriesList.self, SeriesClaimCommand.self])
}

struct SeriesList: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the series, their last number and the clone that claimed each.")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let states = try repo.snapshot().seriesStates()
        let mine = try? repo.replicaID()
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["data": .array(states.map { s in
                var o = JSONValue.encoding(s).objectValue ?? [:]
                o["thisClone"] = .bool(s.claim?.replica == mine)
                return .object(o)
            })])))
            return
        }
        if states.isEmpty { console.data("No series has issued a number yet."); return }
        for s in states {
            let claim = s.claim.map { "claimed by \($0.by) (\($0.replica))\($0.replica == mine ? ", this clone" : "")" } ?? "unclaimed"
            console.data("\(s.prefix)\tlast \(s.last)\t\(claim)")
        }
    }
}

struct SeriesClaimCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "claim", abstract: "Give this clone its own series: claim PREFIX and issue from it.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The prefix, capital letters and digits (e.g. ANA2).") var prefix: String
    func run(_ console: Console) throws {
        let written = try global.openRepository(console).claimSeries(prefix, caller: global.caller(console))
        console.reportChange(written, global)
    }
}
