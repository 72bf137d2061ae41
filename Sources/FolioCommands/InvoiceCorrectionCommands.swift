public import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

struct InvoiceDelete: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a draft that was never sent (seed 004 DELETE); its order items are open again.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let written = try repo.deleteInvoice(id: repo.invoiceID(for: id), caller: global.caller(console))
        if global.wantsJSON { console.data(CanonicalJSON.string(.object(["deleted": .string(written.value.id)]))) } else { console.data(written.message) }
    }
}

struct InvoiceReissue: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "reissue", abstract: "Repair a number issued twice: give this invoice the next number of this clone's series.",
        discussion: "The number it had stays on record as void (in the invoice and in its series); its content, events and payments are kept.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The invoice id (a duplicated number is ambiguous).") var id: String
    func run(_ console: Console) throws {
        try console.report(global.openRepository(console).reissue(id: id, caller: global.caller(console)), global)
    }
}

extension ReminderStage: ExpressibleByArgument {}

struct InvoiceRemind: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "remind", abstract: "Seller: a reminder for an overdue invoice, then the reminder bureau, then bill collection (seed 001 states 4-6).",
        discussion: "An optional fee is owed on top of the total (seed 001 reminderamount).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Option(help: "reminder (default, may repeat), bureau or collection, in that order.") var stage: ReminderStage = .reminder
    @Option(help: "A reminder fee, in the major unit.") var fee: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        try console.report(repo.remind(id: repo.invoiceID(for: id), stage: stage, fee: fee, caller: global.caller(console)), global)
    }
}
