/// Order items by quantity (seed 002: every item ends invoiced or cancelled, SPEC §3). An
/// item is taken whole by one invoice (`invoiceId`), or in parts by several (`invoicedParts`),
/// never beyond its quantity. One representation per state, so two replicas that reach the same
/// state write the same bytes:
/// - nothing taken: no `invoiceId`, no parts; `open` (or `cancelled`);
/// - one invoice took it all: `invoiceId`, no parts, `invoiced`;
/// - anything else: parts sorted by invoice id; `invoiced` when they add up to the quantity,
///   else `open` (or `cancelled`: the rest was cancelled).
extension OrderItem {
    public var quantityValue: ExactDecimal { ExactDecimal(quantity) ?? ExactDecimal(0) }

    /// The invoices that took the item or a part of it.
    public var takers: [String] {
        if let parts = invoicedParts { return parts.map(\.invoiceId) }
        return invoiceId.map { [$0] } ?? []
    }

    /// What `invoiceID` took of the item.
    public func invoicedQuantity(of invoiceID: String) -> ExactDecimal {
        if let parts = invoicedParts {
            return parts.filter { $0.invoiceId == invoiceID }.reduce(ExactDecimal(0)) { $0 + (ExactDecimal($1.quantity) ?? ExactDecimal(0)) }
        }
        return invoiceId == invoiceID ? quantityValue : ExactDecimal(0)
    }

    /// What all invoices but `invoiceID` took of the item.
    public func invoicedQuantity(excluding invoiceID: String? = nil) -> ExactDecimal {
        takers.filter { $0 != invoiceID }.reduce(ExactDecimal(0)) { $0 + invoicedQuantity(of: $1) }
    }

    /// What is left to invoice: nothing once the rest is cancelled.
    public var openQuantity: ExactDecimal {
        status == .cancelled ? ExactDecimal(0) : quantityValue - invoicedQuantity()
    }

    /// Records that `invoiceID` takes `quantity` of the item (zero: gives back what it took).
    public mutating func setTake(invoiceID: String, quantity: ExactDecimal) {
        var parts: [ItemPart] = takers.filter { $0 != invoiceID }.map { ItemPart(invoiceId: $0, quantity: invoicedQuantity(of: $0).description) }
        if !quantity.isZero { parts.append(ItemPart(invoiceId: invoiceID, quantity: quantity.description)) }
        parts.sort { $0.invoiceId < $1.invoiceId }
        let taken = parts.reduce(ExactDecimal(0)) { $0 + (ExactDecimal($1.quantity) ?? ExactDecimal(0)) }
        let cancelled = status == .cancelled
        invoiceId = nil
        invoicedParts = nil
        if parts.count == 1, ExactDecimal.isSame(taken, as: quantityValue) {
            invoiceId = parts[0].invoiceId
            status = .invoiced
        } else {
            if !parts.isEmpty { invoicedParts = parts }
            status = ExactDecimal.isSame(taken, as: quantityValue) && !parts.isEmpty ? .invoiced : (cancelled ? .cancelled : .open)
        }
    }

    /// Puts the item back in its one representation for what it records now (after a merge
    /// joined the parts two replicas recorded).
    public mutating func settle() {
        guard let first = takers.first else {
            if status == .invoiced { invoiceId = nil }
            return
        }
        setTake(invoiceID: first, quantity: invoicedQuantity(of: first))
    }
}
