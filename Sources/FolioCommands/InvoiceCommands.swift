import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice", abstract: "Create, edit, send, answer, pay and correct invoices.",
        subcommands: [InvoiceCreate.self, InvoiceUpdate.self, InvoiceSend.self, InvoiceVoid.self, InvoiceAccept.self, InvoiceDecline.self,
                      InvoiceRequestChanges.self, InvoicePay.self, InvoiceRefund.self, InvoiceRemind.self, InvoiceDelete.self, InvoiceReissue.self, InvoiceCredit.self, InvoiceShow.self, InvoiceLog.self])
}

extension Console {
    /// Every invoice write prints the resulting document with --json, else the commit message.
    func report(_ write: @autoclosure () throws -> Written<Invoice>, _ global: GlobalOptions) throws {
        let written: Written<Invoice>
        do {
            written = try write()
        } catch FolioError.alreadyDone(let commit, let message, let key, let invoice?) {
            // A retry of a write that landed: exit 0, and the invoice as it is now, as the first
            // run would have printed it.
            info("folio: already done in commit \(commit.prefix(10)) (idempotency key \(key)): \(message); nothing new was written")
            if global.wantsJSON { data(CanonicalJSON.string(JSONValue.encoding(invoice))) } else { data(Display.statusLine(invoice)) }
            return
        }
        printWarnings(written.warnings)
        if global.wantsJSON {
            data(CanonicalJSON.string(JSONValue.encoding(written.value)))
        } else {
            // What happened is a confirmation (stderr); the invoice's state after it is data (stdout).
            info(written.message)
            data(Display.statusLine(written.value))
        }
    }

    /// Any other write (settings, parties, orders): the resulting value with --json, else what
    /// happened, and what did not finish as warnings.
    func reportChange<T: Encodable>(_ written: Written<T>, _ global: GlobalOptions) {
        printWarnings(written.warnings)
        if global.wantsJSON { data(CanonicalJSON.string(JSONValue.encoding(written.value))) } else { data(written.message) }
    }

    /// What did not finish although the commit stands (the next command finishes it).
    func printWarnings(_ warnings: [String]) {
        for warning in warnings { info("folio: warning: \(warning)") }
    }
}

func splitList(_ text: String?) -> [String]? {
    text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

struct InvoiceCreate: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a draft invoice from an order's open items.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The order to invoice.") var order: String
    @Option(help: "Only these item refs (partial delivery), comma-separated; REF:QTY takes that quantity of an item.") var items: String?
    @Option(help: "Due date YYYY-MM-DD (default: issue date + dueDays).") var dueDate: String?
    @Flag(help: "Send it at once by email (seed 000 sendEmail).") var email = false
    @Option(help: "Use this id instead of a generated one.") var id: String?

    func run(_ console: Console) throws {
        let written = try global.openRepository(console).createInvoice(orderID: order, refs: splitList(items), dueDate: dueDate, email: email, id: id, caller: global.caller(console))
        try console.report(written, global)
    }
}

struct InvoiceUpdate: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Edit an invoice's content.",
        discussion: "--set takes an RFC 6901 pointer and a value read as JSON when it parses, else as a string: --set /note=Thanks --set '/lines/0/quantity=\"12\"'. --patch takes an RFC 7396 merge patch file.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(name: .customLong("set"), help: ArgumentHelp("POINTER=VALUE (repeatable).", valueName: "PATH=VALUE")) var sets: [String] = []
    @Option(help: "A JSON merge patch file (- for standard input).") var patch: String?

    func validate() throws {
        if sets.isEmpty == (patch == nil) { throw ValidationError("give either --set PATH=VALUE (one or more) or --patch FILE") }
    }

    func run(_ console: Console) throws {
        var edits: [FolioRepository.Edit] = []
        for s in sets {
            guard let eq = s.firstIndex(of: "=") else { throw FolioError.usage("--set \"\(s)\" needs the form /path=value") }
            let pointer = String(s[..<eq])
            let raw = String(s[s.index(after: eq)...])
            let value = (try? JSONValue.parse(Data(raw.utf8))) ?? .string(raw)
            edits.append(.set(pointer: pointer, value: value))
        }
        if let patch {
            let data = try readInput(patch)
            edits.append(.patch(try DocumentCodec.parse(data, file: patch)))
        }
        let repo = try global.openRepository(console)
        try console.report(repo.updateInvoice(id: repo.invoiceID(for: id), edits: edits, caller: global.caller(console)), global)
    }
}

struct InvoiceSend: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Send for approval (or issue, when approval is off); numbers it on first send.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Flag(help: "Distribute by email: it waits in the outbox until `folio deliver`.") var email = false
    @Flag(help: "Distribute by print (seed 001 central print): it waits in the outbox until `folio deliver`.") var print = false
    @Option(help: "The template the delivery uses (seed 001 templateid).") var template: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        if email && print { throw FolioError.usage("give --email or --print, not both") }
        if template != nil && !email && !print { throw FolioError.usage("--template goes with --email or --print") }
        let distribution = email || print ? Distribution(method: email ? .email : .print, template: template) : nil
        try console.report(repo.sendInvoice(id: repo.invoiceID(for: id), distribution: distribution, caller: global.caller(console)), global)
    }
}

