public import Foundation
public import FolioModel

/// What the index keeps of one invoice: the fields `folio list`, `folio inbox` and their
/// filters read, exactly as the document holds them (derived fields included: documents
/// are written with them recomputed, and `folio validate` checks that they are).
public struct InvoiceRecord: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var type: EventType
        public var revision: Int
        public var note: String?
    }

    public var id: String
    public var number: String?
    public var type: String
    public var orderId: String?
    public var creditNoteFor: String?
    public var customer: Customer
    public var channel: String?
    public var purchaseOrderNumber: String?
    public var currency: String
    public var issueDate: String
    public var dueDate: String
    public var status: InvoiceStatus?
    public var paymentStatus: PaymentStatus?
    public var revision: Int
    public var totals: Totals?
    public var externalId: String?
    public var externalCustomerId: String?
    public var createdAt: String
    public var updatedAt: String
    /// One entry per line, in order.
    public var productIds: [String?]
    public var extraFields: [ExtraFieldValue]
    /// Numbers this invoice held before a reissue, void on record (series rules).
    public var voidedNumbers: [String]
    public var events: [Event]
    public var conflictCount: Int
    public var distribution: DistributionMethod?

    public init(_ inv: Invoice) {
        id = inv.id; number = inv.number; type = inv.type; orderId = inv.orderId; creditNoteFor = inv.creditNoteFor
        customer = inv.customer; channel = inv.channel; purchaseOrderNumber = inv.purchaseOrderNumber; currency = inv.currency
        issueDate = inv.issueDate; dueDate = inv.dueDate; status = inv.status; paymentStatus = inv.paymentStatus
        revision = inv.revision; totals = inv.totals; externalId = inv.externalId; externalCustomerId = inv.externalCustomerId
        createdAt = inv.createdAt; updatedAt = inv.updatedAt
        productIds = inv.lines.map(\.productId)
        extraFields = inv.extraFields ?? []
        voidedNumbers = inv.voidedNumbers ?? []
        events = inv.events.map { Event(type: $0.type, revision: $0.revision, note: $0.note) }
        conflictCount = inv.conflicts?.count ?? 0
        distribution = inv.distribution?.method
    }

    init() {
        id = ""; type = ""; customer = Customer(id: ""); currency = ""; issueDate = ""; dueDate = ""; revision = 0
        createdAt = ""; updatedAt = ""; productIds = []; extraFields = []; voidedNumbers = []; events = []; conflictCount = 0
    }

    /// Seed 001's state number, by the model's one mapping.
    var brpState: Int {
        BRPState.number(status: filterStatus, paymentStatus: paymentStatus, distribution: distribution, orderedTypes: events.map(\.type))
    }

    /// Status as `InvoiceQuery` filters on it: the stored one, else the one the events give.
    var filterStatus: InvoiceStatus { status ?? eventStatus }

    /// Status as `Inbox` reads it: always from the events.
    var eventStatus: InvoiceStatus {
        Workflow.status(events: events.map { InvoiceEvent(id: "", type: $0.type, revision: $0.revision, by: "", at: "") }, revision: revision)
    }
}

