import Foundation
import Testing
@testable import FolioModel

@Suite("InvoiceQuery")
struct InvoiceQueryTests {
    static let acme = Fx.customer
    static let globex = Customer(id: "c2", name: "Globex Inc", externalId: "EXT-C2")

    /// Six invoices with deliberate ties on dueDate and customer.
    static func invoices() throws -> [Invoice] {
        let sent = [Fx.event(.sent, 1, minute: 1, id: "s")]
        var a = try Fx.listed(id: "inv-a", number: "A-00001", customer: acme, dueDate: "2026-02-01", createdAt: Fx.ts(1), events: sent)
        a.externalId = "X-1"
        a.channel = "web"
        let b = try Fx.listed(id: "inv-b", number: "A-00002", customer: globex, dueDate: "2026-02-01", createdAt: Fx.ts(2),
                              events: sent + [Fx.event(.accepted, 1, minute: 2, id: "acc")], payments: [Fx.payment("p", 14372)])
        var c = try Fx.listed(id: "inv-c", number: "B-00007", customer: acme, dueDate: "2026-01-05", createdAt: Fx.ts(3),
                              events: sent, payments: [Fx.payment("p", 100)], refs: ["i2"])
        c.externalId = "X-3"
        c.purchaseOrderNumber = "PO-SPECIAL"
        let d = try Fx.listed(id: "inv-d", customer: globex, dueDate: "2026-03-01", createdAt: Fx.ts(4))
        var e = try Fx.listed(id: "inv-e", number: "A-00003", customer: acme, dueDate: "2026-01-05", createdAt: Fx.ts(5),
                              events: [Fx.event(.issued, 1, minute: 1, id: "i")], refs: ["i3"])
        e.issueDate = "2026-01-01"
        var f = try Fx.listed(id: "inv-f", customer: acme, dueDate: "2026-03-01", createdAt: Fx.ts(0), refs: ["i1"])
        f.type = InvoiceType.creditNote
        // shuffled on purpose: the result must not depend on input order
        return [d, f, b, e, a, c].map { var x = $0; x.updatedAt = x.createdAt; return x }
    }

    func ids(_ q: InvoiceQuery) throws -> [String] { q.run(try Self.invoices()).page.map(\.id) }

    func query(_ configure: (inout InvoiceQuery) -> Void) -> InvoiceQuery {
        var q = InvoiceQuery()
        configure(&q)
        return q
    }

    @Test("the default query lists everything by createdAt ascending")
    func defaults() throws {
        let q = InvoiceQuery()
        #expect(q.sortBy == .createdAt && !q.descending && q.offset == 0 && q.limit == 50)
        #expect(try ids(q) == ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"])
    }

