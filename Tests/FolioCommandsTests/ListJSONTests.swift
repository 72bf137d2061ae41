import Foundation
import Testing
@testable import FolioIndex
import FolioModel
@testable import FolioCommands

/// `folio list --json` streams its page (`ListCommand.pageJSON`); it must be byte for byte
/// what CanonicalJSON writes for `ListCommand.row`, which the other commands print.
@Suite struct ListJSONTests {
    /// The index's invoice that every empty filter accepts.
    static let template: Invoice = MatchFunctions.template

    static func random(_ rng: inout SplitMix64) -> InvoiceSummary {
        let texts = ["", "INV-00042", "Ünïcødé & Co", "quote \" back \\ slash", "tab\tnew\nline", "😀", "\u{1}ctl", "C00042", "a@b.example"]
        func text() -> String { texts[rng.int(texts.count)] }
        func maybe() -> String? { rng.chance(30) ? nil : text() }
        var s = InvoiceSummary(template)
        s.id = text(); s.number = maybe(); s.type = text(); s.orderId = maybe()
        s.status = rng.chance(20) ? nil : InvoiceStatus.allCases[rng.int(InvoiceStatus.allCases.count)]
        s.paymentStatus = rng.chance(20) ? nil : PaymentStatus.allCases[rng.int(PaymentStatus.allCases.count)]
        s.customer = Customer(id: text(), name: maybe(), email: maybe(), externalId: maybe())
        s.currency = ["EUR", "JPY", "BHD", "CLF", "XXX", ""][rng.int(6)]
        s.issueDate = text(); s.dueDate = text(); s.createdAt = text(); s.updatedAt = text()
        s.revision = rng.int(40) - 3
        func money() -> Int64 { Int64(rng.int(2_000_000)) - 500_000 }
        s.totals = rng.chance(20) ? nil : Totals(subtotal: money(), discount: money(), tax: money(), total: money(), paid: money(), open: money())
        return s
    }

    @Test func streamedPagesAreTheCanonicalBytesOfTheRows() {
        var rng = SplitMix64(state: 0x115_7)
        for round in 0..<300 {
            let page = (0..<rng.int(6)).map { _ in Self.random(&rng) }
            var query = InvoiceQuery()
            query.limit = rng.int(1001)
            query.offset = rng.int(50)
            let total = rng.int(100_000)
            let expected = CanonicalJSON.string(.object([
                "data": .array(page.map { ListCommand.row($0) }),
                "meta": .object(["pagination": .object(["limit": .int(Int64(query.limit)), "offset": .int(Int64(query.offset)), "totalCount": .int(Int64(total))])]),
            ]))
            let streamed = ListCommand.pageJSON(page, total: total, query)
            #expect(streamed == expected, "round \(round)")
            if streamed != expected { return }
        }
    }
}
