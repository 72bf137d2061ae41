/// Creating invoices from orders (seeds 002, 003, 004), item accounting and credit notes.
public enum Invoicing {
    public struct Stamp: Sendable {
        public var actor: Actor
        public var at: String      // UTC timestamp
        public var today: String   // YYYY-MM-DD
        public init(actor: Actor, at: String, today: String) { self.actor = actor; self.at = at; self.today = today }
    }

    /// An invoice for all (refs nil) or some of an order's open items; returns the draft and
    /// the order with those items marked invoiced, to be committed together.
    public static func create(from order: Order, refs: [String]?, id: String, config: FolioConfig, stamp: Stamp, dueDate: String?, distribution: Distribution?) throws(Refusal) -> (Invoice, Order) {
        try Workflow.requireSeller(stamp.actor, "create invoices")
        if order.isMarketplace { throw Refusal("order \(order.id) is a marketplace order; marketplace orders cannot be invoiced") }
        var chosen: Set<String>
        if let refs {
            if refs.isEmpty { throw Refusal("--items names no items") }
            chosen = Set(refs)
            if chosen.count != refs.count { throw Refusal("--items names an item twice") }
            for ref in refs {
                guard let item = order.items.first(where: { $0.ref == ref }) else {
                    throw Refusal("order \(order.id) has no item \"\(ref)\" (its items: \(order.items.map(\.ref).joined(separator: ", ")))")
                }
                switch item.status {
                case .open: break
                case .invoiced: throw Refusal("item \"\(ref)\" of order \(order.id) is already invoiced (by \(item.invoiceId ?? "another invoice")); an item is invoiced at most once")
                case .cancelled: throw Refusal("item \"\(ref)\" of order \(order.id) is cancelled and cannot be invoiced")
                }
            }
        } else {
            chosen = Set(order.openItems.map(\.ref))
            if chosen.isEmpty { throw Refusal("order \(order.id) has no open items left to invoice") }
        }
        if let dueDate, !Dates.isValidDate(dueDate) { throw Refusal("--due-date \"\(dueDate)\" is not a date in the form YYYY-MM-DD") }
        let due = dueDate ?? Dates.addDays(stamp.today, config.dueDays) ?? stamp.today
        if Dates.parseDate(due)! < Dates.parseDate(stamp.today)! { throw Refusal("--due-date \(due) is before the issue date \(stamp.today)") }

        var updatedOrder = order
        var lines: [InvoiceLine] = []
        // Lines keep the order of the order's items (SPEC §2), whatever order --items used.
        for i in order.items.indices where chosen.contains(order.items[i].ref) {
            let item = order.items[i]
            lines.append(InvoiceLine(id: "l-\(item.ref)", orderItemRef: item.ref, productId: item.productId, sku: item.sku,
                                     description: item.description, quantity: item.quantity, unitPrice: item.unitPrice,
                                     discount: nil, taxCode: item.taxCode, taxRate: item.taxRate, net: nil, tax: nil, total: nil,
                                     uom: item.uom, warehouse: nil, accountingCode: nil))
            updatedOrder.items[i].status = .invoiced
            updatedOrder.items[i].invoiceId = id
        }
        let invoice = Invoice(
            id: id, number: nil, type: InvoiceType.invoice, orderId: order.id, creditNoteFor: nil, customer: order.customer,
            channel: order.channel, purchaseOrderNumber: order.purchaseOrderNumber, currency: order.currency,
            issueDate: stamp.today, dueDate: due, lines: lines, costLines: nil, totals: nil, payments: [], status: nil,
            paymentStatus: nil, revision: 1, events: [], shipment: nil, distribution: distribution, note: nil, terms: config.terms,
            extraFields: nil, externalId: nil, externalCustomerId: order.customer.externalId, externalPdfUrl: nil, conflicts: nil, voidedNumbers: nil,
            createdBy: stamp.actor.email, createdAt: stamp.at, updatedBy: stamp.actor.email, updatedAt: stamp.at)
        return (invoice, updatedOrder)
    }

