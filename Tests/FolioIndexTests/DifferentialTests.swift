import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo
@testable import FolioIndex

/// The index must answer every `folio list` question exactly as `InvoiceQuery.run` does over
/// the documents themselves: same page (ids, order, fields) and same total, for many random
/// queries on a generated repository plus hand-made edge cases.
@Suite(.serialized) struct DifferentialTests {
    nonisolated(unsafe) static let dir = TempDir("folio-diff")
    nonisolated(unsafe) static let setup: (git: GitRepository, invoices: [Invoice], skipped: Set<String>, index: RepositoryIndex) = {
        let path = try! Fixture.generated(dir, invoices: 1_500, seed: 11, checkout: false)
        let git = try! GitRepository.open(at: path)
        try! Fixture.commit(git, try! Fixture.edgeChanges(git), message: "edge cases")
        let (invoices, skipped) = try! Fixture.reference(git)
        let index = try! RepositoryIndex.open(git)
        return (git, invoices, skipped, index)
    }()

    @Test func skippedDocumentsAreExactlyTheUnusableOnes() throws {
        let s = Self.setup
        #expect(Set(try s.index.problemPaths()) == s.skipped)
        #expect(s.skipped == Fixture.badPaths)
        let messages = try s.index.problems()
        #expect(messages.contains { $0.hasPrefix(DocumentPaths.path(.invoice, id: "bad-type") + "#/lines/0/unitPrice: error[schema/type]") })
        #expect(messages.contains { $0.hasPrefix("invoices/00/00/misplaced-copy.json#/id: error[path/mismatch]") })
        #expect(s.invoices.count == 1_500 + 14)
    }

    @Test func everyIndexedInvoiceMatchesItsDocument() throws {
        var q = InvoiceQuery()
        q.limit = 100_000
        let (page, total) = try Self.setup.index.invoices(q)
        let reference = q.run(Self.setup.invoices)
        #expect(total == reference.totalCount)
        #expect(page == reference.page.map(InvoiceSummary.init))
    }

    @Test(arguments: 0..<8)
    func randomQueries(batch: Int) throws {
        let s = Self.setup
        var rng = SplitMix(state: 0xF011_0000 + UInt64(batch))
        let values = Values(s.invoices)
        var failures = 0
        for round in 0..<120 {
            let q = values.randomQuery(&rng)
            let expected = q.run(s.invoices)
            let (page, total) = try s.index.invoices(q)
            let ok = total == expected.totalCount && page == expected.page.map(InvoiceSummary.init)
            if !ok {
                failures += 1
                Issue.record("""
                    batch \(batch) round \(round): \(q)
                    expected \(expected.totalCount): \(expected.page.map(\.id))
                    index    \(total): \(page.map(\.id))
                    \(try s.index.explain(q))
                    """)
                if failures > 3 { return }
            }
        }
    }

    @Test func inboxMatchesTheModel() throws {
        let s = Self.setup
        let actors = [
            Actor(email: "ana@seller.example", party: Party(role: .seller)),
            Actor(email: "buyer1@c1.example", party: Party(role: .buyer, customerId: "C00001")),
            Actor(email: "buyer7@c7.example", party: Party(role: .buyer, customerId: "C00007")),
            Actor(email: "nobody@x.example", party: Party(role: .buyer, customerId: nil)),
        ]
        for actor in actors {
            let expected = Inbox.items(for: actor, in: s.invoices).map { "\($0.invoice.id) \($0.reason)" }
            let got = try s.index.inbox(for: actor).map { "\($0.invoice.id) \($0.reason)" }
            #expect(got == expected, "\(actor.email)")
        }
    }

    @Test func openItemsMatchTheOrders() throws {
        let s = Self.setup
        let orders = try FolioRepository.open(s.git.workdir ?? s.git.gitDir).snapshot().orders()
        let expected = orders.filter { !$0.openItems.isEmpty }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        let (page, total) = try s.index.orders(openItemsOnly: true, customerId: nil, offset: 0, limit: 100_000)
        #expect(total == expected.count)
        #expect(page.map(\.id) == expected.map(\.id))
        #expect(page.map { $0.openItems.map(\.ref) } == expected.map { $0.openItems.map(\.ref) })
        let one = try #require(expected.first)
        let (mine, count) = try s.index.orders(openItemsOnly: true, customerId: one.customer.id, offset: 0, limit: 10)
        #expect(count == expected.filter { $0.customer.id == one.customer.id }.count)
        #expect(mine.allSatisfy { $0.customer.id == one.customer.id })
    }

    @Test func textSearchUsesTrigramsAndSortsUseIndexes() throws {
        var q = InvoiceQuery()
        q.q = "po-1234"
        #expect(try Self.setup.index.explain(q).contains("invoice_search VIRTUAL TABLE"))
        q = InvoiceQuery()
        q.statuses = [.accepted]
        q.sortBy = .dueDate
        let plan = try Self.setup.index.explain(q)
        #expect(plan.contains("invoices_status_due") && !plan.contains("TEMP B-TREE"))
    }
}

