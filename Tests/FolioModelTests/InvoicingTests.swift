import Foundation
import Testing
@testable import FolioModel

@Suite("Invoicing from orders")
struct InvoicingTests {
    func create(_ order: Order = Fx.order(), refs: [String]?, id: String = "inv-1", dueDate: String? = nil, today: String = "2026-01-10") throws(Refusal) -> (Invoice, Order) {
        try Invoicing.create(from: order, refs: refs, id: id, config: Fx.config, stamp: Fx.stamp(today: today), dueDate: dueDate, distribution: nil)
    }

    @Test("without --items every open item is invoiced, in order-item order")
    func allItems() throws {
        let (inv, order) = try create(refs: nil)
        #expect(inv.lines.map(\.orderItemRef) == ["i1", "i2", "i3"])
        #expect(inv.lines.map(\.id) == ["l-i1", "l-i2", "l-i3"])
        #expect(order.items.map(\.status) == [.invoiced, .invoiced, .invoiced])
        #expect(order.items.map(\.invoiceId) == ["inv-1", "inv-1", "inv-1"])
        #expect(order.openItems.isEmpty)
    }

    @Test("lines keep the order of the order's items whatever the order of --items", arguments: [
        ["i3", "i1"], ["i1", "i3"],
    ])
    func partialOrder(refs: [String]) throws {
        let (inv, order) = try create(refs: refs)
        #expect(inv.lines.map(\.orderItemRef) == ["i1", "i3"])
        #expect(order.items.map(\.status) == [.invoiced, .open, .invoiced])
        #expect(order.items.map(\.invoiceId) == ["inv-1", nil, "inv-1"])
        #expect(order.openItems.map(\.ref) == ["i2"])
    }

    @Test("the draft copies the order's data and the items' prices")
    func draftContents() throws {
        let (raw, _) = try create(refs: ["i2"])
        #expect(raw.status == nil && raw.totals == nil)        // derived() fills them in
        let inv = try raw.derived()
        #expect(inv.id == "inv-1")
        #expect(inv.number == nil)
        #expect(inv.type == InvoiceType.invoice)
        #expect(inv.orderId == "o1")
        #expect(inv.customer == Fx.customer)
        #expect(inv.externalCustomerId == "EXT-C1")
        #expect(inv.purchaseOrderNumber == "PO-o1")
        #expect(inv.currency == "USD")
        #expect(inv.issueDate == "2026-01-10")
        #expect(inv.dueDate == "2026-02-09")          // issue date + dueDays (30)
        #expect(inv.revision == 1)
        #expect(inv.events.isEmpty && inv.payments.isEmpty)
        #expect(inv.status == .draft)
        let line = try #require(inv.lines.first)
        #expect(line.productId == "p-gadget")
        #expect(line.quantity == "1.5")
        #expect(line.unitPrice == 1000)
        #expect(line.taxRate == "7.5")
        #expect(line.total == 1613)
        #expect(inv.createdBy == Fx.seller.email && inv.updatedBy == Fx.seller.email)
    }

    @Test("the second partial invoice takes only the items still open")
    func secondPartial() throws {
        let (_, afterFirst) = try create(refs: ["i2"])
        let (second, afterSecond) = try create(afterFirst, refs: nil, id: "inv-2")
        #expect(second.lines.map(\.orderItemRef) == ["i1", "i3"])
        #expect(afterSecond.items.map(\.invoiceId) == ["inv-2", "inv-1", "inv-2"])
        #expect(refusal { try create(afterSecond, refs: nil, id: "inv-3") }?.message == "order o1 has no open items left to invoice")
    }