/// What the index keeps of one order: enough to say which items are still open.
public struct OrderRecord: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var ref: String
        public var productId: String?
        public var sku: String?
        public var description: String
        public var quantity: String
        public var unitPrice: Int64
        public var taxRate: String
        public var status: OrderItemStatus
        public var invoiceId: String?
        /// The quantities of `invoicedParts`, when invoices took parts of the item.
        public var partQuantities: [String] = []

        /// What is left to invoice, as `OrderItem.openQuantity` says.
        public var openQuantity: String {
            guard !partQuantities.isEmpty else { return quantity }
            let taken = partQuantities.reduce(ExactDecimal(0)) { $0 + (ExactDecimal($1) ?? ExactDecimal(0)) }
            return ((ExactDecimal(quantity) ?? ExactDecimal(0)) - taken).description
        }
    }

    public var id: String
    public var number: String?
    public var customer: Customer
    public var channel: String?
    public var currency: String
    public var purchaseOrderNumber: String?
    public var createdAt: String
    public var items: [Item]

    public init(_ order: Order) {
        id = order.id; number = order.number; customer = order.customer; channel = order.channel; currency = order.currency
        purchaseOrderNumber = order.purchaseOrderNumber; createdAt = order.createdAt
        items = order.items.map { Item(ref: $0.ref, productId: $0.productId, sku: $0.sku, description: $0.description, quantity: $0.quantity,
                                       unitPrice: $0.unitPrice, taxRate: $0.taxRate, status: $0.status, invoiceId: $0.invoiceId,
                                       partQuantities: ($0.invoicedParts ?? []).map(\.quantity)) }
    }

    init() {
        id = ""; customer = Customer(id: ""); currency = ""; createdAt = ""; items = []
    }
}

/// Bytes → record: the fast reader when it is sure, else the model's decoder, which also
/// produces the findings that explain a refusal.
public enum DocumentDecoding {
    public static func invoice(_ data: Data, file: String) -> Result<InvoiceRecord, DocumentError> {
        if let record = fastInvoice(data) { return .success(record) }
        do {
            return .success(InvoiceRecord(try DocumentCodec.decode(Invoice.self, data: data, schema: Schemas.invoice, file: file).0))
        } catch {
            return .failure(error)
        }
    }

    public static func order(_ data: Data, file: String) -> Result<OrderRecord, DocumentError> {
        if let record = fastOrder(data) { return .success(record) }
        do {
            return .success(OrderRecord(try DocumentCodec.decode(Order.self, data: data, schema: Schemas.order, file: file).0))
        } catch {
            return .failure(error)
        }
    }

    /// Only the fast reader's verdict: the record, or nil when it would hand over to the
    /// model. For tests that hold the two to the same answers.
    public static func fastInvoice(_ data: Data) -> InvoiceRecord? {
        guard let captures = DocumentScan.read(data, schema: invoiceSchema) else { return nil }
        var sink = InvoiceSink()
        sink.replay(captures)
        return sink.failed ? nil : sink.record
    }

    public static func fastOrder(_ data: Data) -> OrderRecord? {
        guard let captures = DocumentScan.read(data, schema: orderSchema) else { return nil }
        var sink = OrderSink()
        sink.replay(captures)
        return sink.failed ? nil : sink.record
    }

    static let invoiceSchema = CompiledSchema(Schemas.invoice, path: "", captures: InvoiceSink.slots)
    static let orderSchema = CompiledSchema(Schemas.order, path: "", captures: OrderSink.slots)
}

/// Turns a scan's captured values into a record, slot by slot.
protocol CaptureSink {
    mutating func string(_ slot: Slot, _ value: String)
    mutating func int(_ slot: Slot, _ value: Int64)
    /// An object field was present (not null), or an array element starts.
    mutating func mark(_ slot: Slot)
}

extension CaptureSink {
    mutating func replay(_ captures: Captures) {
        for (slot, value) in captures.events {
            switch value {
            case .string(let s): string(slot, s)
            case .int(let v): int(slot, v)
            case .mark: mark(slot)
            }
        }
    }
}

struct InvoiceSink: CaptureSink {
    private var partial = InvoiceRecord()
    var failed = false
    private var hasTotals = false
    private var totals: [Int64?] = [nil, nil, nil, nil, nil, nil]

    var record: InvoiceRecord {
        var r = partial
        if hasTotals {
            r.totals = Totals(subtotal: totals[0] ?? 0, discount: totals[1] ?? 0, tax: totals[2] ?? 0,
                              total: totals[3] ?? 0, paid: totals[4] ?? 0, open: totals[5] ?? 0)
        }
        return r
    }

