import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync
import FolioTrust

struct InitCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a Folio repository.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Where to create it (default: the current folder, or -C).") var path: String?
    @Option(help: "The seller company's name.") var company: String
    @Option(help: "Default ISO 4217 currency, e.g. EUR.") var currency: String
    @Option(name: .customLong("seller"), help: "A seller's email (repeat for several).") var sellers: [String] = []
    @Option(help: "Days from issue date to due date (seed 001 invoiceDaysWeb).") var dueDays: Int = 30
    @Option(help: "Seed 000's invoicing: manual turns buyer approval off.") var invoicing = Choice(InvoicingMode.api)
    @Flag(inversion: .prefixedNo, help: "Buyers must accept invoices before they are final (seed 000).") var requireApproval = true
    @Option(help: "The creating seller's ssh-ed25519 public key (or its .pub file); default: the public half of the signing key (user.signingKey, FOLIO_SIGNING_KEY).") var key: String?
    @Flag(help: "Do not require signed commits (SPEC §9); turn it on later with `folio config set requireSignatures true`.") var unsigned = false

    func run(_ console: Console) throws {
        let target = path ?? global.path
        guard Currency(code: currency.uppercased()) != nil else {
            throw FolioError.usage("--currency \"\(currency)\" is not an ISO 4217 currency code (e.g. EUR, USD, JPY, KWD)")
        }
        let mode = invoicing.value
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
        // SPEC §9: every commit is signed by its author's key; a new repository requires it, so
        // its creator needs a key from the start (or says --unsigned).
        let signing = try SigningKeys.find(git: nil)
        if let key {
            parties.parties[author]?.key = try SigningKeys.publicKey(key).openSSH
        } else if let signing {
            parties.parties[author]?.key = signing.publicKey.openSSH
        } else if !unsigned {
            throw FolioError.identity("no signing key found: every Folio commit is signed with its author's key (SPEC §9). To sign, \(SigningKeys.howToMakeOne); or create a repository that does not require signatures with `folio init --unsigned`")
        }
        // Seed 000: manual invoicing has no buyer approval; store the two settings in step.
        var config = FolioConfig(company: Company(name: company), currency: currency.uppercased(), dueDays: dueDays, invoicing: mode, requireApproval: requireApproval && mode == .api)
        if !unsigned { config.requireSignatures = true }
        let repo = try FolioRepository.initialize(at: target, config: config, parties: parties, author: author, clock: Clock())
        try MergeDriver.install(in: repo, executable: currentExecutable(), identity: global.explicitIdentity)
        try repo.refreshAllowedSigners()
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["path": .string(repo.workdir ?? target), "config": JSONValue.encoding(config), "parties": JSONValue.encoding(parties)])))
        } else {
            console.data("Initialized Folio repository for \(company) in \(repo.workdir ?? target)")
        }
    }
}
