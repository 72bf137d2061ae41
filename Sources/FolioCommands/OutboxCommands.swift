import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

struct OutboxCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Invoices sent by email or print that wait to be delivered (seed 001 state 9).")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        // A buyer sees only its customer's invoices waiting (SPEC §3).
        let visibility = try repo.visibility(explicit: global.actingAs, snapshot: repo.snapshot())
        let waiting = try repo.outbox().filter { visibility.allows(customerID: $0.customer.id) }
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["data": .array(waiting.map { inv in
                .object(["id": .string(inv.id), "number": inv.number.map(JSONValue.string) ?? .null, "method": .string(inv.distribution?.method.rawValue ?? ""),
                         "template": inv.distribution?.template.map(JSONValue.string) ?? .null, "to": inv.customer.email.map(JSONValue.string) ?? .null,
                         "failures": .array(Workflow.deliveryFailures(inv).map { .string($0.reason ?? "") })])
            })])))
            return
        }
        if waiting.isEmpty { console.data("The outbox is empty."); return }
        for inv in waiting {
            let failures = Workflow.deliveryFailures(inv)
            console.data("\(inv.number ?? inv.id)\t\(inv.distribution?.method.rawValue ?? "")\(inv.distribution?.template.map { " (template \($0))" } ?? "")\t\(inv.customer.email ?? inv.customer.id)"
                        + (failures.isEmpty ? "" : "\tfailed \(failures.count)×: \(failures.last?.reason ?? "")"))
        }
    }
}

struct DeliverCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver", abstract: "Hand each invoice in the outbox to a delivery command; record delivered (state 7) or the failure.",
        discussion: "The command runs with /bin/sh, gets the invoice's JSON on standard input and FOLIO_INVOICE_ID, FOLIO_INVOICE_NUMBER, FOLIO_METHOD, FOLIO_TEMPLATE, FOLIO_TO and FOLIO_CUSTOMER_ID in its environment; exit 0 means delivered. Without --via, `git config folio.deliver` names it.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The delivery command (e.g. a sendmail wrapper).") var via: String?
    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        guard let command = via ?? repo.localSetting("folio.deliver"), !command.isEmpty else {
            throw FolioError.usage("no delivery command: pass --via CMD, or set one with `git config folio.deliver CMD`")
        }
        let results = try repo.deliver(command: command, caller: global.caller(console))
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["data": .array(results.map { .object(["invoice": .string($0.invoice), "delivered": .bool($0.delivered), "detail": .string($0.detail)]) })])))
        } else if results.isEmpty {
            console.data("The outbox is empty.")
        } else {
            for r in results { console.data("\(r.invoice)\t\(r.delivered ? "delivered" : "failed")\t\(r.detail)") }
        }
        if results.contains(where: { !$0.delivered }) { throw ExitCode(1) }
    }
}
