import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo
import FolioSync

struct InboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbox", abstract: "What waits for me: a buyer's invoices to answer, a seller's to edit or send (from the index).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let repo = try global.openRepository()
        let email = try repo.identityEmail(explicit: global.actingAs)
        let (actor, problems, waiting) = try IndexAccess.reading(repo) { index in
            let actor: Actor
            if let party = try index.party(email) {
                actor = Actor(email: email.lowercased(), party: party)
            } else {
                // Not an indexed party: the documents give the exact refusal.
                actor = try repo.actor(explicit: global.actingAs, snapshot: try repo.snapshot())
            }
            return (actor, try index.problems(kind: "invoice"), try index.inbox(for: actor))
        }
        for p in problems { Output.info("warning: skipped \(p)") }
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["data": .array(waiting.map { ListCommand.row($0.invoice, extra: ["reason": .string($0.reason)]) })])))
            return
        }
        if waiting.isEmpty { Output.data("Nothing waits for \(actor.email)."); return }
        for item in waiting {
            Output.data("\(item.invoice.number ?? item.invoice.id)\t\(item.invoice.id)\t\(item.invoice.customer.name ?? item.invoice.customer.id)\t\(Display.money(item.invoice.totals?.total, item.invoice.currency))\t\(item.reason)")
        }
    }
}
