import Foundation
import Testing
@testable import FolioModel

@Suite("Schema findings")
struct SchemaTests {
    static func invoiceJSON() throws -> JSONValue { jsonOf(try Fx.pending()) }
    static func orderJSON() -> JSONValue { jsonOf(Fx.order()) }

    func findings(_ doc: JSONValue, _ schema: Schema = Schemas.invoice) -> [Triple] {
        schema.check(doc, file: "f.json").map { Triple($0.rule, $0.file, $0.pointer) }
    }

    @Test("documents built by the model pass their schemas")
    func cleanDocuments() throws {
        #expect(findings(try Self.invoiceJSON()).isEmpty)
        #expect(findings(jsonOf(try Fx.accepted())).isEmpty)
        #expect(findings(Self.orderJSON(), Schemas.order).isEmpty)
        #expect(findings(jsonOf(Fx.config), Schemas.config).isEmpty)
        #expect(findings(jsonOf(Parties(parties: [Fx.seller.email: Fx.seller.party, Fx.buyer.email: Fx.buyer.party])), Schemas.parties).isEmpty)
        #expect(findings(jsonOf(RepoFixture.fieldDefs), Schemas.fields).isEmpty)
        #expect(findings(jsonOf(SeriesState(prefix: "A", last: 3)), Schemas.series).isEmpty)
    }

    @Test("one wrong value gives exactly one finding with its rule and pointer", arguments: [
        ("/lines/0/unitPrice", JSONValue.string("49.00"), "schema/type"),
        ("/lines/0/unitPrice", .int(-1), "amount/negative"),
        ("/lines/1/discount", .int(-100), "amount/negative"),
        ("/lines/0/unitPrice", .int(Schema.maxAmount + 1), "amount/overflow"),
        ("/lines/0/quantity", .int(2), "schema/type"),
        ("/lines/0/quantity", .string("2,5"), "decimal/format"),
        ("/lines/0/quantity", .string("1e3"), "decimal/format"),
        ("/lines/0/quantity", .string("-1"), "decimal/range"),
        ("/lines/0/taxRate", .string("100.01"), "decimal/range"),
        ("/currency", .string("XYZ"), "currency/unknown"),
        ("/currency", .string("usd"), "currency/unknown"),
        ("/currency", .int(840), "schema/type"),
        ("/issueDate", .string("2026-02-30"), "date/format"),
        ("/issueDate", .string("2026-13-01"), "date/format"),
        ("/dueDate", .string("26-01-01"), "date/format"),
        ("/dueDate", .string("2026/01/01"), "date/format"),
        ("/dueDate", .string("2023-02-29"), "date/format"),
        ("/createdAt", .string("2026-01-10 09:00:00"), "date/format"),
        ("/updatedAt", .string("2026-01-10T09:00:00+01:00"), "date/format"),
        ("/events/0/at", .string("2026-01-10T24:00:00Z"), "date/format"),
        ("/foo", .string("bar"), "schema/unknown"),
        ("/lines/0/colour", .string("red"), "schema/unknown"),
        ("/id", .string("../etc/passwd"), "schema/id"),
        ("/id", .string("a/b"), "schema/id"),
        ("/id", .string("a..b"), "schema/id"),
        ("/id", .string("a\\b"), "schema/id"),
        ("/id", .string(".hidden"), "schema/id"),
        ("/id", .string(""), "schema/id"),
        ("/lines/0/id", .string("x/y"), "schema/id"),
        ("/orderId", .string(".."), "schema/id"),
        ("/customer/id", .string("c 1"), "schema/id"),
        ("/createdBy", .string("not-an-email"), "schema/email"),
        ("/status", .string("approved"), "schema/enum"),
        ("/events/0/type", .string("approved"), "schema/enum"),
        ("/events/0/revision", .int(-1), "schema/range"),
        ("/revision", .string("1"), "schema/type"),
        ("/lines", .object([:]), "schema/type"),
        ("/distribution", .string("email"), "schema/type"),
        ("/purchaseOrderNumber", .string(String(repeating: "x", count: 201)), "schema/length"),
        ("/payments/-", .object(["id": .string("p1"), "amount": .int(0), "date": .string("2026-01-10"), "by": .string("a@b.example"), "at": .string("2026-01-10T09:00:00Z")]), "amount/zero"),
    ])
    func oneFinding(pointer: String, value: JSONValue, rule: String) throws {
        let doc = try setting(pointer, value, in: try Self.invoiceJSON())
        let expectedPointer = pointer.hasSuffix("/-") ? String(pointer.dropLast(2)) + "/0/amount" : pointer
        #expect(findings(doc) == [Triple(rule, "f.json", expectedPointer)])
    }

    @Test("a missing or null required field is schema/required at its pointer", arguments: ["/currency", "/lines/0/quantity", "/customer/id", "/events/0/by"])
    func required(pointer: String) throws {
        let p = try JSONPointer(parsing: pointer)
        let removed = try remove(p.tokens, from: try Self.invoiceJSON())
        #expect(findings(removed) == [Triple("schema/required", "f.json", pointer)])
        let nulled = try p.set(.null, in: try Self.invoiceJSON())
        #expect(findings(nulled) == [Triple("schema/required", "f.json", pointer)])
    }

