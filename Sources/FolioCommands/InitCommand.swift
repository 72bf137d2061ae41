import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a Folio repository.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Where to create it (default: the current folder, or -C).") var path: String?
    @Option(help: "The seller company's name.") var company: String
    @Option(help: "Default ISO 4217 currency, e.g. EUR.") var currency: String
    @Option(name: .customLong("seller"), help: "A seller's email (repeat for several).") var sellers: [String] = []
    @Option(help: "Days from issue date to due date (seed 001 invoiceDaysWeb).") var dueDays: Int = 30
    @Option(help: "api or manual (seed 000); manual turns buyer approval off.") var invoicing: String = "api"
    @Flag(inversion: .prefixedNo, help: "Buyers must accept invoices before they are final (seed 000).") var requireApproval = true

    func run() throws {
        let target = path ?? global.path
        guard Currency(code: currency.uppercased()) != nil else {
            throw FolioError.usage("--currency \"\(currency)\" is not an ISO 4217 currency code (e.g. EUR, USD, JPY, KWD)")
        }
        guard let mode = InvoicingMode(rawValue: invoicing.lowercased()) else { throw FolioError.usage("--invoicing must be api or manual") }
        guard (0...3650).contains(dueDays) else { throw FolioError.usage("--due-days must be between 0 and 3650") }
        guard !company.trimmingCharacters(in: .whitespaces).isEmpty else { throw FolioError.usage("--company must not be empty") }
        var parties = Parties()
        let identity = global.actingAs ?? ProcessInfo.processInfo.environment["FOLIO_USER"]
        var sellerEmails = sellers.map { $0.lowercased() }
        if sellerEmails.isEmpty, let identity { sellerEmails = [identity.lowercased()] }
        guard !sellerEmails.isEmpty else { throw FolioError.usage("name at least one seller with --seller EMAIL (or act --as one)") }
        for email in sellerEmails {
            guard Schema.looksLikeEmailPublic(email) else { throw FolioError.usage("--seller \"\(email)\" is not an email address") }
            parties.parties[email] = Party(role: .seller, series: Series.defaultPrefix(for: email))
        }
        let author = identity?.lowercased() ?? sellerEmails[0]
        guard parties.parties[author] != nil else { throw FolioError.usage("\(author) is creating the repository but is not among --seller") }
        // Seed 000: manual invoicing has no buyer approval; store the two settings in step.
        let config = FolioConfig(company: Company(name: company), currency: currency.uppercased(), dueDays: dueDays, invoicing: mode, requireApproval: requireApproval && mode == .api)
        let repo = try FolioRepository.initialize(at: target, config: config, parties: parties, author: author, clock: Clock())
        try MergeDriver.install(in: repo.git, executable: currentExecutable(), identity: global.explicitIdentity)
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["path": .string(repo.git.workdir ?? target), "config": JSONValue.encoding(config), "parties": JSONValue.encoding(parties)])))
        } else {
            Output.data("Initialized Folio repository for \(company) in \(repo.git.workdir ?? target)")
        }
    }
}

struct PartyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "party", abstract: "Manage identities and roles.", subcommands: [PartyAdd.self, PartyUpdate.self, PartyRemove.self, PartyList.self])
}

struct PartyAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a seller or a buyer.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    @Option(help: "seller or buyer.") var role: String
    @Option(help: "The customer id a buyer belongs to.") var customer: String?
    @Option(help: "Display name.") var name: String?
    @Option(help: "A seller's numbering series prefix (capital letters and digits).") var series: String?

    func run() throws {
        guard let r = PartyRole(rawValue: role.lowercased()) else { throw FolioError.usage("--role must be seller or buyer") }
        let repo = try global.openRepository()
        let written = try repo.addParty(email: email, role: r, customerId: customer, name: name, series: series ?? (r == .seller ? Series.defaultPrefix(for: email) : nil), caller: global.caller)
        reportChange(written, global)
    }
}

struct PartyList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List parties.")
    @OptionGroup var global: GlobalOptions
    func run() throws {
        let parties = try global.openRepository().snapshot().parties()
        if global.wantsJSON { Output.data(CanonicalJSON.string(JSONValue.encoding(parties))); return }
        for (email, p) in parties.parties.sorted(by: { $0.key < $1.key }) {
            Output.data("\(email)\t\(p.role.rawValue)\t\(p.customerId ?? p.series.map { "series \($0)" } ?? "")\t\(p.name ?? "")")
        }
    }
}
