/// The documents of a Folio repository (SPEC §2). They are plain values: every rule about
/// them lives in Workflow, Totals, Schema and Merge, never in I/O code.

public struct Customer: Codable, Sendable, Hashable {
    public var id: String
    public var name: String?
    public var email: String?
    public var externalId: String?
    public init(id: String, name: String? = nil, email: String? = nil, externalId: String? = nil) {
        self.id = id; self.name = name; self.email = email; self.externalId = externalId
    }

    /// As `JSONValue.encoding(self)` gives it (absent fields omitted), built directly.
    public var jsonValue: JSONValue {
        var o: [String: JSONValue] = ["id": .string(id)]
        if let name { o["name"] = .string(name) }
        if let email { o["email"] = .string(email) }
        if let externalId { o["externalId"] = .string(externalId) }
        return .object(o)
    }
}

public enum OrderItemStatus: String, Codable, Sendable, CaseIterable {
    case open, invoiced, cancelled
}

public struct OrderItem: Codable, Sendable, Hashable {
    public var ref: String
    public var productId: String?
    public var sku: String?
    public var description: String
    public var quantity: String
    public var unitPrice: Int64
    public var taxCode: String?
    public var taxRate: String
    public var uom: String?
    public var status: OrderItemStatus
    /// The invoice that took the whole item, so "invoiced at most once" can be checked both ways.
    public var invoiceId: String?
    /// The invoices that took parts of the item (a quantity each), when no one invoice took it
    /// whole. Never more than the item's quantity in total; `status` says what became of the
    /// rest (open, or cancelled). See docs/decisions.md, "Order items by quantity".
    public var invoicedParts: [ItemPart]?
    public init(ref: String, productId: String? = nil, sku: String? = nil, description: String, quantity: String, unitPrice: Int64, taxCode: String? = nil, taxRate: String, uom: String? = nil, status: OrderItemStatus = .open, invoiceId: String? = nil, invoicedParts: [ItemPart]? = nil) {
        self.ref = ref; self.productId = productId; self.sku = sku; self.description = description
        self.quantity = quantity; self.unitPrice = unitPrice; self.taxCode = taxCode; self.taxRate = taxRate
        self.uom = uom; self.status = status; self.invoiceId = invoiceId; self.invoicedParts = invoicedParts
    }
}

/// A quantity of an order item taken by one invoice.
public struct ItemPart: Codable, Sendable, Hashable {
    public var invoiceId: String
    public var quantity: String
    public init(invoiceId: String, quantity: String) { self.invoiceId = invoiceId; self.quantity = quantity }
}

public struct Order: Codable, Sendable, Hashable {
    public init(id: String, number: String? = nil, customer: Customer, channel: String? = nil, currency: String, purchaseOrderNumber: String? = nil, items: [OrderItem], createdAt: String, createdBy: String? = nil, conflicts: [ConflictRecord]? = nil) {
        self.conflicts = conflicts
        self.id = id; self.number = number; self.customer = customer; self.channel = channel; self.currency = currency
        self.purchaseOrderNumber = purchaseOrderNumber; self.items = items; self.createdAt = createdAt; self.createdBy = createdBy
    }
    public var id: String
    public var number: String?
    public var customer: Customer
    public var channel: String?
    public var currency: String
    public var purchaseOrderNumber: String?
    public var items: [OrderItem]
    public var createdAt: String
    public var createdBy: String?
    public var conflicts: [ConflictRecord]?

    /// Seed 000: marketplace orders cannot be invoiced.
    public var isMarketplace: Bool { channel?.lowercased() == "marketplace" }
    public var openItems: [OrderItem] { items.filter { $0.status == .open } }
}

public struct InvoiceLine: Codable, Sendable, Hashable {
    public var id: String
    public var orderItemRef: String?
    public var productId: String?
    public var sku: String?
    public var description: String
    public var quantity: String
    public var unitPrice: Int64
    public var discount: Int64?
    public var taxCode: String?
    public var taxRate: String
    public var net: Int64?
    public var tax: Int64?
    public var total: Int64?
    public var uom: String?
    public var warehouse: String?
    public var accountingCode: String?
}

/// Freight, fees and other charges that are not order items (seed 004 costLines).
public struct CostLine: Codable, Sendable, Hashable {
    public init(id: String, description: String, amount: Int64, taxRate: String? = nil) {
        self.id = id; self.description = description; self.amount = amount; self.taxRate = taxRate; self.tax = nil; self.total = nil
    }
    public var id: String
    public var description: String
    public var amount: Int64
    public var taxRate: String?
    public var tax: Int64?
    public var total: Int64?
}

