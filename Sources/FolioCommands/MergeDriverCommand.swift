import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync

struct MergeDriverCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "merge-driver", abstract: "Called by git: merge one document (%O %A %B %P).", shouldDisplay: false)
    @OptionGroup var global: GlobalOptions
    @Argument var base: String
    @Argument var ours: String
    @Argument var theirs: String
    @Argument var path: String
    @Flag(help: "Git's inner merge of two merge bases (merge.folio.recursive): no conflict records.") var virtualBase = false
    func run(_ console: Console) throws {
        do {
            let outcome = try MergeDriver.run(base: base, ours: ours, theirs: theirs, path: path, environment: ProcessInfo.processInfo.environment,
                                              virtualBase: virtualBase)
            for c in outcome.conflicts { console.info("folio: \(path)#\(c.path): conflict recorded (\(c.reason ?? "")); see `folio conflicts`") }
        } catch {
            console.error("folio merge-driver: \(path): \(error)")
            throw ExitCode(1)
        }
    }
}