/// Values to draw queries from: mostly ones the data holds, sometimes ones it does not, in
/// the spellings users type.
struct Values {
    let invoices: [Invoice]
    init(_ invoices: [Invoice]) { self.invoices = invoices }

    func any(_ rng: inout SplitMix) -> Invoice { invoices[rng.int(invoices.count)] }

    func substring(_ s: String, _ rng: inout SplitMix) -> String {
        let chars = Array(s)
        guard !chars.isEmpty else { return "" }
        let start = rng.int(chars.count)
        let length = 1 + rng.int(min(8, chars.count - start))
        let piece = String(chars[start..<(start + length)])
        switch rng.int(3) { case 0: return piece.uppercased(); case 1: return piece.lowercased(); default: return piece }
    }

    func date(_ rng: inout SplitMix) -> String {
        Dates.formatDate(days: Dates.parseDate("2024-12-01")! + rng.int(800))
    }

    func randomQuery(_ rng: inout SplitMix) -> InvoiceQuery {
        var q = InvoiceQuery()
        let filters = 1 + rng.int(3)
        for _ in 0..<filters {
            switch rng.int(19) {
            case 0: q.ids = (0..<(1 + rng.int(3))).map { _ in rng.chance(85) ? any(&rng).id : "inv-nope" }
            case 1:
                let inv = any(&rng)
                let number = inv.number ?? "A-00001"
                switch rng.int(5) {
                case 0: q.number = number
                case 1: q.number = number.lowercased()
                case 2: q.number = Series.parse(number).map { String($0.sequence) } ?? number
                case 3: q.number = Series.parse(number).map { "00" + String($0.sequence) } ?? "7"
                default: q.number = rng.pick(["+7", "Å-7", "A\u{30A}-7", "ä-00042", "0", "-3", "B-1"])
                }
            case 2: q.customerId = rng.chance(90) ? any(&rng).customer.id : "C99999"
            case 3: q.customerName = rng.chance(80) ? substring(any(&rng).customer.name ?? "", &rng)
                                                    : rng.pick(["café", "CAFE\u{301}", "kelvin", "\u{212A}", "straße", "STRASSE", "i", "İ", "ı", "ü", "\t", "", "zz"])
            case 4: q.statuses = (0..<(1 + rng.int(2))).map { _ in rng.pick(InvoiceStatus.allCases) }
            case 5: q.paymentStatuses = (0..<(1 + rng.int(2))).map { _ in rng.pick(PaymentStatus.allCases) }
            case 6: q.productIds = (0..<(1 + rng.int(2))).map { _ in rng.chance(90) ? String(format: "P-%03d", 100 + rng.int(12)) : "P-999" }
            case 7: q.orderId = rng.chance(90) ? any(&rng).orderId : "ord-nope"
            case 8: q.externalIds = (0..<(1 + rng.int(3))).map { _ in rng.chance(85) ? (any(&rng).externalId ?? "x") : rng.pick(["\u{C9}XT-1", "nope"]) }
            case 9: q.channels = (0..<(1 + rng.int(2))).map { _ in rng.pick(["web", "WEB", "b2b", "B2B", "showroom", "Phone", "marketplace"]) }
            case 10: q.type = rng.pick(["invoice", "INVOICE", "credit_note", "credit-note", "CreditNote", "other"])
            case 11: (q.issuedFrom, q.issuedTo) = (date(&rng), rng.chance(50) ? date(&rng) : nil)
            case 12: (q.dueFrom, q.dueTo) = (rng.chance(50) ? date(&rng) : nil, date(&rng))
            case 13: (q.createdFrom, q.createdTo) = (date(&rng), date(&rng))
            case 14: q.overdueOn = date(&rng)
            case 15, 16:
                let inv = any(&rng)
                let field = rng.chance(60) ? nil : rng.pick(InvoiceQuery.SearchField.allCases)
                q.searchBy = field
                let source = rng.pick([inv.number ?? "", inv.type, inv.orderId ?? "", inv.purchaseOrderNumber ?? "", inv.customer.id, inv.externalCustomerId ?? ""])
                q.q = rng.chance(85) ? substring(source, &rng) : rng.pick(["\r", "\n", "-\r\n7", "érp-é", "ÉRP", "po-", "zzz", "A\u{30A}"])
            case 17: q.visibleCustomer = rng.chance(80) ? any(&rng).customer.id : "\u{0}"
            default: q.number = rng.pick(["A-99001", "a-99001", "99001"])
            }
        }
        q.sortBy = rng.pick(InvoiceQuery.SortKey.allCases)
        q.descending = rng.chance(50)
        q.offset = rng.chance(70) ? 0 : rng.int(rng.chance(80) ? 60 : 3_000)
        q.limit = rng.chance(10) ? 0 : 1 + rng.int(rng.chance(80) ? 60 : 1_000)
        return q
    }
}