    @Test("items already invoiced, cancelled or unknown are refused, by name")
    func refusedItems() throws {
        let (_, invoiced) = try create(refs: ["i1"])
        #expect(refusal { try create(invoiced, refs: ["i2", "i1"], id: "inv-2") }?.message
            == "item \"i1\" of order o1 is already invoiced (by inv-1); an item is invoiced at most once, up to its quantity")
        let cancelled = try Invoicing.cancelItem(Fx.order(), ref: "i2", by: Fx.seller)
        #expect(refusal { try create(cancelled, refs: ["i2"]) }?.message == "item \"i2\" of order o1 is cancelled and cannot be invoiced")
        #expect(refusal { try create(refs: ["i9"]) }?.message == "order o1 has no item \"i9\" (its items: i1, i2, i3)")
        #expect(refusal { try create(refs: []) }?.message == "--items names no items")
        #expect(refusal { try create(refs: ["i1", "i1"]) }?.message == "--items names item \"i1\" twice")
    }

    @Test("marketplace orders cannot be invoiced, whatever the case of the channel", arguments: ["marketplace", "Marketplace", "MARKETPLACE"])
    func marketplace(channel: String) {
        let order = Fx.order(channel: channel)
        #expect(order.isMarketplace)
        #expect(refusal { try create(order, refs: nil) }?.message == "order o1 is a marketplace order; marketplace orders cannot be invoiced")
    }

    @Test("other channels can be invoiced")
    func otherChannel() throws {
        let order = Fx.order(channel: "b2b-portal")
        #expect(!order.isMarketplace)
        #expect(try create(order, refs: nil).0.channel == "b2b-portal")
    }

    @Test("no open items left means nothing to invoice")
    func noOpenItems() throws {
        var order = Fx.order()
        for i in order.items.indices { order = try Invoicing.cancelItem(order, ref: order.items[i].ref, by: Fx.seller) }
        #expect(refusal { try create(order, refs: nil) }?.message == "order o1 has no open items left to invoice")
    }

    @Test("due dates: explicit, default from dueDays, refused when malformed or before the issue date")
    func dueDates() throws {
        #expect(try create(refs: nil, dueDate: "2026-03-31").0.dueDate == "2026-03-31")
        #expect(try create(refs: nil, dueDate: "2026-01-10").0.dueDate == "2026-01-10")
        #expect(refusal { try create(refs: nil, dueDate: "2026-02-30") }?.message == "--due-date \"2026-02-30\" is not a date in the form YYYY-MM-DD")
        #expect(refusal { try create(refs: nil, dueDate: "2026-01-09") }?.message == "--due-date 2026-01-09 is before the issue date 2026-01-10")
        #expect(try create(refs: nil, today: "2024-02-10").0.dueDate == "2024-03-11")
    }

    @Test("cancelItem cancels an open item and refuses invoiced, cancelled and unknown ones")
    func cancelItem() throws {
        let cancelled = try Invoicing.cancelItem(Fx.order(), ref: "i3", by: Fx.seller)
        #expect(cancelled.items.map(\.status) == [.open, .open, .cancelled])
        #expect(refusal { try Invoicing.cancelItem(cancelled, ref: "i3", by: Fx.seller) }?.message == "item \"i3\" of order o1 is already cancelled")
        let (_, invoiced) = try create(refs: ["i1"])
        #expect(refusal { try Invoicing.cancelItem(invoiced, ref: "i1", by: Fx.seller) }?.message
            == "item \"i1\" of order o1 is invoiced (by inv-1); void that invoice first")
        #expect(refusal { try Invoicing.cancelItem(Fx.order(), ref: "zz", by: Fx.seller) }?.message == "order o1 has no item \"zz\"")
    }

    @Test("voiding releases exactly the items of the voided invoice")
    func releaseItems() throws {
        let (first, afterFirst) = try create(refs: ["i1", "i3"])
        let (second, afterSecond) = try create(afterFirst, refs: ["i2"], id: "inv-2")
        let released = Invoicing.releaseItems(of: first, in: afterSecond)
        #expect(released.items.map(\.status) == [.open, .invoiced, .open])
        #expect(released.items.map(\.invoiceId) == [nil, "inv-2", nil])
        // and they can be invoiced again
        let (again, _) = try create(released, refs: nil, id: "inv-3")
        #expect(again.lines.map(\.orderItemRef) == ["i1", "i3"])
        // cancelled items stay cancelled
        let withCancelled = try Invoicing.cancelItem(Fx.order(), ref: "i1", by: Fx.seller)
        #expect(Invoicing.releaseItems(of: second, in: withCancelled).items.map(\.status) == [.cancelled, .open, .open])
    }
}

@Suite("Credit notes")
struct CreditNoteTests {
    func credit(_ inv: Invoice, lines: [String]?, existing: [Invoice] = [], id: String = "cn-1", number: String = "A-00002") throws(Refusal) -> Invoice {
        try Invoicing.credit(inv, selections: lines.map { $0.map { Invoicing.Selection(parsing: $0) } }, existingCredits: existing, id: id, number: number, reason: "damaged", eventID: "ev-cn", stamp: Fx.stamp(minute: 20)).note
    }

