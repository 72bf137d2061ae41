import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync
import FolioTrust

struct PartyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "party", abstract: "Manage identities and roles.", subcommands: [PartyAdd.self, PartyKey.self, PartyUpdate.self, PartyRemove.self, PartyList.self])
}

struct PartyAdd: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a seller, a buyer, or the server party that signs what `folio serve` writes.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    @Option(help: "The party's role.") var role: RoleArgument
    @Option(help: "The customer id a buyer belongs to.") var customer: String?
    @Option(help: "Display name.") var name: String?
    @Option(help: "A seller's numbering series prefix (capital letters and digits).") var series: String?
    @Option(help: "The party's ssh-ed25519 public key, or its .pub file (SPEC §9).") var key: String?

    func run(_ console: Console) throws {
        let r = role.role
        let repo = try global.openRepository(console)
        let written = try repo.addParty(email: email, role: r, customerId: customer, name: name, series: series ?? (r == .seller ? Series.defaultPrefix(for: email) : nil),
                                        key: key, caller: global.caller(console))
        console.reportChange(written, global)
    }
}

struct PartyKey: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Give a party its signing key, or rotate it (sellers only).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    @Option(help: "The new ssh-ed25519 public key, or its .pub file.") var key: String

    func run(_ console: Console) throws {
        console.reportChange(try global.openRepository(console).setPartyKey(email: email, key: key, caller: global.caller(console)), global)
    }
}

struct PartyList: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List parties.")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let parties = try global.openRepository(console).snapshot().parties()
        if global.wantsJSON { console.data(CanonicalJSON.string(JSONValue.encoding(parties))); return }
        for (email, p) in parties.parties.sorted(by: { $0.key < $1.key }) {
            let key = p.key.flatMap { try? SSHPublicKey(parsing: $0) }.map(\.fingerprint) ?? "no key"
            console.data("\(email)\t\(p.role.rawValue)\t\(p.customerId ?? p.series.map { "series \($0)" } ?? "")\t\(p.name ?? "")\t\(key)")
        }
    }
}

struct PartyUpdate: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a party's name, a buyer's customer or a seller's series.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    @Option(help: "Display name (empty to clear).") var name: String?
    @Option(help: "The customer id a buyer belongs to.") var customer: String?
    @Option(help: "A seller's numbering series prefix.") var series: String?
    func run(_ console: Console) throws {
        guard name != nil || customer != nil || series != nil else { throw FolioError.usage("give --name, --customer or --series") }
        let written = try global.openRepository(console).updateParty(email: email, name: name, customerId: customer, series: series, caller: global.caller(console))
        console.reportChange(written, global)
    }
}

struct PartyRemove: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a party (not the last seller).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    func run(_ console: Console) throws {
        let written = try global.openRepository(console).removeParty(email: email, caller: global.caller(console))
        console.reportChange(written, global)
    }
}

/// `--role`: help lists the model's roles, and a role is read in any case ("Seller"). A
/// wrapper, as a public model type cannot conform to the parser's protocol here.
struct RoleArgument: ExpressibleByArgument {
    let role: PartyRole
    init?(argument: String) {
        guard let role = PartyRole(rawValue: argument.lowercased()) else { return nil }
        self.role = role
    }
    static var allValueStrings: [String] { PartyRole.allCases.map(\.rawValue) }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}