    public static func cancelItem(_ order: Order, ref: String, by actor: Actor) throws(Refusal) -> Order {
        try Workflow.requireSeller(actor, "cancel order items")
        guard let i = order.items.firstIndex(where: { $0.ref == ref }) else {
            throw Refusal("order \(order.id) has no item \"\(ref)\"")
        }
        switch order.items[i].status {
        case .open: break
        case .invoiced: throw Refusal("item \"\(ref)\" of order \(order.id) is invoiced (by \(order.items[i].invoiceId ?? "?")); void that invoice first")
        case .cancelled: throw Refusal("item \"\(ref)\" of order \(order.id) is already cancelled")
        }
        var updated = order
        updated.items[i].status = .cancelled
        return updated
    }

    /// Voiding an invoice gives its order items back, so they can be invoiced again.
    public static func releaseItems(of invoice: Invoice, in order: Order) -> Order {
        var updated = order
        for i in updated.items.indices where updated.items[i].invoiceId == invoice.id && updated.items[i].status == .invoiced {
            updated.items[i].status = .open
            updated.items[i].invoiceId = nil
        }
        return updated
    }

    /// A credit note for an accepted or issued invoice (SPEC §3): a new document that
    /// references the invoice, never an edit of it. Each line is credited at most once.
    public static func credit(_ invoice: Invoice, lineIDs: [String]?, existingCredits: [Invoice], id: String, number: String, reason: String?, eventID: String, stamp: Stamp) throws(Refusal) -> Invoice {
        try Workflow.requireSeller(stamp.actor, "issue credit notes")
        guard invoice.type != InvoiceType.creditNote else { throw Refusal("\(Workflow.label(invoice)) is itself a credit note") }
        let status = Workflow.status(events: invoice.events, revision: invoice.revision)
        guard status == .accepted || status == .issued else {
            throw Refusal("invoice \(Workflow.label(invoice)) is \(status.rawValue); credit notes correct accepted or issued invoices (edit a draft instead)")
        }
        let credited = Set(existingCredits.flatMap { $0.lines.map(\.id) })
        let wanted: [InvoiceLine]
        if let lineIDs {
            for lid in lineIDs where !invoice.lines.contains(where: { $0.id == lid }) {
                throw Refusal("invoice \(Workflow.label(invoice)) has no line \"\(lid)\" (its lines: \(invoice.lines.map(\.id).joined(separator: ", ")))")
            }
            wanted = invoice.lines.filter { lineIDs.contains($0.id) }
        } else {
            wanted = invoice.lines.filter { !credited.contains($0.id) }
        }
        if wanted.isEmpty { throw Refusal("every line of invoice \(Workflow.label(invoice)) is already credited") }
        if let again = wanted.first(where: { credited.contains($0.id) }) {
            throw Refusal("line \"\(again.id)\" of invoice \(Workflow.label(invoice)) is already credited; a line is credited at most once")
        }
        var lines = wanted
        for i in lines.indices { lines[i].orderItemRef = nil; lines[i].net = nil; lines[i].tax = nil; lines[i].total = nil }
        return Invoice(
            id: id, number: number, type: InvoiceType.creditNote, orderId: invoice.orderId, creditNoteFor: invoice.id, customer: invoice.customer,
            channel: invoice.channel, purchaseOrderNumber: invoice.purchaseOrderNumber, currency: invoice.currency,
            issueDate: stamp.today, dueDate: stamp.today, lines: lines, costLines: nil, totals: nil, payments: [], status: nil,
            paymentStatus: nil, revision: 1,
            events: [InvoiceEvent(id: eventID, type: .issued, revision: 1, by: stamp.actor.email, at: stamp.at, note: reason)],
            shipment: nil, distribution: nil, note: reason, terms: nil, extraFields: nil, externalId: nil,
            externalCustomerId: invoice.externalCustomerId, externalPdfUrl: nil, conflicts: nil, voidedNumbers: nil,
            createdBy: stamp.actor.email, createdAt: stamp.at, updatedBy: stamp.actor.email, updatedAt: stamp.at)
    }
}
