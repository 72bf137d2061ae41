/// What waits for someone (SPEC §5 `folio inbox`): for a buyer, their customer's invoices to
/// answer; for a seller, invoices that need an edit ("Needs Edit") or a send.
public enum Inbox {
    public struct Item: Sendable {
        public var invoice: Invoice
        public var reason: String
    }

    public static func items(for actor: Actor, in invoices: [Invoice]) -> [Item] {
        var out: [Item] = []
        for inv in invoices where Workflow.canSee(actor, inv) {
            let status = Workflow.status(events: inv.events, revision: inv.revision)
            if actor.isBuyer {
                if status == .pendingApproval { out.append(Item(invoice: inv, reason: "to answer: accept, decline or request changes (revision \(inv.revision))")) }
            } else {
                switch status {
                case .changesRequested:
                    let note = inv.events.last(where: { $0.type == .changesRequested })?.note ?? ""
                    out.append(Item(invoice: inv, reason: "needs edit: \(note)"))
                case .draft:
                    out.append(Item(invoice: inv, reason: inv.events.isEmpty ? "draft: send it" : "edited after sending: send revision \(inv.revision)"))
                default: break
                }
                if (inv.conflicts ?? []).isEmpty == false { out.append(Item(invoice: inv, reason: "unresolved conflicts: folio conflicts")) }
            }
        }
        return out.sorted { ($0.invoice.dueDate, $0.invoice.id) < ($1.invoice.dueDate, $1.invoice.id) }
    }
}
