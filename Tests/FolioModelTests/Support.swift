import Foundation
import Testing
@testable import FolioModel

// Shared fixtures for the FolioModel tests. Everything is built with the model's own
// types and functions (Invoicing.create, Workflow.*, derived(), DocumentCodec.encode), so
// the fixtures are as consistent as the model itself makes them.

enum Fx {
    static let seller = Actor(email: "sam@seller.example", party: Party(name: "Sam", role: .seller, series: "A"))
    static let seller2 = Actor(email: "sue@seller.example", party: Party(name: "Sue", role: .seller, series: "B"))
    static let buyer = Actor(email: "bea@c1.example", party: Party(name: "Bea", role: .buyer, customerId: "c1"))
    static let otherBuyer = Actor(email: "otto@c2.example", party: Party(name: "Otto", role: .buyer, customerId: "c2"))

    static let config = FolioConfig(company: Company(name: "Seller Ltd"), currency: "USD", dueDays: 30)
    static let customer = Customer(id: "c1", name: "Acme Corp", email: "ap@acme.example", externalId: "EXT-C1")

    static func ts(_ minute: Int) -> String { String(format: "2026-01-10T09:%02d:00Z", minute) }
    static func stamp(_ actor: Actor = seller, minute: Int = 0, today: String = "2026-01-10") -> Invoicing.Stamp {
        Invoicing.Stamp(actor: actor, at: ts(minute), today: today)
    }

    /// i1: 2 × 49.00 at 20 %, i2: 1.5 × 10.00 at 7.5 %, i3: 3 × 3.33 at 0 %.
    static func order(id: String = "o1", channel: String? = nil, customer: Customer = customer, currency: String = "USD",
                      items: [OrderItem]? = nil) -> Order {
        Order(id: id, number: "SO-\(id)", customer: customer, channel: channel, currency: currency, purchaseOrderNumber: "PO-\(id)",
              items: items ?? [
                  OrderItem(ref: "i1", productId: "p-widget", sku: "W-1", description: "Widget", quantity: "2", unitPrice: 4900, taxRate: "20"),
                  OrderItem(ref: "i2", productId: "p-gadget", description: "Gadget", quantity: "1.5", unitPrice: 1000, taxRate: "7.5"),
                  OrderItem(ref: "i3", productId: "p-service", description: "Service", quantity: "3", unitPrice: 333, taxRate: "0"),
              ],
              createdAt: ts(0), createdBy: seller.email)
    }

    /// A derived draft invoice (and the order with its items marked).
    static func draft(id: String = "inv-1", order: Order = order(), refs: [String]? = nil) throws -> (Invoice, Order) {
        let (inv, updated) = try Invoicing.create(from: order, refs: refs, id: id, config: config, stamp: stamp(), dueDate: nil, distribution: nil)
        return (try inv.derived(), updated)
    }

    static func invoice(id: String = "inv-1", refs: [String]? = nil) throws -> Invoice { try draft(id: id, refs: refs).0 }

    static func sent(_ inv: Invoice, number: String? = "A-00001", minute: Int = 1, requireApproval: Bool = true) throws -> Invoice {
        try Workflow.send(inv, by: seller, at: ts(minute), eventID: "ev-send-\(minute)", requireApproval: requireApproval, number: number).derived()
    }

    static func answered(_ inv: Invoice, _ type: EventType, text: String? = "because", minute: Int = 2) throws -> Invoice {
        try Workflow.respond(inv, with: type, by: buyer, at: ts(minute), eventID: "ev-\(type.rawValue)-\(minute)", text: text).derived()
    }

    static func voided(_ inv: Invoice, minute: Int = 3) throws -> Invoice {
        try Workflow.void(inv, by: seller, at: ts(minute), eventID: "ev-void-\(minute)", reason: "mistake").derived()
    }

    static func pending() throws -> Invoice { try sent(invoice()) }
    static func accepted() throws -> Invoice { try answered(pending(), .accepted, text: nil) }
    static func declined() throws -> Invoice { try answered(pending(), .declined) }
    static func changesRequested() throws -> Invoice { try answered(pending(), .changesRequested) }
    static func issued() throws -> Invoice { try sent(invoice(), requireApproval: false) }
    static func voidedDraft() throws -> Invoice { try voided(invoice()) }

    static func payment(_ id: String, _ amount: Int64, minute: Int = 5) -> Payment {
        Payment(id: id, amount: amount, date: "2026-01-10", method: "wire", reference: "REF-\(id)", by: seller.email, at: ts(minute))
    }

    static func event(_ type: EventType, _ revision: Int, minute: Int, id: String? = nil) -> InvoiceEvent {
        InvoiceEvent(id: id ?? "ev-\(minute)", type: type, revision: revision, by: type == .sent || type == .issued || type == .voided ? seller.email : buyer.email, at: ts(minute))
    }

    /// A plain invoice with full control of the fields a query looks at.
    static func listed(id: String, number: String? = nil, customer: Customer = customer, dueDate: String = "2026-02-09",
                       createdAt: String = ts(0), events: [InvoiceEvent] = [], payments: [Payment] = [], refs: [String]? = nil) throws -> Invoice {
        var inv = try invoice(id: id, refs: refs)
        inv.number = number
        inv.customer = customer
        inv.externalCustomerId = customer.externalId
        inv.dueDate = dueDate
        inv.createdAt = createdAt
        inv.updatedAt = createdAt
        inv.events = events
        inv.payments = payments
        return try inv.derived()
    }
}

// MARK: - JSON helpers