    enum S: Slot, CaseIterable {
        case id, number, type, orderId, creditNoteFor, channel, purchaseOrderNumber, currency, issueDate, dueDate
        case status, paymentStatus, revision, externalId, externalCustomerId, createdAt, updatedAt
        case customerId, customerName, customerEmail, customerExternalId
        case totals, subtotal, discount, tax, total, paid, open
        case line, lineProduct, extra, extraName, extraValue, event, eventType, eventRevision, eventNote, conflict
        case distributionMethod, voidedNumber
    }

    static let slots: [String: Slot] = {
        let paths: [S: String] = [
            .id: "/id", .number: "/number", .type: "/type", .orderId: "/orderId", .creditNoteFor: "/creditNoteFor", .channel: "/channel",
            .purchaseOrderNumber: "/purchaseOrderNumber", .currency: "/currency", .issueDate: "/issueDate", .dueDate: "/dueDate",
            .status: "/status", .paymentStatus: "/paymentStatus", .revision: "/revision", .externalId: "/externalId",
            .externalCustomerId: "/externalCustomerId", .createdAt: "/createdAt", .updatedAt: "/updatedAt",
            .customerId: "/customer/id", .customerName: "/customer/name", .customerEmail: "/customer/email", .customerExternalId: "/customer/externalId",
            .totals: "/totals", .subtotal: "/totals/subtotal", .discount: "/totals/discount", .tax: "/totals/tax", .total: "/totals/total",
            .paid: "/totals/paid", .open: "/totals/open",
            .line: "/lines/*", .lineProduct: "/lines/*/productId",
            .extra: "/extraFields/*", .extraName: "/extraFields/*/fieldName", .extraValue: "/extraFields/*/fieldValue",
            .event: "/events/*", .eventType: "/events/*/type", .eventRevision: "/events/*/revision", .eventNote: "/events/*/note",
            .conflict: "/conflicts/*", .distributionMethod: "/distribution/method", .voidedNumber: "/voidedNumbers/*",
        ]
        return Dictionary(uniqueKeysWithValues: paths.map { ($0.value, $0.key.rawValue) })
    }()

    mutating func string(_ slot: Slot, _ v: String) {
        switch S(rawValue: slot)! {
        case .id: partial.id = v
        case .number: partial.number = v
        case .type: partial.type = v
        case .orderId: partial.orderId = v
        case .creditNoteFor: partial.creditNoteFor = v
        case .channel: partial.channel = v
        case .purchaseOrderNumber: partial.purchaseOrderNumber = v
        case .currency: partial.currency = v
        case .issueDate: partial.issueDate = v
        case .dueDate: partial.dueDate = v
        case .status:
            if let s = InvoiceStatus(rawValue: v) { partial.status = s } else { failed = true }
        case .paymentStatus:
            if let s = PaymentStatus(rawValue: v) { partial.paymentStatus = s } else { failed = true }
        case .externalId: partial.externalId = v
        case .externalCustomerId: partial.externalCustomerId = v
        case .createdAt: partial.createdAt = v
        case .updatedAt: partial.updatedAt = v
        case .customerId: partial.customer.id = v
        case .customerName: partial.customer.name = v
        case .customerEmail: partial.customer.email = v
        case .customerExternalId: partial.customer.externalId = v
        case .lineProduct: partial.productIds[partial.productIds.count - 1] = v
        case .extraName: partial.extraFields[partial.extraFields.count - 1].fieldName = v
        case .extraValue: partial.extraFields[partial.extraFields.count - 1].fieldValue = v
        case .eventType:
            if let t = EventType(rawValue: v) { partial.events[partial.events.count - 1].type = t } else { failed = true }
        case .eventNote: partial.events[partial.events.count - 1].note = v
        case .distributionMethod:
            if let m = DistributionMethod(rawValue: v) { partial.distribution = m } else { failed = true }
        case .voidedNumber: partial.voidedNumbers.append(v)
        default: failed = true
        }
    }

