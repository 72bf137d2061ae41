import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo

/// `folio config set/show`: settings without hand edits.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Show or change the repository's settings.",
                                                    subcommands: [ConfigShow.self, ConfigSet.self])
}

struct ConfigShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the settings (.folio/config.json).")
    @OptionGroup var global: GlobalOptions
    func run() throws {
        let config = try global.openRepository().snapshot().config()
        if global.wantsJSON { Output.data(CanonicalJSON.string(JSONValue.encoding(config))); return }
        Output.data("""
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

struct ConfigSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change one setting, as a commit.",
        discussion: "Settings: \(FolioRepository.configKeys.joined(separator: ", ")). Setting invoicing to manual turns requireApproval off (seed 000).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The setting.") var key: String
    @Argument(help: "Its new value.") var value: String
    func run() throws {
        let written = try global.openRepository().setConfig(key: key, value: value, caller: global.caller)
        reportChange(written, global)
    }
}

/// `folio field add/remove/list`: seed 004's extra-field configs.
struct FieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "field", abstract: "Define the invoices' extra fields (seed 004).",
                                                    subcommands: [FieldAdd.self, FieldRemove.self, FieldList.self])
}

struct FieldAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Define an extra field.",
        discussion: "A required field is required of invoices first sent from now on; invoices sent before keep validating.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The field's name.") var name: String
    @Option(help: "text, number, date or list.") var type: ExtraFieldType
    @Flag(help: "Every invoice sent from now on must carry it.") var required = false
    @Flag(help: "No two invoices may carry the same value.") var unique = false
    @Option(help: "The longest value allowed.") var maxLength: Int?
    @Option(help: "For a list field: its values, comma-separated.") var values: String?
    func run() throws {
        let definition = FieldDefinition(fieldName: name, fieldType: type, isRequired: required, isUnique: unique,
                                         maximumLength: maxLength, listOfValue: splitList(values))
        if type != .list && values != nil { throw FolioError.usage("--values is for list fields") }
        let written = try global.openRepository().addField(definition, caller: global.caller)
        reportChange(written, global)
    }
}

extension ExtraFieldType: ExpressibleByArgument {}

struct FieldRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an extra field that no invoice carries.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The field's name.") var name: String
    func run() throws {
        let written = try global.openRepository().removeField(name: name, caller: global.caller)
        reportChange(written, global)
    }
}

struct FieldList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the extra-field definitions.")
    @OptionGroup var global: GlobalOptions
    func run() throws {
        let defs = try global.openRepository().snapshot().fields()
        if global.wantsJSON { Output.data(CanonicalJSON.string(.object(["data": JSONValue.encoding(defs.fields)]))); return }
        if defs.fields.isEmpty { Output.data("No extra fields are defined."); return }
        for d in defs.fields {
            var traits = [d.fieldType.rawValue]
            if d.isRequired { traits.append("required") }
            if d.isUnique { traits.append("unique") }
            if let max = d.maximumLength { traits.append("max \(max)") }
            if let values = d.listOfValue { traits.append("values \(values.joined(separator: ","))") }
            Output.data("\(d.fieldName)\t\(traits.joined(separator: ", "))")
        }
    }
}

struct PartyUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Change a party's name, a buyer's customer or a seller's series.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    @Option(help: "Display name (empty to clear).") var name: String?
    @Option(help: "The customer id a buyer belongs to.") var customer: String?
    @Option(help: "A seller's numbering series prefix.") var series: String?
    func run() throws {
        guard name != nil || customer != nil || series != nil else { throw FolioError.usage("give --name, --customer or --series") }
        let written = try global.openRepository().updateParty(email: email, name: name, customerId: customer, series: series, caller: global.caller)
        reportChange(written, global)
    }
}

struct PartyRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a party (not the last seller).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The party's email.") var email: String
    func run() throws {
        let written = try global.openRepository().removeParty(email: email, caller: global.caller)
        reportChange(written, global)
    }
}

struct InvoiceDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a draft that was never sent (seed 004 DELETE); its order items are open again.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    func run() throws {
        let repo = try global.openRepository()
        let written = try repo.deleteInvoice(id: repo.invoiceID(for: id), caller: global.caller)
        if global.wantsJSON { Output.data(CanonicalJSON.string(.object(["deleted": .string(written.value.id)]))) } else { Output.data(written.message) }
    }
}

/// `folio series claim/list`: numbering series belong to replicas (SPEC §3).
struct SeriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "series", abstract: "Numbering series: which clone issues from which.",
                                                    subcommands: [SeriesList.self, SeriesClaimCommand.self])
}

struct SeriesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the series, their last number and the clone that claimed each.")
    @OptionGroup var global: GlobalOptions
    func run() throws {
        let repo = try global.openRepository()
        let states = try repo.snapshot().seriesStates()
        let mine = try? repo.replicaID()
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["data": .array(states.map { s in
                var o = JSONValue.encoding(s).objectValue ?? [:]
                o["thisClone"] = .bool(s.claim?.replica == mine)
                return .object(o)
            })])))
            return
        }
        if states.isEmpty { Output.data("No series has issued a number yet."); return }
        for s in states {
            let claim = s.claim.map { "claimed by \($0.by) (\($0.replica))\($0.replica == mine ? ", this clone" : "")" } ?? "unclaimed"
            Output.data("\(s.prefix)\tlast \(s.last)\t\(claim)")
        }
    }
}

struct SeriesClaimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "claim", abstract: "Give this clone its own series: claim PREFIX and issue from it.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The prefix, capital letters and digits (e.g. ANA2).") var prefix: String
    func run() throws {
        let written = try global.openRepository().claimSeries(prefix, caller: global.caller)
        reportChange(written, global)
    }
}

struct InvoiceReissue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reissue", abstract: "Repair a number issued twice: give this invoice the next number of this clone's series.",
        discussion: "The number it had stays on record as void (in the invoice and in its series); its content, events and payments are kept.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The invoice id (a duplicated number is ambiguous).") var id: String
    func run() throws {
        try report(global.openRepository().reissue(id: id, caller: global.caller), global)
    }
}

extension ReminderStage: ExpressibleByArgument {}

struct InvoiceRemind: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remind", abstract: "Seller: a reminder for an overdue invoice, then the reminder bureau, then bill collection (seed 001 states 4-6).",
        discussion: "An optional fee is owed on top of the total (seed 001 reminderamount).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "reminder (default, may repeat), bureau or collection, in that order.") var stage: ReminderStage = .reminder
    @Option(help: "A reminder fee, in the major unit.") var fee: String?
    func run() throws {
        let repo = try global.openRepository()
        try report(repo.remind(id: repo.invoiceID(for: id), stage: stage, fee: fee, caller: global.caller), global)
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Invoices sent by email or print that wait to be delivered (seed 001 state 9).")
    @OptionGroup var global: GlobalOptions
    func run() throws {
        let repo = try global.openRepository()
        // A buyer sees only its customer's invoices waiting (SPEC §3).
        let visibility = try repo.visibility(explicit: global.actingAs, snapshot: repo.snapshot())
        let waiting = try repo.outbox().filter { visibility.allows(customerID: $0.customer.id) }
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["data": .array(waiting.map { inv in
                .object(["id": .string(inv.id), "number": inv.number.map(JSONValue.string) ?? .null, "method": .string(inv.distribution?.method.rawValue ?? ""),
                         "template": inv.distribution?.template.map(JSONValue.string) ?? .null, "to": inv.customer.email.map(JSONValue.string) ?? .null,
                         "failures": .array(Workflow.deliveryFailures(inv).map { .string($0.reason ?? "") })])
            })])))
            return
        }
        if waiting.isEmpty { Output.data("The outbox is empty."); return }
        for inv in waiting {
            let failures = Workflow.deliveryFailures(inv)
            Output.data("\(inv.number ?? inv.id)\t\(inv.distribution?.method.rawValue ?? "")\(inv.distribution?.template.map { " (template \($0))" } ?? "")\t\(inv.customer.email ?? inv.customer.id)"
                        + (failures.isEmpty ? "" : "\tfailed \(failures.count)×: \(failures.last?.reason ?? "")"))
        }
    }
}

struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver", abstract: "Hand each invoice in the outbox to a delivery command; record delivered (state 7) or the failure.",
        discussion: "The command runs with /bin/sh, gets the invoice's JSON on standard input and FOLIO_INVOICE_ID, FOLIO_INVOICE_NUMBER, FOLIO_METHOD, FOLIO_TEMPLATE, FOLIO_TO and FOLIO_CUSTOMER_ID in its environment; exit 0 means delivered. Without --via, `git config folio.deliver` names it.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The delivery command (e.g. a sendmail wrapper).") var via: String?
    func run() throws {
        let repo = try global.openRepository()
        guard let command = via ?? (try? repo.git.config("folio.deliver")) ?? nil, !command.isEmpty else {
            throw FolioError.usage("no delivery command: pass --via CMD, or set one with `git config folio.deliver CMD`")
        }
        let results = try repo.deliver(command: command, caller: global.caller)
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["data": .array(results.map { .object(["invoice": .string($0.invoice), "delivered": .bool($0.delivered), "detail": .string($0.detail)]) })])))
        } else if results.isEmpty {
            Output.data("The outbox is empty.")
        } else {
            for r in results { Output.data("\(r.invoice)\t\(r.delivered ? "delivered" : "failed")\t\(r.detail)") }
        }
        if results.contains(where: { !$0.delivered }) { throw ExitCode(1) }
    }
}