func J(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

func jsonOf<T: Encodable>(_ value: T) -> JSONValue { JSONValue.encoding(value) }

func parseFailure(_ data: Data) -> JSONInputError? {
    do { _ = try JSONValue.parse(data); return nil } catch { return error }
}

func parseFailure(_ text: String) -> JSONInputError? { parseFailure(Data(text.utf8)) }

/// The refusal an action ends in, or nil when it succeeds. Any other error is a test failure.
func refusal<T>(_ body: () throws -> T) -> Refusal? {
    do { _ = try body(); return nil } catch let r as Refusal { return r } catch {
        Issue.record("expected a Refusal, got \(error)")
        return nil
    }
}

func arithmeticFailure<T>(_ body: () throws -> T) -> ArithmeticError? {
    do { _ = try body(); return nil } catch let e as ArithmeticError { return e } catch {
        Issue.record("expected an ArithmeticError, got \(error)")
        return nil
    }
}

func setting(_ pointer: String, _ value: JSONValue, in doc: JSONValue) throws -> JSONValue {
    try JSONPointer(parsing: pointer).set(value, in: doc)
}

// MARK: - An in-memory repository for the Validator

struct RepoFixture {
    var files: [String: Data] = [:]

    static let fieldDefs = FieldDefinitions(fields: [
        FieldDefinition(fieldName: "costCenter", fieldType: .text, isRequired: true, maximumLength: 8),
        FieldDefinition(fieldName: "region", fieldType: .list, listOfValue: ["EU", "US"]),
        FieldDefinition(fieldName: "poRef", fieldType: .text, isUnique: true),
    ])

    static func extras(_ cc: String, _ region: String, _ po: String) -> [ExtraFieldValue] {
        [ExtraFieldValue(fieldName: "costCenter", fieldValue: cc), ExtraFieldValue(fieldName: "region", fieldValue: region),
         ExtraFieldValue(fieldName: "poRef", fieldValue: po)]
    }

    static func invoicePath(_ id: String) -> String { DocumentPaths.path(.invoice, id: id) }
    static func orderPath(_ id: String) -> String { DocumentPaths.path(.order, id: id) }
    static let seriesPath = DocumentPaths.series("A")

    /// o1 (i1, i2 → inv-1 pending A-00001 partly paid; i3 → inv-2 accepted A-00002 paid),
    /// o2 (j1 → inv-3 draft), series A at 2, three extra-field definitions.
    static func consistent() throws -> RepoFixture {
        var repo = RepoFixture()
        repo.put(DocumentPaths.config, Fx.config)
        repo.put(DocumentPaths.parties, Parties(parties: [
            Fx.seller.email: Fx.seller.party, Fx.buyer.email: Fx.buyer.party,
        ]))
        repo.put(DocumentPaths.fields, fieldDefs)
        repo.put(seriesPath, SeriesState(prefix: "A", last: 2))

        let o1 = Fx.order(id: "o1")
        var (inv1, o1a) = try Invoicing.create(from: o1, refs: ["i1", "i2"], id: "inv-1", config: Fx.config, stamp: Fx.stamp(), dueDate: nil, distribution: nil)
        inv1.extraFields = extras("CC-1", "EU", "PO-1")
        inv1 = try Fx.sent(inv1.derived(), number: "A-00001")
        inv1 = try Workflow.pay(inv1, by: Fx.seller, payment: Fx.payment("pay-1", 1000)).derived()

        var (inv2, o1b) = try Invoicing.create(from: o1a, refs: ["i3"], id: "inv-2", config: Fx.config, stamp: Fx.stamp(), dueDate: nil, distribution: nil)
        inv2.extraFields = extras("CC-2", "US", "PO-2")
        inv2 = try Fx.answered(Fx.sent(inv2.derived(), number: "A-00002"), .accepted, text: nil)
        inv2 = try Workflow.pay(inv2, by: Fx.seller, payment: Fx.payment("pay-2", inv2.totals!.total)).derived()

        let o2 = Fx.order(id: "o2", channel: "web", items: [OrderItem(ref: "j1", description: "Bolt", quantity: "10", unitPrice: 25, taxRate: "20")])
        let (inv3, o2a) = try Invoicing.create(from: o2, refs: nil, id: "inv-3", config: Fx.config, stamp: Fx.stamp(), dueDate: nil, distribution: nil)

        repo.put(orderPath("o1"), o1b)
        repo.put(orderPath("o2"), o2a)
        repo.put(invoicePath("inv-1"), inv1)
        repo.put(invoicePath("inv-2"), inv2)
        repo.put(invoicePath("inv-3"), try inv3.derived())
        return repo
    }

    mutating func put<T: Encodable>(_ path: String, _ value: T) { files[path] = DocumentCodec.encode(value) }

    func json(_ path: String) throws -> JSONValue { try JSONValue.parse(try #require(files[path])) }

    /// Changes one value of a stored document, keeping the file canonical.
    mutating func set(_ path: String, _ pointer: String, _ value: JSONValue) throws {
        let doc = try setting(pointer, value, in: json(path))
        files[path] = Data(CanonicalJSON.bytes(doc))
    }

    mutating func edit<T: Codable>(_ path: String, as: T.Type, _ change: (inout T) throws -> Void) throws {
        var value = try json(path).decode(T.self)
        try change(&value)
        put(path, value)
    }

    func findings() -> [Finding] { Validator(files: files).run() }

    /// (rule, file, pointer) of every error, the shape the tests compare.
    func errors() -> [Triple] { findings().filter { $0.severity == .error }.map { Triple($0.rule, $0.file, $0.pointer) } }
}

struct Triple: Hashable, CustomStringConvertible {
    var rule: String, file: String, pointer: String
    init(_ rule: String, _ file: String, _ pointer: String) { self.rule = rule; self.file = file; self.pointer = pointer }
    var description: String { "\(rule) \(file)#\(pointer)" }
}
