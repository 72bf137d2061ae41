import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo
import FolioSync

struct InboxCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "inbox", abstract: "What waits for me: a buyer's invoices to answer, a seller's to edit or send (from the index).")
    @OptionGroup var global: GlobalOptions

    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let email = try repo.identityEmail(explicit: global.actingAs)
        let (actor, problems, waiting) = try IndexAccess(repo, console).reading { index in
            let actor: Actor
            if let party = try index.party(email) {
                actor = Actor(email: email.lowercased(), party: party)
            } else {
                // Not an indexed party: the documents give the exact refusal.
                actor = try repo.actor(explicit: global.actingAs, snapshot: try repo.snapshot())
            }
            return (actor, try index.problems(kind: "invoice"), try index.inbox(for: actor))
        }
        for p in problems { console.info("warning: skipped \(p)") }
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["data": .array(waiting.map { ListCommand.row($0.invoice, extra: ["reason": .string($0.reason)]) })])))
            return
        }
        if waiting.isEmpty { console.data("Nothing waits for \(actor.email)."); return }
        for item in waiting {
            console.data("\(item.invoice.number ?? item.invoice.id)\t\(item.invoice.id)\t\(item.invoice.customer.name ?? item.invoice.customer.id)\t\(Display.money(item.invoice.totals?.total, item.invoice.currency))\t\(item.reason)")
        }
    }
}