public struct Totals: Codable, Sendable, Hashable {
    public var subtotal: Int64
    public var discount: Int64
    public var tax: Int64
    public var total: Int64
    public var paid: Int64
    public var open: Int64

    public init(subtotal: Int64, discount: Int64, tax: Int64, total: Int64, paid: Int64, open: Int64) {
        self.subtotal = subtotal; self.discount = discount; self.tax = tax; self.total = total; self.paid = paid; self.open = open
    }

    /// As `JSONValue.encoding(self)` gives it, built directly: `folio list` prints one per row,
    /// and a process that prints twenty rows should not start the Codable machinery for it.
    public var jsonValue: JSONValue {
        .object(["subtotal": .int(subtotal), "discount": .int(discount), "tax": .int(tax), "total": .int(total), "paid": .int(paid), "open": .int(open)])
    }
}

public struct Payment: Codable, Sendable, Hashable {
    public init(id: String, amount: Int64, date: String, method: String?, reference: String?, by: String, at: String) {
        self.id = id; self.amount = amount; self.date = date; self.method = method; self.reference = reference; self.by = by; self.at = at
    }
    public var id: String
    public var amount: Int64
    public var date: String
    public var method: String?
    public var reference: String?
    public var by: String
    public var at: String
    /// A payment a buyer records carries the buyer's own SSHSIG over it (namespace
    /// "folio-payment"), so that it stays provable when a seller's commit brings it back from
    /// the buyer's share (SPEC §9, §10). A seller's payment is proved by the seller's commit.
    public var signature: String?

    /// The bytes a payment's signature covers: the payment without its signature.
    public var signedPayload: [UInt8] {
        var unsigned = self
        unsigned.signature = nil
        return CanonicalJSON.bytes(JSONValue.encoding(unsigned))
    }
}

public enum EventType: String, Codable, Sendable, CaseIterable {
    case sent, issued, accepted, declined
    case changesRequested = "changes_requested"
    case voided
    /// Dunning (seed 001 states 4, 5, 6): a reminder, the reminder bureau, bill collection.
    case reminder
    case reminderBureau = "reminder_bureau"
    case billCollection = "bill_collection"
    /// Distribution (seeds 000, 001): the delivery command reported the invoice delivered, or failed.
    case delivered
    case deliveryFailed = "delivery_failed"
    /// On a credited invoice: a credit note took these quantities of its lines (SPEC §3). Two
    /// replicas crediting one invoice offline both touch it, so the merge sees the race.
    case credited
}

/// A quantity of one line that a credit note took.
public struct CreditedQuantity: Codable, Sendable, Hashable {
    public var lineId: String
    public var quantity: String
    public init(lineId: String, quantity: String) { self.lineId = lineId; self.quantity = quantity }
}

public struct InvoiceEvent: Codable, Sendable, Hashable {
    public init(id: String, type: EventType, revision: Int, by: String, at: String, note: String? = nil, reason: String? = nil, fee: Int64? = nil,
                creditNote: String? = nil, credited: [CreditedQuantity]? = nil) {
        self.id = id; self.type = type; self.revision = revision; self.by = by; self.at = at; self.note = note; self.reason = reason; self.fee = fee
        self.creditNote = creditNote; self.credited = credited
    }
    public var id: String
    public var type: EventType
    public var revision: Int
    public var by: String
    public var at: String
    public var note: String?
    public var reason: String?
    /// A reminder's fee (seed 001 `reminderamount`), in minor units.
    public var fee: Int64?
    /// A `credited` event's credit note (its id) and what it took of each line.
    public var creditNote: String?
    public var credited: [CreditedQuantity]?
    /// A buyer's answer: the hash of the content it answered ("sha256:…" of the canonical
    /// content), and the buyer's own SSHSIG over the event (namespace "folio-answer"), so the
    /// answer stays provable after merges and rebases, and in another repository (SPEC §9).
    public var contentHash: String?
    public var signature: String?

    /// The bytes an answer's signature covers: the event without its signature.
    public var signedPayload: [UInt8] {
        var unsigned = self
        unsigned.signature = nil
        return CanonicalJSON.bytes(JSONValue.encoding(unsigned))
    }
}

public struct Shipment: Codable, Sendable, Hashable {
    public var dispatchDate: String?
    public var carrier: String?
    public var trackingCode: String?
    public var shipmentReference: String?
}

