import Foundation
import Testing
@testable import FolioModel

@Suite("Validator over in-memory files")
struct ValidatorTests {
    static let inv1 = RepoFixture.invoicePath("inv-1")
    static let inv2 = RepoFixture.invoicePath("inv-2")
    static let inv3 = RepoFixture.invoicePath("inv-3")
    static let o1 = RepoFixture.orderPath("o1")
    static let o2 = RepoFixture.orderPath("o2")

    @Test("a consistent repository has no findings at all")
    func consistent() throws {
        let repo = try RepoFixture.consistent()
        #expect(repo.findings() == [])
        // sanity: the fixture has the states the other tests rely on
        let i1 = try repo.json(Self.inv1).decode(Invoice.self)
        let i2 = try repo.json(Self.inv2).decode(Invoice.self)
        let i3 = try repo.json(Self.inv3).decode(Invoice.self)
        #expect([i1.status, i2.status, i3.status] == [.pendingApproval, .accepted, .draft])
        #expect([i1.paymentStatus, i2.paymentStatus, i3.paymentStatus] == [.partiallyPaid, .paid, .open])
        #expect([i1.number, i2.number, i3.number] == ["A-00001", "A-00002", nil])
        #expect(repo.files.count == 9)
    }

    @Test("an empty tree is missing its settings")
    func empty() {
        let errors = RepoFixture().errors()
        #expect(errors == [Triple("repo/missing", ".folio/config.json", ""), Triple("repo/missing", ".folio/parties.json", "")])
    }

    @Test("json/canonical: the right document in the wrong bytes")
    func canonical() throws {
        var repo = try RepoFixture.consistent()
        let json = try repo.json(Self.inv1)
        repo.files[Self.inv1] = Data((CanonicalJSON.compact(json) + "\n").utf8)
        #expect(repo.errors() == [Triple("json/canonical", Self.inv1, "")])
        #expect(Validator(files: repo.files, options: { var o = Validator.Options(); o.checkCanonical = false; return o }()).run() == [])
    }

