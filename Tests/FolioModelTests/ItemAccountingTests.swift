import Foundation
import Testing
@testable import FolioModel

/// Order items by quantity (issue 10, defect 8): every item ends invoiced or cancelled in
/// quantity, not only by reference.
@Suite("Order items by quantity")
struct ItemAccountingTests {
    func create(_ order: Order = Fx.order(), refs: [String]?, id: String) throws(Refusal) -> (Invoice, Order) {
        try Invoicing.create(from: order, refs: refs, id: id, config: Fx.config, stamp: Fx.stamp(), dueDate: nil, distribution: nil)
    }

    func item(_ order: Order, _ ref: String) -> OrderItem { order.items.first { $0.ref == ref }! }

    @Test("lowering a line's quantity leaves the rest of its item open, and a second invoice can take it")
    func loweredQuantityLeavesRestOpen() throws {
        var (inv, order) = try create(refs: ["i3"], id: "inv-a")      // i3: quantity 3
        #expect(item(order, "i3").status == .invoiced && item(order, "i3").invoiceId == "inv-a")
        inv.lines[0].quantity = "1"
        order = try Invoicing.retake(order, for: inv)
        let i3 = item(order, "i3")
        #expect(i3.status == .open)
        #expect(i3.invoiceId == nil)
        #expect(i3.invoicedParts == [ItemPart(invoiceId: "inv-a", quantity: "1")])
        #expect(i3.openQuantity.description == "2")
        #expect(order.openItems.map(\.ref) == ["i1", "i2", "i3"])

        let (second, after) = try create(order, refs: ["i3"], id: "inv-b")
        #expect(second.lines.map(\.quantity) == ["2"])
        let done = item(after, "i3")
        #expect(done.status == .invoiced)
        #expect(done.invoicedParts == [ItemPart(invoiceId: "inv-a", quantity: "1"), ItemPart(invoiceId: "inv-b", quantity: "2")])
        #expect(done.openQuantity.isZero)
    }

    @Test("--items REF:QTY takes part of an item; more than is left is refused, naming what is left")
    func partByQuantity() throws {
        let (inv, order) = try create(refs: ["i3:1.5"], id: "inv-a")
        #expect(inv.lines.map(\.quantity) == ["1.5"])
        #expect(item(order, "i3").openQuantity.description == "1.5")
        #expect(throws: Refusal.self) { try create(order, refs: ["i3:2"], id: "inv-b") }
        do { _ = try create(order, refs: ["i3:2"], id: "inv-b") } catch { #expect(error.message.contains("has 1.5 of 3 left")) }
        #expect(throws: Refusal.self) { try create(order, refs: ["i3:0"], id: "inv-b") }
        #expect(throws: Refusal.self) { try create(order, refs: ["i3:-1"], id: "inv-b") }
    }

    @Test("raising a line's quantity past what is left of its item is refused")
    func raisingPastTheItemIsRefused() throws {
        var (inv, order) = try create(refs: ["i3"], id: "inv-a")
        inv.lines[0].quantity = "4"
        #expect(throws: Refusal.self) { try Invoicing.retake(order, for: inv) }
        inv.lines[0].quantity = "2"
        order = try Invoicing.retake(order, for: inv)
        inv.lines[0].quantity = "3"
        order = try Invoicing.retake(order, for: inv)
        #expect(item(order, "i3").invoiceId == "inv-a" && item(order, "i3").invoicedParts == nil)   // whole again: one representation
    }

    @Test("cancelling an item with parts invoiced cancels the rest; voiding a part's invoice gives back only that part")
    func cancelRestAndVoidPart() throws {
        var (a, order) = try create(refs: ["i3:1"], id: "inv-a")
        order = try Invoicing.cancelItem(order, ref: "i3", by: Fx.seller)
        #expect(item(order, "i3").status == .cancelled)
        #expect(item(order, "i3").openQuantity.isZero)
        #expect(throws: Refusal.self) { try create(order, refs: ["i3"], id: "inv-b") }
        a = try Fx.voided(a)
        order = Invoicing.releaseItems(of: a, in: order)
        #expect(item(order, "i3").invoicedParts == nil)
        #expect(item(order, "i3").status == .cancelled)

        var (b, o2) = try create(refs: ["i3:1"], id: "inv-b")
        let (_, o3) = try create(o2, refs: ["i3:2"], id: "inv-c")
        b = try Fx.voided(b)
        o2 = Invoicing.releaseItems(of: b, in: o3)
        #expect(item(o2, "i3").invoicedParts == [ItemPart(invoiceId: "inv-c", quantity: "2")])
        #expect(item(o2, "i3").invoiceId == nil)
        #expect(item(o2, "i3").status == .open && item(o2, "i3").openQuantity.description == "1")
    }

    @Test("one part left after a void becomes the same bytes as the part taken alone")
    func oneRepresentation() throws {
        let (_, alone) = try create(refs: ["i3:2"], id: "inv-c")
        let (b, both) = try create(refs: ["i3:1"], id: "inv-b")
        let (_, o) = try create(both, refs: ["i3:2"], id: "inv-c")
        let released = Invoicing.releaseItems(of: try Fx.voided(b), in: o)
        #expect(item(released, "i3") == item(alone, "i3"))
    }
}

@Suite("Order items by quantity: merges")
struct ItemAccountingMergeTests {
    static let path = DocumentPaths.path(.order, id: "o1")

    func merge(_ base: Order, _ x: Order, _ y: Order) throws -> (Order, MergeOutcome) {
        let (b, xj, yj) = (JSONValue.encoding(base), JSONValue.encoding(x), JSONValue.encoding(y))
        let one = try DocumentMerge.merge(path: Self.path, base: b, a: xj, b: yj, sideA: MergeTests.sideX, sideB: MergeTests.sideY)
        let two = try DocumentMerge.merge(path: Self.path, base: b, a: yj, b: xj, sideA: MergeTests.sideY, sideB: MergeTests.sideX)
        #expect(one.result == two.result, "symmetric")
        return (try #require(one.result).decode(Order.self), one)
    }

    func take(_ order: Order, _ spec: String, _ id: String) throws -> Order {
        try Invoicing.create(from: order, refs: [spec], id: id, config: Fx.config, stamp: Fx.stamp(), dueDate: nil, distribution: nil).1
    }

    @Test("parts taken on two replicas are both kept; when they add up to the item it is invoiced")
    func partsAddUp() throws {
        let base = Fx.order()
        let (merged, outcome) = try merge(base, try take(base, "i3:1", "inv-a"), try take(base, "i3:2", "inv-b"))
        let i3 = merged.items[2]
        #expect(i3.invoicedParts == [ItemPart(invoiceId: "inv-a", quantity: "1"), ItemPart(invoiceId: "inv-b", quantity: "2")])
        #expect(i3.status == .invoiced)
        #expect(outcome.conflicts.isEmpty)
    }

    @Test("parts taken on two replicas beyond the item's quantity carry a record naming both invoices")
    func partsBeyondQuantity() throws {
        let base = Fx.order()
        let (merged, outcome) = try merge(base, try take(base, "i3:2", "inv-a"), try take(base, "i3:2", "inv-b"))
        #expect(merged.items[2].invoicedQuantity().description == "4")
        let record = try #require(outcome.conflicts.first)
        #expect(record.path == "/items/2/invoicedParts")
        #expect(record.reason?.contains("inv-a (2), inv-b (2)") == true)
        #expect(merged.conflicts?.count == 1)
    }
}