public enum DistributionMethod: String, Codable, Sendable, CaseIterable {
    case none, email, print
}

public struct Distribution: Codable, Sendable, Hashable {
    public init(method: DistributionMethod, template: String? = nil) { self.method = method; self.template = template }
    public var method: DistributionMethod
    public var template: String?
}

public struct ExtraFieldValue: Codable, Sendable, Hashable {
    public init(fieldName: String, fieldValue: String) { self.fieldName = fieldName; self.fieldValue = fieldValue }
    public var fieldName: String
    public var fieldValue: String
}

/// A value that lost a concurrent edit (SPEC §4). Kept in the document until resolved.
public struct ConflictRecord: Codable, Sendable, Hashable {
    public var id: String
    public var path: String
    public var base: JSONValue?
    public var ours: JSONValue?
    public var theirs: JSONValue?
    public var chosen: JSONValue?
    public var oursBy: String?
    public var theirsBy: String?
    public var oursCommit: String?
    public var theirsCommit: String?
    public var reason: String?
}

public enum InvoiceStatus: String, Codable, Sendable, CaseIterable {
    case draft
    case pendingApproval = "pending_approval"
    case changesRequested = "changes_requested"
    case accepted, declined, issued, voided
}

public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    case open
    case partiallyPaid = "partially_paid"
    case paid
}

public enum InvoiceType {
    public static let invoice = "invoice"
    public static let creditNote = "credit_note"
}

public struct Invoice: Codable, Sendable, Hashable {
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
    public var lines: [InvoiceLine]
    public var costLines: [CostLine]?
    public var totals: Totals?
    public var payments: [Payment]
    public var status: InvoiceStatus?
    public var paymentStatus: PaymentStatus?
    public var revision: Int
    public var events: [InvoiceEvent]
    public var shipment: Shipment?
    public var distribution: Distribution?
    public var note: String?
    public var terms: String?
    public var extraFields: [ExtraFieldValue]?
    public var externalId: String?
    public var externalCustomerId: String?
    public var externalPdfUrl: String?
    public var conflicts: [ConflictRecord]?
    /// Numbers this invoice took and gave up: a draft sent on two replicas at once keeps one
    /// number; the merge records the other here, so its series stays gapless (SPEC §3).
    public var voidedNumbers: [String]?
    /// Derived: the reminder fees charged (seed 001 `reminderamount`); owed on top of the total.
    public var reminderAmount: Int64? = nil
    public var createdBy: String
    public var createdAt: String
    public var updatedBy: String
    public var updatedAt: String
}

public enum PartyRole: String, Codable, Sendable, CaseIterable {
    case seller, buyer
    /// An HTTP server (SPEC §11): it signs the commits it writes for the parties it
    /// authenticates, with its own key, and never acts or authors a change itself.
    case server
}

public struct Party: Codable, Sendable, Hashable {
    public var name: String?
    public var role: PartyRole
    public var customerId: String?
    /// The numbering series this seller issues from (SPEC §3); a clone may override it
    /// with `git config folio.series`.
    public var series: String?
    /// The party's ssh-ed25519 public key ("ssh-ed25519 AAAA…"): every commit the party makes
    /// is signed with it (SPEC §9). Only a commit a seller signs may add or change it.
    public var key: String?
    /// Keys the party held before a rotation, each valid for commits until `until`.
    public var retiredKeys: [RetiredKey]?
    public init(name: String? = nil, role: PartyRole, customerId: String? = nil, series: String? = nil, key: String? = nil) {
        self.name = name; self.role = role; self.customerId = customerId; self.series = series; self.key = key
    }
}

/// A key a party held until a rotation.
public struct RetiredKey: Codable, Sendable, Hashable {
    public var key: String
    public var until: String
    public init(key: String, until: String) { self.key = key; self.until = until }
}

/// `.folio/parties.json`: email → party.
public struct Parties: Codable, Sendable, Hashable {
    public var parties: [String: Party]
    public init(parties: [String: Party] = [:]) { self.parties = parties }
    public subscript(email: String) -> Party? { parties[email.lowercased()] ?? parties[email] }
}

public enum InvoicingMode: String, Codable, Sendable, CaseIterable {
    case api, manual
}

public struct Company: Codable, Sendable, Hashable {
    public init(name: String, vatId: String? = nil, address: String? = nil, email: String? = nil) {
        self.name = name; self.vatId = vatId; self.address = address; self.email = email
    }
    public var name: String
    public var vatId: String?
    public var address: String?
    public var email: String?
}