struct InvoiceVoid: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "void", abstract: "Void an invoice that is neither accepted nor paid.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "Why.") var reason: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.voidInvoice(id: repo.invoiceID(for: id), reason: reason, caller: global.caller(console)), global)
    }
}

struct InvoiceAccept: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "Buyer: accept the invoice; its content becomes final.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "An optional note.") var note: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.respond(id: repo.invoiceID(for: id), with: .accepted, text: note, caller: global.caller(console)), global)
    }
}

struct InvoiceDecline: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "decline", abstract: "Buyer: decline the invoice, with a reason.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "Why (required).") var reason: String
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.respond(id: repo.invoiceID(for: id), with: .declined, text: reason, caller: global.caller(console)), global)
    }
}

struct InvoiceRequestChanges: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "request-changes", abstract: "Buyer: ask the seller to change the invoice.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "What should change (required).") var note: String
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.respond(id: repo.invoiceID(for: id), with: .changesRequested, text: note, caller: global.caller(console)), global)
    }
}

/// What `pay` and `refund` record: money moving, in the currency's major unit.
struct MoneyOptions: ParsableArguments {
    // Unconditional: `--amount -5` is a (refused) amount, not a missing value.
    @Option(parsing: .unconditional, help: "Amount as a decimal in the major unit.") var amount: String
    @Option(help: "Date YYYY-MM-DD (default today).") var date: String?
    @Option(help: "Bank or remittance reference.") var reference: String?
    @Option(help: "How the money moved (transfer, card…; a refund defaults to refund).") var method: String?
}

struct InvoicePay: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "pay", abstract: "Record a payment, in the currency's major unit (--amount 200.00).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @OptionGroup var money: MoneyOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.pay(id: repo.invoiceID(for: id), amount: money.amount, date: money.date, reference: money.reference, method: money.method,
                            caller: global.caller(console)), global)
    }
}

struct InvoiceRefund: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "refund", abstract: "Seller: record a refund that settles a credit note (--amount 20.00).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @OptionGroup var money: MoneyOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.refund(id: repo.invoiceID(for: id), amount: money.amount, date: money.date, reference: money.reference, method: money.method,
                               caller: global.caller(console)), global)
    }
}

struct InvoiceCredit: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "credit", abstract: "Issue a credit note for an accepted (or issued) invoice.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "Only these lines, comma-separated, each a line id or ID:QUANTITY for part of it (default: what is left of every line).") var lines: String?
    @Option(help: "Why.") var reason: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.credit(id: repo.invoiceID(for: id), lines: splitList(lines)?.map(Invoicing.Selection.init(parsing:)), reason: reason, caller: global.caller(console)), global)
    }
}

struct InvoiceShow: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an invoice as stored, with its derived fields.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let id = try repo.invoiceID(for: id)
        let snap = try repo.snapshot()
        let (invoice, json) = try snap.invoice(id)
        try repo.visibility(explicit: global.actingAs, snapshot: snap).check(invoice)
        if global.wantsJSON { console.data(CanonicalJSON.string(json)); return }
        console.data(Display.invoice(invoice))
    }
}

struct InvoiceLog: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "The history of one invoice, from git.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let id = try repo.invoiceID(for: id)
        let snap = try repo.snapshot()
        let (invoice, _) = try snap.invoice(id)
        try repo.visibility(explicit: global.actingAs, snapshot: snap).check(invoice)
        guard let head = snap.commit else { return }
        let history = try repo.history(of: .invoice, id: id, from: head)
        // Who signed each step, and whether it verifies (SPEC §9); a buyer's answers carry
        // their own signatures, which survive rebases and other repositories.
        let check = HistoryCheck(repo: repo)
        let signatures = try history.map { try check.signature(of: $0.commit.id) }
        let parties = try snap.parties()
        let answers = invoice.events.filter { [.accepted, .declined, .changesRequested].contains($0.type) }
        if global.wantsJSON {
            let rows: [JSONValue] = zip(history, signatures).map { entry, signature in
                .object(["commit": .string(entry.commit.id.hex), "author": .string(entry.commit.author.email), "name": .string(entry.commit.author.name),
                         "time": .int(entry.commit.author.time), "message": .string(entry.commit.message.trimmingCharacters(in: .whitespacesAndNewlines)),
                         "deleted": .bool(entry.blob == nil), "signature": .string(signature.description)])
            }
            console.data(CanonicalJSON.string(.array(rows)))
            return
        }
        for (entry, signature) in zip(history, signatures) {
            let when = Date(timeIntervalSince1970: TimeInterval(entry.commit.author.time))
            console.data("\(entry.commit.id.hex.prefix(10))  \(Display.isoMinute(when))  \(entry.commit.author.email)  \(entry.commit.message.split(separator: "\n").first ?? "")  [\(signature)]")
        }
        for e in answers {
            console.data("answer \(e.type.rawValue) of revision \(e.revision) by \(e.by): \(check.answerSignature(e, parties: parties))\(e.contentHash.map { ", answering \($0.prefix(19))…" } ?? "")")
        }
        for p in invoice.payments where p.signature != nil {
            console.data("payment \(p.id) by \(p.by): \(check.paymentSignature(p, parties: parties))")
        }
    }
}