    mutating func int(_ slot: Slot, _ v: Int64) {
        switch S(rawValue: slot)! {
        case .revision: partial.revision = Int(v)
        case .subtotal: totals[0] = v
        case .discount: totals[1] = v
        case .tax: totals[2] = v
        case .total: totals[3] = v
        case .paid: totals[4] = v
        case .open: totals[5] = v
        case .eventRevision: partial.events[partial.events.count - 1].revision = Int(v)
        default: failed = true
        }
    }

    mutating func mark(_ slot: Slot) {
        switch S(rawValue: slot)! {
        case .totals: hasTotals = true
        case .line: partial.productIds.append(nil)
        case .extra: partial.extraFields.append(ExtraFieldValue(fieldName: "", fieldValue: ""))
        case .event: partial.events.append(InvoiceRecord.Event(type: .sent, revision: 0, note: nil))
        case .conflict: partial.conflictCount += 1
        default: failed = true
        }
    }

}

struct OrderSink: CaptureSink {
    var record = OrderRecord()
    var failed = false

    enum S: Slot, CaseIterable {
        case id, number, customerId, customerName, customerEmail, customerExternalId, channel, currency, purchaseOrderNumber, createdAt
        case item, ref, productId, sku, description, quantity, unitPrice, taxRate, status, invoiceId, partQuantity
    }

    static let slots: [String: Slot] = {
        let paths: [S: String] = [
            .id: "/id", .number: "/number", .customerId: "/customer/id", .customerName: "/customer/name", .customerEmail: "/customer/email",
            .customerExternalId: "/customer/externalId", .channel: "/channel", .currency: "/currency", .purchaseOrderNumber: "/purchaseOrderNumber",
            .createdAt: "/createdAt", .item: "/items/*", .ref: "/items/*/ref", .productId: "/items/*/productId", .sku: "/items/*/sku",
            .description: "/items/*/description", .quantity: "/items/*/quantity", .unitPrice: "/items/*/unitPrice", .taxRate: "/items/*/taxRate",
            .status: "/items/*/status", .invoiceId: "/items/*/invoiceId", .partQuantity: "/items/*/invoicedParts/*/quantity",
        ]
        return Dictionary(uniqueKeysWithValues: paths.map { ($0.value, $0.key.rawValue) })
    }()

    mutating func string(_ slot: Slot, _ v: String) {
        let last = record.items.count - 1
        switch S(rawValue: slot)! {
        case .id: record.id = v
        case .number: record.number = v
        case .customerId: record.customer.id = v
        case .customerName: record.customer.name = v
        case .customerEmail: record.customer.email = v
        case .customerExternalId: record.customer.externalId = v
        case .channel: record.channel = v
        case .currency: record.currency = v
        case .purchaseOrderNumber: record.purchaseOrderNumber = v
        case .createdAt: record.createdAt = v
        case .ref: record.items[last].ref = v
        case .productId: record.items[last].productId = v
        case .sku: record.items[last].sku = v
        case .description: record.items[last].description = v
        case .quantity: record.items[last].quantity = v
        case .taxRate: record.items[last].taxRate = v
        case .status:
            if let s = OrderItemStatus(rawValue: v) { record.items[last].status = s } else { failed = true }
        case .invoiceId: record.items[last].invoiceId = v
        case .partQuantity: record.items[last].partQuantities.append(v)
        default: failed = true
        }
    }

    mutating func int(_ slot: Slot, _ v: Int64) {
        if S(rawValue: slot) == .unitPrice { record.items[record.items.count - 1].unitPrice = v } else { failed = true }
    }

    mutating func mark(_ slot: Slot) {
        if S(rawValue: slot) == .item {
            record.items.append(OrderRecord.Item(ref: "", description: "", quantity: "", unitPrice: 0, taxRate: "", status: .open))
        } else {
            failed = true
        }
    }
}