public struct Numbering: Codable, Sendable, Hashable {
    /// Digits of the sequence part: "A-00007" has padding 5.
    public var padding: Int
}

/// `.folio/config.json`.
public struct FolioConfig: Codable, Sendable, Hashable {
    public init(company: Company, currency: String, dueDays: Int = 30, invoicing: InvoicingMode = .api, requireApproval: Bool = true, padding: Int = 5, terms: String? = nil) {
        self.version = 1; self.company = company; self.currency = currency; self.dueDays = dueDays; self.invoicing = invoicing
        self.requireApproval = requireApproval; self.numbering = Numbering(padding: padding); self.terms = terms
    }
    public var version: Int
    public var company: Company
    public var currency: String
    public var dueDays: Int
    public var invoicing: InvoicingMode
    public var requireApproval: Bool
    public var numbering: Numbering
    public var terms: String?
    /// SPEC §9: every commit must be signed by its author's key. On for new repositories; an
    /// existing one turns it on with `folio config set requireSignatures true`, and the
    /// history checks require signatures from the commit after that one.
    public var requireSignatures: Bool?

    /// Seed 000: manual invoicing disables buyer approval.
    public var approvalRequired: Bool { invoicing == .api && requireApproval }
}

public enum ExtraFieldType: String, Codable, Sendable, CaseIterable {
    case text, number, date, list
}

/// One extra-field definition (seed 004 "extra field configs").
public struct FieldDefinition: Codable, Sendable, Hashable {
    public init(fieldName: String, fieldType: ExtraFieldType, isRequired: Bool = false, isUnique: Bool = false, maximumLength: Int? = nil, listOfValue: [String]? = nil) {
        self.fieldName = fieldName; self.fieldType = fieldType; self.isRequired = isRequired; self.isUnique = isUnique
        self.maximumLength = maximumLength; self.listOfValue = listOfValue; self.defaultValue = nil; self.visibleToEnduser = nil
    }
    public var fieldName: String
    public var fieldType: ExtraFieldType
    public var isRequired: Bool
    public var isUnique: Bool
    public var maximumLength: Int?
    public var listOfValue: [String]?
    public var defaultValue: String?
    public var visibleToEnduser: Bool?
    /// When the definition was added (`folio field add`). A required field is required of
    /// invoices first sent at or after this time; invoices sent before it are not asked for
    /// it. Without it (a definition written by hand) it is required of every sent invoice.
    public var addedAt: String?
}

public struct FieldDefinitions: Codable, Sendable, Hashable {
    public var fields: [FieldDefinition]
    public init(fields: [FieldDefinition] = []) { self.fields = fields }
}

/// The numbering state of one series, committed as `.folio/series/<prefix>.json` so that
/// every replica can check that the series is gapless and that no number is reused.
public struct SeriesState: Codable, Sendable, Hashable {
    public init(prefix: String, last: Int, void: [VoidNumber]? = nil) { self.prefix = prefix; self.last = last; self.void = void }
    public var prefix: String
    public var last: Int
    /// Numbers taken but not kept (a draft sent on two replicas at once keeps one number;
    /// the other is recorded here so the series stays gapless).
    public var void: [VoidNumber]?
    /// The replica (one clone, `git config folio.replica`) that issues from this series
    /// (SPEC §3): recorded by its first number, so that no other clone issues from it.
    public var claim: SeriesClaim?
}

public struct SeriesClaim: Codable, Sendable, Hashable {
    public var replica: String
    public var by: String
    public var at: String
    public init(replica: String, by: String, at: String) { self.replica = replica; self.by = by; self.at = at }
}

public struct VoidNumber: Codable, Sendable, Hashable {
    public var number: String
    public var invoiceId: String
    public var reason: String
    public init(number: String, invoiceId: String, reason: String) { self.number = number; self.invoiceId = invoiceId; self.reason = reason }
}

/// `.folio/shares.json` (SPEC §10): each customer's share, a git remote that a seller's sync
/// publishes that customer's projection to. Seller-only: it is never part of a share.
public struct Shares: Codable, Sendable, Hashable {
    public var shares: [String: Share]
    public init(shares: [String: Share] = [:]) { self.shares = shares }
}

public struct Share: Codable, Sendable, Hashable {
    public var url: String
    public var addedBy: String
    public var addedAt: String
    public init(url: String, addedBy: String, addedAt: String) { self.url = url; self.addedBy = addedBy; self.addedAt = addedAt }
}
