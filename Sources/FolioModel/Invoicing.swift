/// Creating invoices from orders (seeds 002, 003, 004), item accounting and credit notes.
public enum Invoicing {
    public struct Stamp: Sendable {
        public var actor: Actor
        public var at: String      // UTC timestamp
        public var today: String   // YYYY-MM-DD
        public init(actor: Actor, at: String, today: String) { self.actor = actor; self.at = at; self.today = today }
    }

    /// An invoice for all (`refs` nil) or some of an order's open items; an item may be taken
    /// in part (`REF:QTY`, partial delivery by quantity). Returns the draft and the order with
    /// those items (or parts) marked invoiced, to be committed together.
    public static func create(from order: Order, refs: [String]?, id: String, config: FolioConfig, stamp: Stamp, dueDate: String?, distribution: Distribution?) throws(Refusal) -> (Invoice, Order) {
        try Workflow.requireSeller(stamp.actor, "create invoices")
        if order.isMarketplace { throw Refusal("order \(order.id) is a marketplace order; marketplace orders cannot be invoiced") }
        var chosen: [String: ExactDecimal] = [:]
        if let items = refs?.map(Selection.init(parsing:)) {
            if items.isEmpty { throw Refusal("--items names no items") }
            for selection in items {
                // A ref that itself holds a colon is taken whole.
                let whole = order.items.contains { $0.ref == selection.text }
                let ref = whole ? selection.text : selection.id
                guard let item = order.items.first(where: { $0.ref == ref }) else {
                    throw Refusal("order \(order.id) has no item \"\(ref)\" (its items: \(order.items.map(\.ref).joined(separator: ", ")))")
                }
                if chosen[ref] != nil { throw Refusal("--items names item \"\(ref)\" twice") }
                let open = item.openQuantity
                switch item.status {
                case .cancelled: throw Refusal("item \"\(ref)\" of order \(order.id) is cancelled and cannot be invoiced")
                case .invoiced: throw Refusal("item \"\(ref)\" of order \(order.id) is already invoiced (by \(item.takers.joined(separator: ", "))); an item is invoiced at most once, up to its quantity")
                case .open: break
                }
                var quantity = open
                if !whole, let text = selection.quantity {
                    guard let q = ExactDecimal(text), !q.isNegative, !q.isZero else {
                        throw Refusal("--items \(selection.text): the quantity to invoice must be a decimal greater than zero")
                    }
                    if ExactDecimal.isLess(open, than: q) {
                        throw Refusal("item \"\(ref)\" of order \(order.id) has \(open) of \(item.quantity) left to invoice; \(q) is more than that")
                    }
                    quantity = q
                }
                chosen[ref] = quantity
            }
        } else {
            for item in order.openItems { chosen[item.ref] = item.openQuantity }
            if chosen.isEmpty { throw Refusal("order \(order.id) has no open items left to invoice") }
        }
        if let dueDate, !Dates.isValidDate(dueDate) { throw Refusal("--due-date \"\(dueDate)\" is not a date in the form YYYY-MM-DD") }
        let due = dueDate ?? Dates.addDays(stamp.today, config.dueDays) ?? stamp.today
        if Dates.parseDate(due)! < Dates.parseDate(stamp.today)! { throw Refusal("--due-date \(due) is before the issue date \(stamp.today)") }

        var updatedOrder = order
        var lines: [InvoiceLine] = []
        // Lines keep the order of the order's items (SPEC §2), whatever order --items used.
        for i in order.items.indices {
            let item = order.items[i]
            guard let quantity = chosen[item.ref] else { continue }
            lines.append(InvoiceLine(id: "l-\(item.ref)", orderItemRef: item.ref, productId: item.productId, sku: item.sku,
                                     description: item.description, quantity: quantity.description, unitPrice: item.unitPrice,
                                     discount: nil, taxCode: item.taxCode, taxRate: item.taxRate, net: nil, tax: nil, total: nil,
                                     uom: item.uom, warehouse: nil, accountingCode: nil))
            updatedOrder.items[i].setTake(invoiceID: id, quantity: quantity)
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

    /// The order after an edit of `invoice`'s line quantities: each linked item records what the
    /// invoice now takes of it. Lowering a quantity leaves the rest of the item open (to be
    /// invoiced later or cancelled); raising it past what is left of the item is refused.
    public static func retake(_ order: Order, for invoice: Invoice) throws(Refusal) -> Order {
        var updated = order
        for (n, line) in invoice.lines.enumerated() {
            guard let ref = line.orderItemRef, let i = updated.items.firstIndex(where: { $0.ref == ref }) else { continue }
            guard let quantity = ExactDecimal(line.quantity) else { continue }
            let item = updated.items[i]
            let free = item.quantityValue - item.invoicedQuantity(excluding: invoice.id)
            if ExactDecimal.isLess(free, than: quantity) {
                throw Refusal("/lines/\(n)/quantity: line \"\(line.id)\" bills item \"\(ref)\" of order \(order.id), which has \(free) of \(item.quantity) left for this invoice; \(quantity) is more than that")
            }
            let taken = item.invoicedQuantity(of: invoice.id)
            if item.status == .cancelled, ExactDecimal.isLess(taken, than: quantity) {
                throw Refusal("/lines/\(n)/quantity: the rest of item \"\(ref)\" of order \(order.id) is cancelled; this invoice can bill at most \(taken)")
            }
            if ExactDecimal.isSame(taken, as: quantity) { continue }
            updated.items[i].setTake(invoiceID: invoice.id, quantity: quantity)
        }
        return updated
    }

    public static func cancelItem(_ order: Order, ref: String, by actor: Actor) throws(Refusal) -> Order {
        try Workflow.requireSeller(actor, "cancel order items")
        guard let i = order.items.firstIndex(where: { $0.ref == ref }) else {
            throw Refusal("order \(order.id) has no item \"\(ref)\"")
        }
        switch order.items[i].status {
        case .open: break
        case .invoiced: throw Refusal("item \"\(ref)\" of order \(order.id) is invoiced (by \(order.items[i].takers.joined(separator: ", "))); void that invoice first")
        case .cancelled: throw Refusal("item \"\(ref)\" of order \(order.id) is already cancelled")
        }
        var updated = order
        // With parts invoiced, cancelling cancels the rest; the parts stay invoiced.
        updated.items[i].status = .cancelled
        return updated
    }

    /// `a / b` rounded half away from zero to an integer (b > 0).
    static func divide(_ a: ExactDecimal, by b: ExactDecimal) -> Int64? {
        // a / b = (a.s × 10^b.scale) / (b.s × 10^a.scale)
        var numerator = a.significand, denominator = b.significand
        for _ in 0..<b.scale { numerator *= 10 }
        for _ in 0..<a.scale { denominator *= 10 }
        guard denominator > 0 else { return nil }
        let q = numerator.magnitude / denominator.magnitude, r = numerator.magnitude % denominator.magnitude
        let rounded = r * 2 >= denominator.magnitude ? q + 1 : q
        guard rounded <= UInt128(Int64.max) else { return nil }
        return numerator < 0 ? -Int64(rounded) : Int64(rounded)
    }

    /// Voiding an invoice gives back what it took of its order items, so they can be invoiced
    /// again (a cancelled rest stays cancelled).
    public static func releaseItems(of invoice: Invoice, in order: Order) -> Order {
        var updated = order
        for i in updated.items.indices where updated.items[i].takers.contains(invoice.id) {
            updated.items[i].setTake(invoiceID: invoice.id, quantity: ExactDecimal(0))
        }
        return updated
    }

    /// A part of something that has a quantity: an order item to invoice (`--items REF:QTY`) or
    /// a line to credit (`--lines ID:QTY`). Without a quantity: all that is left of it.
    public struct Selection: Sendable, Equatable {
        public var id: String
        public var quantity: String?
        /// As the user wrote it.
        public var text: String { quantity.map { "\(id):\($0)" } ?? id }
        public init(id: String, quantity: String? = nil) { self.id = id; self.quantity = quantity }

        /// "l-1" or "l-1:2" (the id, then the quantity).
        public init(parsing text: String) {
            if let colon = text.lastIndex(of: ":") {
                self.init(id: String(text[..<colon]), quantity: String(text[text.index(after: colon)...]))
            } else {
                self.init(id: text)
            }
        }
    }

    /// How much of each line of `invoice` the credit notes in `credits` have taken already.
    public static func creditedQuantities(of invoice: Invoice, by credits: [Invoice]) -> [String: ExactDecimal] {
        var out: [String: ExactDecimal] = [:]
        for note in credits where note.creditNoteFor == invoice.id {
            for line in note.lines { if let q = ExactDecimal(line.quantity) { out[line.id] = (out[line.id] ?? ExactDecimal(0)) + q } }
        }
        return out
    }

    /// A credit note for an accepted or issued invoice (SPEC §3): a new document that
    /// references the invoice, never an edit of its content. A line may be credited in part (a
    /// quantity), never more than its quantity in total over all credit notes. Returns the
    /// credit note and the invoice with a `credited` event saying what the note took, so that
    /// two replicas crediting it offline meet in its merge.
    public static func credit(_ invoice: Invoice, selections: [Selection]?, existingCredits: [Invoice], id: String, number: String, reason: String?,
                              eventID: String, stamp: Stamp) throws(Refusal) -> (note: Invoice, credited: Invoice) {
        try Workflow.requireSeller(stamp.actor, "issue credit notes")
        guard invoice.type != InvoiceType.creditNote else { throw Refusal("\(Workflow.label(invoice)) is itself a credit note") }
        let status = Workflow.status(events: invoice.events, revision: invoice.revision)
        guard status == .accepted || status == .issued else {
            throw Refusal("invoice \(Workflow.label(invoice)) is \(status.rawValue); credit notes correct accepted or issued invoices (edit a draft instead)")
        }
        let credited = creditedQuantities(of: invoice, by: existingCredits)
        func remaining(_ line: InvoiceLine) -> ExactDecimal {
            (ExactDecimal(line.quantity) ?? ExactDecimal(0)) - (credited[line.id] ?? ExactDecimal(0))
        }
        var wanted: [(InvoiceLine, ExactDecimal)] = []
        if let selections {
            var named: Set<String> = []
            for selection in selections where !named.insert(selection.id).inserted {
                throw Refusal("line \"\(selection.id)\" is named twice; give its quantity once (--lines \(selection.id):QTY)")
            }
            for selection in selections {
                guard let line = invoice.lines.first(where: { $0.id == selection.id }) else {
                    throw Refusal("invoice \(Workflow.label(invoice)) has no line \"\(selection.id)\" (its lines: \(invoice.lines.map(\.id).joined(separator: ", ")))")
                }
                let left = remaining(line)
                let quantity: ExactDecimal
                if let text = selection.quantity {
                    guard let q = ExactDecimal(text), !q.isNegative, !q.isZero else {
                        throw Refusal("--lines \(selection.id):\(text): the quantity to credit must be a decimal greater than zero")
                    }
                    quantity = q
                } else {
                    quantity = left
                }
                if !ExactDecimal.isLess(ExactDecimal(0), than: left) {
                    throw Refusal("line \"\(line.id)\" of invoice \(Workflow.label(invoice)) is already credited in full; a line is credited at most once in total")
                }
                if ExactDecimal.isLess(left, than: quantity) {
                    throw Refusal("line \"\(line.id)\" of invoice \(Workflow.label(invoice)) has \(left) left to credit (of \(line.quantity)); \(quantity) is more than that")
                }
                wanted.append((line, quantity))
            }
        } else {
            wanted = invoice.lines.map { ($0, remaining($0)) }.filter { ExactDecimal.isLess(ExactDecimal(0), than: $0.1) }
        }
        if wanted.isEmpty { throw Refusal("every line of invoice \(Workflow.label(invoice)) is already credited") }
        var lines: [InvoiceLine] = []
        for (line, quantity) in wanted {
            var credit = line
            if let whole = ExactDecimal(line.quantity), quantity != whole {
                credit.quantity = quantity.description
                // A part of a discounted line carries its share of the discount; the credit that
                // takes the last of the line takes the rest of it, so the parts never add up to
                // more than the line's net.
                if let discount = line.discount, !whole.isZero {
                    let earlier = existingCredits.filter { $0.creditNoteFor == invoice.id }.flatMap(\.lines).filter { $0.id == line.id }.compactMap(\.discount).reduce(0, +)
                    if remaining(line) == quantity {
                        credit.discount = discount - earlier
                    } else {
                        credit.discount = Self.divide(ExactDecimal(discount) * quantity, by: whole)
                    }
                }
            }
            lines.append(credit)
        }
        for i in lines.indices { lines[i].orderItemRef = nil; lines[i].net = nil; lines[i].tax = nil; lines[i].total = nil }
        var target = invoice
        Workflow.appendEvent(&target, InvoiceEvent(id: eventID + ".c", type: .credited, revision: invoice.revision, by: stamp.actor.email, at: stamp.at,
                                                     note: "credit note \(number)", creditNote: id,
                                                     credited: lines.map { CreditedQuantity(lineId: $0.id, quantity: $0.quantity) }))
        target.updatedBy = stamp.actor.email
        target.updatedAt = stamp.at
        let note = Invoice(
            id: id, number: number, type: InvoiceType.creditNote, orderId: invoice.orderId, creditNoteFor: invoice.id, customer: invoice.customer,
            channel: invoice.channel, purchaseOrderNumber: invoice.purchaseOrderNumber, currency: invoice.currency,
            issueDate: stamp.today, dueDate: stamp.today, lines: lines, costLines: nil, totals: nil, payments: [], status: nil,
            paymentStatus: nil, revision: 1,
            events: [InvoiceEvent(id: eventID, type: .issued, revision: 1, by: stamp.actor.email, at: stamp.at, note: reason)],
            shipment: nil, distribution: nil, note: reason, terms: nil, extraFields: nil, externalId: nil,
            externalCustomerId: invoice.externalCustomerId, externalPdfUrl: nil, conflicts: nil, voidedNumbers: nil,
            createdBy: stamp.actor.email, createdAt: stamp.at, updatedBy: stamp.actor.email, updatedAt: stamp.at)
        return (note, target)
    }

    /// A credit note may be voided only to repair a double credit: when the credit notes of its
    /// invoice (not void) take more of a line it credits than the line's quantity, which only
    /// replicas crediting offline at once can cause (the merge records it).
    public static func voidDuplicateCredit(_ note: Invoice, of invoice: Invoice, credits: [Invoice], by actor: Actor, at: String, eventID: String, reason: String?) throws(Refusal) -> Invoice {
        try Workflow.requireSeller(actor, "void a credit note")
        guard Workflow.status(events: note.events, revision: note.revision) != .voided else { throw Refusal("credit note \(Workflow.label(note)) is already void") }
        let live = credits.filter { $0.creditNoteFor == invoice.id && Workflow.status(events: $0.events, revision: $0.revision) != .voided }
        let total = creditedQuantities(of: invoice, by: live)
        let over = invoice.lines.filter { line in
            note.lines.contains { $0.id == line.id } && ExactDecimal.isLess(ExactDecimal(line.quantity) ?? ExactDecimal(0), than: total[line.id] ?? ExactDecimal(0))
        }
        guard !over.isEmpty else {
            throw Refusal("\(Workflow.label(note)) is a credit note; it is final once issued (only a credit note that credits a line twice, after two replicas credited offline at once, can be voided)")
        }
        if !note.payments.isEmpty { throw Refusal("credit note \(Workflow.label(note)) has refunds; it cannot be voided") }
        var doc = note
        Workflow.appendEvent(&doc, InvoiceEvent(id: eventID, type: .voided, revision: doc.revision, by: actor.email, at: at,
                                                reason: reason ?? "credits line \(over.map(\.id).joined(separator: ", ")) of \(Workflow.label(invoice)) a second time"))
        doc.updatedBy = actor.email
        doc.updatedAt = at
        return doc
    }
}