    typealias Configure = @Sendable (inout InvoiceQuery) -> Void
    static let filterCases: [(String, Configure, [String])] = [
        ("status pending", { $0.statuses = [.pendingApproval] }, ["inv-a", "inv-c"]),
        ("status accepted or issued", { $0.statuses = [.accepted, .issued] }, ["inv-b", "inv-e"]),
        ("paymentStatus paid", { $0.paymentStatuses = [.paid] }, ["inv-b"]),
        ("paymentStatus partially paid", { $0.paymentStatuses = [.partiallyPaid] }, ["inv-c"]),
        ("customerId", { $0.customerId = "c2" }, ["inv-b", "inv-d"]),
        ("customerName substring, any case", { $0.customerName = "GLOB" }, ["inv-b", "inv-d"]),
        ("productId on any line", { $0.productIds = ["p-gadget"] }, ["inv-a", "inv-b", "inv-c", "inv-d"]),
        ("productId only on some", { $0.productIds = ["p-service", "nope"] }, ["inv-a", "inv-b", "inv-d", "inv-e"]),
        ("full number", { $0.number = "a-00002" }, ["inv-b"]),
        ("number without prefix", { $0.number = "7" }, ["inv-c"]),
        ("number without prefix, padded", { $0.number = "00001" }, ["inv-a"]),
        ("ids", { $0.ids = ["inv-e", "inv-a", "zzz"] }, ["inv-a", "inv-e"]),
        ("externalIds (many)", { $0.externalIds = ["X-3", "X-1"] }, ["inv-a", "inv-c"]),
        ("channel, any case", { $0.channels = ["WEB"] }, ["inv-a"]),
        ("orderId", { $0.orderId = "o1" }, ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"]),
        ("orderId none", { $0.orderId = "o2" }, []),
        ("type credit note, kebab-case", { $0.type = "credit-note" }, ["inv-f"]),
        ("due range, inclusive", { $0.dueFrom = "2026-01-05"; $0.dueTo = "2026-02-01" }, ["inv-a", "inv-b", "inv-c", "inv-e"]),
        ("issued range", { $0.issuedTo = "2026-01-01" }, ["inv-e"]),
        ("created range by day", { $0.createdFrom = "2026-01-10"; $0.createdTo = "2026-01-10" }, ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"]),
        ("created range excluding", { $0.createdFrom = "2026-01-11" }, []),
        ("overdue: owed, past due, money open", { $0.overdueOn = "2026-01-20" }, ["inv-c", "inv-e"]),
        ("q over every search field", { $0.q = "special" }, ["inv-c"]),
        ("q by invoice number", { $0.q = "a-0000"; $0.searchBy = .invoiceNumber }, ["inv-a", "inv-b", "inv-e"]),
        ("q by customer id", { $0.q = "c2"; $0.searchBy = .customerId }, ["inv-b", "inv-d"]),
        ("q by external customer id", { $0.q = "ext-c2"; $0.searchBy = .externalCustomerId }, ["inv-b", "inv-d"]),
        ("q by PO number misses other fields", { $0.q = "A-0000"; $0.searchBy = .purchaseOrderNumber }, []),
        ("q by order number", { $0.q = "o1"; $0.searchBy = .orderNumber }, ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"]),
        ("q by type", { $0.q = "credit"; $0.searchBy = .type }, ["inv-f"]),
        ("a buyer sees only their customer", { $0.visibleCustomer = "c2"; $0.customerId = "c1" }, []),
        ("a buyer's own", { $0.visibleCustomer = "c2" }, ["inv-b", "inv-d"]),
        ("filters combine with and", { $0.customerId = "c1"; $0.statuses = [.pendingApproval]; $0.externalIds = ["X-3"] }, ["inv-c"]),
    ]

    @Test("filters narrow the list", arguments: filterCases)
    func filters(name: String, configure: @Sendable (inout InvoiceQuery) -> Void, expected: [String]) throws {
        let q = query(configure)
        let (page, total) = q.run(try Self.invoices())
        #expect(page.map(\.id) == expected, "\(name)")
        #expect(total == expected.count)
    }

    @Test("sort keys order rows; ties are broken by id", arguments: [
        (InvoiceQuery.SortKey.dueDate, ["inv-c", "inv-e", "inv-a", "inv-b", "inv-d", "inv-f"]),
        (.customerId, ["inv-a", "inv-c", "inv-e", "inv-f", "inv-b", "inv-d"]),
        (.invoiceNumber, ["inv-d", "inv-f", "inv-a", "inv-b", "inv-e", "inv-c"]),
        (.status, ["inv-b", "inv-d", "inv-f", "inv-e", "inv-a", "inv-c"]),   // by the status name
        (.openBalance, ["inv-b", "inv-e", "inv-c", "inv-f", "inv-a", "inv-d"]),
        (.originalBalance, ["inv-e", "inv-c", "inv-f", "inv-a", "inv-b", "inv-d"]),
        (.createdAt, ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"]),
        (.updatedAt, ["inv-f", "inv-a", "inv-b", "inv-c", "inv-d", "inv-e"]),
    ])
    func sorting(key: InvoiceQuery.SortKey, expected: [String]) throws {
        let asc = try ids(query { $0.sortBy = key })
        #expect(asc == expected)
        let desc = try ids(query { $0.sortBy = key; $0.descending = true })
        #expect(desc == expected.reversed())
    }

    @Test("offset and limit page through a stable order; totalCount counts every match", arguments: [
        (0, 2, ["inv-c", "inv-e"]), (2, 2, ["inv-a", "inv-b"]), (4, 2, ["inv-d", "inv-f"]), (5, 10, ["inv-f"]),
        (6, 2, [String]()), (100, 5, []), (0, 0, []), (1, -3, []), (-4, 2, ["inv-c", "inv-e"]),
    ])
    func paging(offset: Int, limit: Int, expected: [String]) throws {
        let q = query { $0.sortBy = .dueDate; $0.offset = offset; $0.limit = limit }
        let (page, total) = q.run(try Self.invoices())
        #expect(page.map(\.id) == expected)
        #expect(total == 6)
    }

    @Test("pages cover every row exactly once")
    func pagesCoverAll() throws {
        var seen: [String] = []
        for offset in stride(from: 0, to: 6, by: 4) {
            seen += try ids(query { $0.sortBy = .status; $0.descending = true; $0.offset = offset; $0.limit = 4 })
        }
        #expect(seen == (try ids(query { $0.sortBy = .status; $0.descending = true })))
        #expect(Set(seen).count == 6)
    }

    @Test("normalize makes camelCase, kebab-case and SNAKE_CASE the same name", arguments: [
        ("dueDate", "due-date"), ("DUE_DATE", "duedate"), ("invoiceNumber", "Invoice-Number"), ("ASC", "asc"),
        ("partiallyPaid", "partially_paid"), ("pendingApproval", "pending-approval"),
    ])
    func normalize(a: String, b: String) {
        #expect(InvoiceQuery.normalize(a) == InvoiceQuery.normalize(b))
    }

    @Test("parse accepts every spelling of a sort key, search field or status", arguments: [
        ("dueDate", "dueDate"), ("due-date", "dueDate"), ("DUE_DATE", "dueDate"), ("invoice-number", "invoiceNumber"),
        ("openbalance", "openBalance"), ("Original-Balance", "originalBalance"), ("created-at", "createdAt"),
    ])
    func parseSortKey(text: String, raw: String) {
        #expect(InvoiceQuery.parse(text, as: InvoiceQuery.SortKey.self)?.rawValue == raw)
    }

    @Test("parse of search fields and statuses")
    func parseOthers() {
        #expect(InvoiceQuery.parse("invoiceNumber", as: InvoiceQuery.SearchField.self) == .invoiceNumber)
        #expect(InvoiceQuery.parse("external-customer-id", as: InvoiceQuery.SearchField.self) == .externalCustomerId)
        #expect(InvoiceQuery.parse("PO-number", as: InvoiceQuery.SearchField.self) == nil)
        #expect(InvoiceQuery.parse("pending-approval", as: InvoiceStatus.self) == .pendingApproval)
        #expect(InvoiceQuery.parse("PendingApproval", as: InvoiceStatus.self) == .pendingApproval)
        #expect(InvoiceQuery.parse("partially_paid", as: PaymentStatus.self) == .partiallyPaid)
        #expect(InvoiceQuery.parse("due", as: InvoiceQuery.SortKey.self) == nil)
        #expect(InvoiceQuery.parse("", as: InvoiceQuery.SortKey.self) == nil)
    }

    @Test("overdue needs an owed status, a past due date and an open balance")
    func overdue() throws {
        let invs = try Self.invoices()
        let byID = Dictionary(uniqueKeysWithValues: invs.map { ($0.id, $0) })
        let c = try #require(byID["inv-c"])
        #expect(InvoiceQuery.isOverdue(c, status: .pendingApproval, today: "2026-01-06"))
        #expect(!InvoiceQuery.isOverdue(c, status: .pendingApproval, today: "2026-01-05"))   // due today is not overdue
        #expect(!InvoiceQuery.isOverdue(c, status: .draft, today: "2026-01-06"))
        #expect(!InvoiceQuery.isOverdue(c, status: .voided, today: "2026-01-06"))
        #expect(!InvoiceQuery.isOverdue(try #require(byID["inv-b"]), status: .accepted, today: "2027-01-01"))  // paid
    }
}