    @Test("an order item with a string price, an unknown status or a marketplace channel is checked field by field")
    func orderFindings() throws {
        let doc = try setting("/items/2/unitPrice", .string("3.33"), in: Self.orderJSON())
        #expect(findings(doc, Schemas.order) == [Triple("schema/type", "f.json", "/items/2/unitPrice")])
        let status = try setting("/items/0/status", .string("shipped"), in: Self.orderJSON())
        #expect(findings(status, Schemas.order) == [Triple("schema/enum", "f.json", "/items/0/status")])
        // the marketplace rule is a workflow rule, not a schema one
        #expect(findings(try setting("/channel", .string("marketplace"), in: Self.orderJSON()), Schemas.order).isEmpty)
    }

    @Test("keys with / and ~ are escaped in the pointer of an unknown field")
    func escapedUnknown() throws {
        let doc = try setting("/a~1b~0c", .int(1), in: try Self.invoiceJSON())
        #expect(findings(doc) == [Triple("schema/unknown", "f.json", "/a~1b~0c")])
    }

    @Test("the messages say what is wrong")
    func messages() throws {
        let doc = try setting("/lines/0/unitPrice", .string("49.00"), in: try Self.invoiceJSON())
        let f = try #require(Schemas.invoice.check(doc, file: "invoices/x.json").first)
        #expect(f.message.contains("integer count of minor units"))
        #expect(f.message.contains("\"49.00\""))
        #expect(f.description == "invoices/x.json#/lines/0/unitPrice: error[schema/type]: \(f.message)")
        let cur = try #require(Schemas.invoice.check(try setting("/currency", .string("XYZ"), in: try Self.invoiceJSON()), file: "x").first)
        #expect(cur.message.contains("\"XYZ\" is not an ISO 4217 currency code"))
    }

    @Test("several problems are all reported, in key order")
    func many() throws {
        var doc = try Self.invoiceJSON()
        doc = try setting("/currency", .string("ABC"), in: doc)
        doc = try setting("/lines/1/unitPrice", .int(-5), in: doc)
        doc = try setting("/zzz", .bool(true), in: doc)
        #expect(findings(doc) == [
            Triple("currency/unknown", "f.json", "/currency"),
            Triple("amount/negative", "f.json", "/lines/1/unitPrice"),
            Triple("schema/unknown", "f.json", "/zzz"),
        ])
    }

    @Test("DocumentCodec.decode refuses with the schema findings before decoding")
    func codecDecode() throws {
        let doc = try setting("/lines/0/unitPrice", .string("49.00"), in: try Self.invoiceJSON())
        do {
            _ = try DocumentCodec.decode(Invoice.self, json: doc, schema: Schemas.invoice, file: "i.json")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.findings.map { Triple($0.rule, $0.file, $0.pointer) } == [Triple("schema/type", "i.json", "/lines/0/unitPrice")])
        }
        let (inv, json) = try DocumentCodec.decode(Invoice.self, data: DocumentCodec.encode(try Fx.pending()), schema: Schemas.invoice, file: "i.json")
        #expect(inv == (try Fx.pending()))
        #expect(json == (try Self.invoiceJSON()))
    }

    private func remove(_ tokens: [String], from doc: JSONValue) throws -> JSONValue {
        guard let first = tokens.first else { return doc }
        switch doc {
        case .object(var m):
            if tokens.count == 1 { m.removeValue(forKey: first) } else { m[first] = try remove(Array(tokens.dropFirst()), from: try #require(m[first])) }
            return .object(m)
        case .array(var a):
            let i = try #require(Int(first))
            a[i] = try remove(Array(tokens.dropFirst()), from: a[i])
            return .array(a)
        default:
            return doc
        }
    }
}

@Suite("Dates")
struct DatesTests {
    @Test("calendar dates are YYYY-MM-DD with real days, leap years included", arguments: [
        ("2024-02-29", true), ("2000-02-29", true), ("1900-02-29", false), ("2023-02-29", false), ("2026-04-31", false),
        ("2026-12-31", true), ("2026-00-10", false), ("2026-1-10", false), ("2026-01-10T00:00:00Z", false), ("1899-12-31", false),
        ("", false), ("２０２６-01-01", false),
    ])
    func dates(text: String, valid: Bool) {
        #expect(Dates.isValidDate(text) == valid)
    }

    @Test("timestamps are UTC with a Z, optionally with fractional seconds", arguments: [
        ("2026-01-10T09:30:00Z", true), ("2026-01-10T09:30:00.123Z", true), ("2026-01-10T23:59:60Z", true),
        ("2026-01-10T09:30:00", false), ("2026-01-10T09:30:00+00:00", false), ("2026-01-10T24:00:00Z", false),
        ("2026-01-10T09:60:00Z", false), ("2026-02-30T09:30:00Z", false), ("2026-01-10T09:30:00.Z", false), ("2026-01-10t09:30:00z", false),
    ])
    func timestamps(text: String, valid: Bool) {
        #expect(Dates.isValidTimestamp(text) == valid)
    }

    @Test("adding days crosses months, years and leap days", arguments: [
        ("2026-01-10", 30, "2026-02-09"), ("2024-02-28", 1, "2024-02-29"), ("2023-02-28", 1, "2023-03-01"),
        ("2026-12-31", 1, "2027-01-01"), ("2026-03-01", -1, "2026-02-28"), ("1970-01-01", 0, "1970-01-01"),
    ])
    func addDays(date: String, days: Int, result: String) {
        #expect(Dates.addDays(date, days) == result)
    }

    @Test("days count from 1970-01-01")
    func epoch() {
        #expect(Dates.parseDate("1970-01-01") == 0)
        #expect(Dates.parseDate("1970-01-02") == 1)
        #expect(Dates.parseDate("2000-03-01") == 11017)
        #expect(Dates.formatDate(days: 20463) == "2026-01-10")
    }
}