    @Test("a credit note references the invoice, is issued at once and carries its lines without order links")
    func shape() throws {
        let accepted = try Fx.accepted()
        let cn = try credit(accepted, lines: ["l-i2"]).derived()
        #expect(cn.type == InvoiceType.creditNote)
        #expect(cn.creditNoteFor == "inv-1")
        #expect(cn.number == "A-00002")
        #expect(cn.status == .issued)
        #expect(cn.events.map(\.type) == [.issued])
        #expect(cn.note == "damaged")
        #expect(cn.lines.map(\.id) == ["l-i2"])
        #expect(cn.lines.allSatisfy { $0.orderItemRef == nil })
        #expect(cn.totals?.total == 1613)
        #expect(cn.customer == accepted.customer)
        #expect(cn.currency == accepted.currency)
    }

    @Test("credit notes correct accepted or issued invoices only", arguments: ["draft", "pending_approval", "changes_requested", "declined", "voided"])
    func onlyFinal(state: String) throws {
        let inv: Invoice = switch state {
        case "draft": try Fx.invoice()
        case "pending_approval": try Fx.pending()
        case "changes_requested": try Fx.changesRequested()
        case "declined": try Fx.declined()
        default: try Fx.voidedDraft()
        }
        #expect(refusal { try credit(inv, lines: nil) }?.message.contains("is \(state); credit notes correct accepted or issued invoices") == true)
    }

    @Test("an issued invoice can be credited in full")
    func issued() throws {
        let cn = try credit(Fx.issued(), lines: nil).derived()
        #expect(cn.lines.map(\.id) == ["l-i1", "l-i2", "l-i3"])
        #expect(cn.totals?.total == 14372)
    }

    @Test("a line is credited at most once")
    func atMostOnce() throws {
        let accepted = try Fx.accepted()
        let first = try credit(accepted, lines: ["l-i1"])
        #expect(refusal { try credit(accepted, lines: ["l-i2", "l-i1"], existing: [first], id: "cn-2") }?.message
            == "line \"l-i1\" of invoice A-00001 (inv-1) is already credited in full; a line is credited at most once in total")
        // without --lines, only what is left
        let rest = try credit(accepted, lines: nil, existing: [first], id: "cn-2")
        #expect(rest.lines.map(\.id) == ["l-i2", "l-i3"])
        #expect(refusal { try credit(accepted, lines: nil, existing: [first, rest], id: "cn-3") }?.message
            == "every line of invoice A-00001 (inv-1) is already credited")
    }

    @Test("a line may be credited in part, never more than its quantity in total")
    func partial() throws {
        let accepted = try Fx.accepted()   // l-i1: 2 × 49.00 at 20 %
        let one = try credit(accepted, lines: ["l-i1:1"]).derived()
        #expect(one.lines.map(\.quantity) == ["1"])
        #expect(one.totals?.total == 5880, "one widget: 49.00 + 20 %")
        #expect(refusal { try credit(accepted, lines: ["l-i1:1.5"], existing: [one], id: "cn-2") }?.message
            == "line \"l-i1\" of invoice A-00001 (inv-1) has 1 left to credit (of 2); 1.5 is more than that")
        #expect(refusal { try credit(accepted, lines: ["l-i1:0"]) }?.message.contains("greater than zero") == true)
        // What is left of every line, without --lines.
        let rest = try credit(accepted, lines: nil, existing: [one], id: "cn-2")
        #expect(rest.lines.map(\.quantity) == ["1", "1.5", "3"])
        #expect(Invoicing.creditedQuantities(of: accepted, by: [one, rest])["l-i1"] == ExactDecimal("2"))
    }

    @Test("a line named twice is refused; part credits of a discounted line never add up to more than its net")
    func partsOfADiscountedLine() throws {
        var accepted = try Fx.accepted()
        #expect(refusal { try credit(accepted, lines: ["l-i3:1", "l-i3:1"]) }?.message.contains("named twice") == true)
        accepted.lines[2].discount = 100   // 3 × 333 − 100 = 899
        let net = try #require(accepted.derived().lines[2].net)
        var notes: [Invoice] = []
        for i in 0..<3 {
            notes.append(try credit(accepted, lines: ["l-i3:1"], existing: notes, id: "cn-\(i)", number: "A-0000\(i + 2)").derived())
        }
        #expect(notes.compactMap { $0.lines.first?.net }.reduce(0, +) == net)
    }

    @Test("unknown lines and credit notes of credit notes are refused")
    func refusals() throws {
        let accepted = try Fx.accepted()
        #expect(refusal { try credit(accepted, lines: ["l-x"]) }?.message == "invoice A-00001 (inv-1) has no line \"l-x\" (its lines: l-i1, l-i2, l-i3)")
        let cn = try credit(accepted, lines: nil).derived()
        #expect(refusal { try credit(cn, lines: nil, id: "cn-2") }?.message == "A-00002 (cn-1) is itself a credit note")
    }
}