    @Test("json/syntax: a conflict-marked settings file is named with its line")
    func markers() throws {
        var repo = try RepoFixture.consistent()
        var text = String(decoding: try #require(repo.files[DocumentPaths.parties]), as: UTF8.self)
        text = text.replacingOccurrences(of: "\n  \"parties\"", with: "\n<<<<<<< ours\n  \"parties\"")
        repo.files[DocumentPaths.parties] = Data(text.utf8)
        let findings = repo.findings()
        #expect(findings.map { Triple($0.rule, $0.file, $0.pointer) } == [Triple("json/syntax", DocumentPaths.parties, "")])
        #expect(findings.first?.message.contains("conflict marker on line 2") == true)
    }

    @Test("path/id: a document stored outside the path of its id")
    func pathID() throws {
        var repo = try RepoFixture.consistent()
        let wrong = "invoices/00/00/inv-1.json"
        #expect(wrong != Self.inv1)
        repo.files[wrong] = repo.files.removeValue(forKey: Self.inv1)
        #expect(repo.errors() == [Triple("path/id", wrong, "/id")])
    }

    @Test("schema/id: an id that tries to leave its folder")
    func idEscapes() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv3, "/lines/0/id", .string("../../x"))
        #expect(repo.errors().filter { $0.file == Self.inv3 } == [Triple("schema/id", Self.inv3, "/lines/0/id")])
    }

    @Test("arith/line: a stored line amount that the line does not give")
    func arithLine() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/lines/1/tax", .int(112))    // 7.5 % of 15.00 is 1.125 → 1.13
        #expect(repo.errors() == [Triple("arith/line", Self.inv1, "/lines/1/tax")])
        #expect(repo.findings().first?.message == "is 112 but quantity × unitPrice − discount and the tax rate give 113")
    }

    @Test("arith/totals: a stored total that the lines do not give")
    func arithTotals() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv2, "/totals/subtotal", .int(1000))
        #expect(repo.errors() == [Triple("arith/totals", Self.inv2, "/totals/subtotal")])
    }

    @Test("arith/balance: a stored open balance that the payments do not give")
    func arithBalance() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/totals/open", .int(0))
        #expect(repo.errors() == [Triple("arith/balance", Self.inv1, "/totals/open")])
    }

    @Test("arith/payment-status: a paymentStatus that the balance does not give")
    func paymentStatus() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/paymentStatus", .string("paid"))
        #expect(repo.errors() == [Triple("arith/payment-status", Self.inv1, "/paymentStatus")])
    }

    @Test("status/events: a status that the events do not give")
    func statusEvents() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/status", .string("accepted"))
        #expect(repo.errors() == [Triple("status/events", Self.inv1, "/status")])
    }

    @Test("unique/number: two invoices with one number are both reported")
    func uniqueNumber() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv3, "/number", .string("A-00001"))
        #expect(Set(repo.errors()) == [Triple("unique/number", Self.inv1, "/number"), Triple("unique/number", Self.inv3, "/number")])
        #expect(repo.errors().count == 2)
    }

    @Test("order/item-twice: an item taken by two invoices")
    func itemTwice() throws {
        var repo = try RepoFixture.consistent()
        var copy = try repo.json(Self.inv1).decode(Invoice.self)
        copy.id = "inv-4"
        copy.number = nil
        copy.events = []
        copy.payments = []
        copy.extraFields = nil
        copy.lines = [copy.lines[0]]
        repo.put(RepoFixture.invoicePath("inv-4"), try copy.derived())
        #expect(repo.errors() == [Triple("order/item-twice", Self.o1, "/items/0")])
    }

    @Test("order/item-quantity: an item recorded as taken whole by an invoice that bills less of it (defect 8)")
    func itemQuantity() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.inv1, as: Invoice.self) { inv in inv.lines[0].quantity = "1"; inv = try inv.derived() }
        #expect(repo.errors().filter { $0.rule.hasPrefix("order/") } == [Triple("order/item-quantity", Self.o1, "/items/0")])
        // What Folio writes for it: the item records the part, and the rest is open.
        try repo.edit(Self.o1, as: Order.self) { o in o.items[0].setTake(invoiceID: "inv-1", quantity: ExactDecimal(1)) }
        #expect(repo.errors().filter { $0.rule.hasPrefix("order/") } == [])
        // Parts that claim all of the item while it says open are caught by the order alone.
        try repo.edit(Self.o1, as: Order.self) { o in o.items[0].invoicedParts = [ItemPart(invoiceId: "inv-1", quantity: "2")]; o.items[0].invoiceId = nil }
        #expect(repo.errors().contains(Triple("order/item-status", Self.o1, "/items/0/status")))
    }

    @Test("a void invoice no longer holds its items")
    func voidReleases() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.inv3, as: Invoice.self) { inv in inv = try Fx.voided(inv) }
        // the order still says invoiced, but no live invoice has the item
        #expect(repo.errors() == [Triple("order/item-status", Self.o2, "/items/0/status")])
    }

    @Test("order/item-missing: a line that names an item the order does not have")
    func itemMissing() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.o2, as: Order.self) { $0.items = [] }
        #expect(repo.errors() == [Triple("order/item-missing", Self.inv3, "/lines/0/orderItemRef")])
    }

    @Test("order/marketplace: an invoice of a marketplace order")
    func marketplace() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.o2, "/channel", .string("marketplace"))
        #expect(repo.errors() == [Triple("order/marketplace", Self.inv3, "/orderId")])
    }

    @Test("order/missing: an invoice of an order that does not exist")
    func orderMissing() throws {
        var repo = try RepoFixture.consistent()
        repo.files[Self.o2] = nil
        #expect(repo.errors() == [Triple("order/missing", Self.inv3, "/orderId")])
    }

    @Test("fields/required: a sent invoice without a required extra field")
    func fieldsRequired() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.inv1, as: Invoice.self) { $0.extraFields?.removeFirst() }
        #expect(repo.errors() == [Triple("fields/required", Self.inv1, "/extraFields")])
    }

    @Test("a draft need not have its required extra fields yet")
    func draftNeedsNoRequiredFields() throws {
        let repo = try RepoFixture.consistent()
        let draft = try repo.json(Self.inv3).decode(Invoice.self)
        #expect(draft.extraFields == nil)
        #expect(repo.errors().isEmpty)
    }

    @Test("fields/unique: two invoices with one unique value are both reported")
    func fieldsUnique() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv2, "/extraFields/2/fieldValue", .string("PO-1"))
        #expect(Set(repo.errors()) == [Triple("fields/unique", Self.inv1, "/extraFields/2/fieldValue"), Triple("fields/unique", Self.inv2, "/extraFields/2/fieldValue")])
        #expect(repo.errors().count == 2)
    }

    @Test("fields/max-length: a value longer than its definition allows")
    func fieldsMaxLength() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/extraFields/0/fieldValue", .string("CC-123456"))
        #expect(repo.errors() == [Triple("fields/max-length", Self.inv1, "/extraFields/0/fieldValue")])
    }

    @Test("fields/list: a value outside the list of values")
    func fieldsList() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/extraFields/1/fieldValue", .string("ASIA"))
        #expect(repo.errors() == [Triple("fields/list", Self.inv1, "/extraFields/1/fieldValue")])
    }

    @Test("fields/list: a list definition without values")
    func fieldsListDefinition() throws {
        var repo = try RepoFixture.consistent()
        var defs = RepoFixture.fieldDefs
        defs.fields.append(FieldDefinition(fieldName: "tier", fieldType: .list))
        repo.put(DocumentPaths.fields, defs)
        #expect(repo.errors() == [Triple("fields/list", DocumentPaths.fields, "/fields/3/listOfValue")])
    }

    @Test("fields/unknown: a value for a field nobody defined")
    func fieldsUnknown() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.inv1, as: Invoice.self) { $0.extraFields?.append(ExtraFieldValue(fieldName: "colour", fieldValue: "red")) }
        #expect(repo.errors() == [Triple("fields/unknown", Self.inv1, "/extraFields/3/fieldName")])
    }

    @Test("conflicts/unresolved: a conflict record left in a document")
    func conflicts() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/conflicts", .array([.object([
            "id": .string("cf-1"), "path": .string("/note"), "ours": .string("a"), "theirs": .string("b"), "reason": .string("both changed"),
        ])]))
        #expect(repo.errors() == [Triple("conflicts/unresolved", Self.inv1, "/conflicts/0")])
        #expect(repo.findings().first?.message.contains("folio resolve inv-1 --path /note") == true)
    }

    @Test("series/gap: a series whose last number was neither used nor voided")
    func seriesGap() throws {
        var repo = try RepoFixture.consistent()
        repo.put(RepoFixture.seriesPath, SeriesState(prefix: "A", last: 3))
        #expect(repo.errors() == [Triple("series/gap", RepoFixture.seriesPath, "/last")])
        #expect(repo.findings().first?.message.contains("sequence 3") == true)
    }

    @Test("a number recorded as void fills its place in the series")
    func seriesVoid() throws {
        var repo = try RepoFixture.consistent()
        repo.put(RepoFixture.seriesPath, SeriesState(prefix: "A", last: 3, void: [VoidNumber(number: "A-00003", invoiceId: "inv-3", reason: "sent twice")]))
        #expect(repo.errors().isEmpty)
    }

    @Test("series/ahead: a number beyond the series' last")
    func seriesAhead() throws {
        var repo = try RepoFixture.consistent()
        repo.put(RepoFixture.seriesPath, SeriesState(prefix: "A", last: 1))
        #expect(repo.errors() == [Triple("series/ahead", RepoFixture.seriesPath, "/last")])
    }

    @Test("series/missing: numbers of a series without a state file")
    func seriesMissing() throws {
        var repo = try RepoFixture.consistent()
        repo.files[RepoFixture.seriesPath] = nil
        #expect(repo.errors() == [Triple("series/missing", RepoFixture.seriesPath, "")])
    }

    @Test("number/missing: a sent invoice without a number")
    func numberMissing() throws {
        var repo = try RepoFixture.consistent()
        try repo.edit(Self.inv2, as: Invoice.self) { $0.number = nil }
        let errors = repo.errors()
        #expect(errors.contains(Triple("number/missing", Self.inv2, "/number")))
        #expect(errors.contains(Triple("series/gap", RepoFixture.seriesPath, "/last")))   // and A-00002 is now a hole
        #expect(errors.count == 2)
    }

    @Test("schema findings inside the repository name the file and the field")
    func schemaInRepo() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv1, "/lines/0/unitPrice", .string("49.00"))
        let errors = repo.errors()
        #expect(errors.contains(Triple("schema/type", Self.inv1, "/lines/0/unitPrice")))
        // the invoice cannot be read, so its items look unowned: reported, not hidden
        #expect(errors.filter { $0.file == Self.inv1 } == [Triple("schema/type", Self.inv1, "/lines/0/unitPrice")])
    }

    @Test("findings come sorted by file, pointer and rule")
    func sorted() throws {
        var repo = try RepoFixture.consistent()
        try repo.set(Self.inv3, "/status", .string("accepted"))
        try repo.set(Self.inv1, "/lines/0/net", .int(1))
        try repo.set(Self.inv1, "/conflicts", .array([.object(["id": .string("cf-1"), "path": .string("/note")])]))
        let findings = repo.findings()
        #expect(findings.count == 3)
        #expect(findings == findings.sorted { ($0.file, $0.pointer, $0.rule) < ($1.file, $1.pointer, $1.rule) })
    }
}
