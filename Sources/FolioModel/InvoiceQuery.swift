/// `folio list` as a pure function over documents (SPEC §5, seeds 001 and 004). The index
/// answers the same questions from SQLite; this scan is the reference it is tested against.
public struct InvoiceQuery: Sendable, Hashable {
    public enum SortKey: String, Sendable, CaseIterable {
        case invoiceNumber, createdAt, updatedAt, dueDate, customerId, externalCustomerId, status, openBalance, originalBalance, isPendingPayment
    }
    public enum SearchField: String, Sendable, CaseIterable {
        case invoiceNumber, type, orderNumber, purchaseOrderNumber, customerId, externalCustomerId
    }
    /// Seed 004's `orderBy`.
    public enum SortOrder: String, Sendable, CaseIterable {
        case ascending = "ASC", descending = "DESC"
    }

    public var ids: [String] = []
    public var number: String?
    public var customerId: String?
    public var customerName: String?
    public var statuses: [InvoiceStatus] = []
    public var paymentStatuses: [PaymentStatus] = []
    public var productIds: [String] = []
    public var orderId: String?
    public var externalIds: [String] = []
    public var channels: [String] = []
    public var issuedFrom: String?, issuedTo: String?
    public var dueFrom: String?, dueTo: String?
    public var createdFrom: String?, createdTo: String?
    public var overdueOn: String?          // today, when --overdue
    /// Seed 001's `state`: BRP state numbers 1-9 (see `BRPState`).
    public var brpStates: [Int] = []
    public var q: String?
    public var searchBy: SearchField?
    public var type: String?
    public var sortBy: SortKey = .createdAt
    public var descending = false
    public var offset = 0
    public var limit = 50
    /// A buyer sees only their customer's invoices.
    public var visibleCustomer: String?

    public init() {}

    /// Accepts seed 004's camelCase and kebab-case, case-insensitively: "dueDate",
    /// "due-date", "DUE_DATE" all name the same thing.
    public static func normalize(_ s: String) -> String {
        String(s.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    public static func parse<E: RawRepresentable & CaseIterable>(_ text: String, as: E.Type) -> E? where E.RawValue == String {
        let wanted = normalize(text)
        return E.allCases.first { normalize($0.rawValue) == wanted }
    }

    public func matches(_ inv: Invoice) -> Bool {
        let status = inv.status ?? Workflow.status(events: inv.events, revision: inv.revision)
        if let v = visibleCustomer, inv.customer.id != v { return false }
        if !ids.isEmpty && !ids.contains(inv.id) { return false }
        if let number, !InvoiceQuery.numberMatches(inv.number, number) { return false }
        if let customerId, inv.customer.id != customerId { return false }
        if let customerName, !(inv.customer.name ?? "").lowercased().contains(customerName.lowercased()) { return false }
        if !statuses.isEmpty && !statuses.contains(status) { return false }
        if !paymentStatuses.isEmpty && !paymentStatuses.contains(inv.paymentStatus ?? .open) { return false }
        if !productIds.isEmpty && !inv.lines.contains(where: { $0.productId.map(productIds.contains) ?? false }) { return false }
        if let orderId, inv.orderId != orderId { return false }
        if !externalIds.isEmpty && !(inv.externalId.map(externalIds.contains) ?? false) { return false }
        if !channels.isEmpty && !(inv.channel.map { c in channels.contains { $0.lowercased() == c.lowercased() } } ?? false) { return false }
        if let type, InvoiceQuery.normalize(inv.type) != InvoiceQuery.normalize(type) { return false }
        if let f = issuedFrom, inv.issueDate < f { return false }
        if let t = issuedTo, inv.issueDate > t { return false }
        if let f = dueFrom, inv.dueDate < f { return false }
        if let t = dueTo, inv.dueDate > t { return false }
        if let f = createdFrom, String(inv.createdAt.prefix(10)) < f { return false }
        if let t = createdTo, String(inv.createdAt.prefix(10)) > t { return false }
        if let today = overdueOn, !InvoiceQuery.isOverdue(inv, status: status, today: today) { return false }
        if !brpStates.isEmpty && !brpStates.contains(BRPState.number(for: inv)) { return false }
        if let q, !q.isEmpty, !searchValues(inv).contains(where: { $0.lowercased().contains(q.lowercased()) }) { return false }
        return true
    }

    /// Overdue: past its due date with money still open, and owed by the buyer (sent, accepted or issued; not a credit note).
    public static func isOverdue(_ inv: Invoice, status: InvoiceStatus, today: String) -> Bool {
        // A credit note is owed to the buyer: never overdue (SPEC §3).
        guard inv.type != InvoiceType.creditNote else { return false }
        guard [.pendingApproval, .changesRequested, .accepted, .issued].contains(status) else { return false }
        return inv.dueDate < today && (inv.totals?.open ?? 0) > 0
    }

    /// "Invoice number without prefix" (seed 001) or the full number.
    static func numberMatches(_ have: String?, _ wanted: String) -> Bool {
        guard let have else { return false }
        if have.lowercased() == wanted.lowercased() { return true }
        if let (_, seq) = Series.parse(have), let w = Int(wanted) { return seq == w }
        return false
    }

    func searchValues(_ inv: Invoice) -> [String] {
        func values(_ field: SearchField) -> [String] {
            switch field {
            case .invoiceNumber: [inv.number].compactMap { $0 }
            case .type: [inv.type]
            case .orderNumber: [inv.orderId].compactMap { $0 }
            case .purchaseOrderNumber: [inv.purchaseOrderNumber].compactMap { $0 }
            case .customerId: [inv.customer.id]
            case .externalCustomerId: [inv.externalCustomerId].compactMap { $0 }
            }
        }
        if let searchBy { return values(searchBy) }
        return SearchField.allCases.flatMap(values)
    }

    /// Filters, sorts (ties broken by id, so pages are stable) and pages.
    public func run(_ invoices: [Invoice]) -> (page: [Invoice], totalCount: Int) {
        let hits = invoices.filter(matches)
        let sorted = hits.sorted { a, b in
            let c = InvoiceQuery.compare(a, b, sortBy)
            if c != 0 { return descending ? c > 0 : c < 0 }
            return descending ? a.id > b.id : a.id < b.id
        }
        let start = min(max(0, offset), sorted.count)
        let end = min(sorted.count, start + max(0, limit))
        return (Array(sorted[start..<end]), hits.count)
    }

    static func compare(_ a: Invoice, _ b: Invoice, _ key: SortKey) -> Int {
        func cmp<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch key {
        case .invoiceNumber: return cmp(a.number ?? "", b.number ?? "")
        case .createdAt: return cmp(a.createdAt, b.createdAt)
        case .updatedAt: return cmp(a.updatedAt, b.updatedAt)
        case .dueDate: return cmp(a.dueDate, b.dueDate)
        case .customerId: return cmp(a.customer.id, b.customer.id)
        case .externalCustomerId: return cmp(a.externalCustomerId ?? "", b.externalCustomerId ?? "")
        case .status: return cmp((a.status ?? .draft).rawValue, (b.status ?? .draft).rawValue)
        case .openBalance: return cmp(a.totals?.open ?? 0, b.totals?.open ?? 0)
        case .originalBalance: return cmp(a.totals?.total ?? 0, b.totals?.total ?? 0)
        case .isPendingPayment: return cmp((a.totals?.open ?? 0) > 0 ? 1 : 0, (b.totals?.open ?? 0) > 0 ? 1 : 0)
        }
    }
}
