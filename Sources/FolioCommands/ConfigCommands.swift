import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

/// `folio config set/show`: settings without hand edits.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Show or change the repository's settings.",
                                                    subcommands: [ConfigShow.self, ConfigSet.self])
}

struct ConfigShow: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the settings (.folio/config.json).")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let config = try global.openRepository(console).snapshot().config()
        if global.wantsJSON { console.data(CanonicalJSON.string(JSONValue.encoding(config))); return }
        console.data("""
            company          \(config.company.name)
            currency         \(config.currency)
            dueDays          \(config.dueDays)
            invoicing        \(config.invoicing.rawValue)
            requireApproval  \(config.requireApproval)
            padding          \(config.numbering.padding)
            terms            \(config.terms ?? "")
            """)
    }
}

struct ConfigSet: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change one setting, as a commit.",
        discussion: "Settings: \(FolioRepository.configKeys.joined(separator: ", ")). Setting invoicing to manual turns requireApproval off (seed 000).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The setting.") var key: String
    @Argument(help: "Its new value.") var value: String
    func run(_ console: Console) throws {
        let written = try global.openRepository(console).setConfig(key: key, value: value, caller: global.caller(console))
        console.reportChange(written, global)
    }
}
