/// Derived fields (SPEC §2): totals, status and paymentStatus are recomputed from the rest
/// of the document every time it is written or merged, and never trusted from input.
public enum ArithmeticError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDecimal(pointer: String, value: String)
    case overflow(pointer: String)
    public var description: String {
        switch self {
        case .invalidDecimal(let p, let v): "\(p): \"\(v)\" is not a decimal number such as \"2\" or \"7.5\""
        case .overflow(let p): "\(p): the amount is too large to store"
        }
    }
}

public enum LineMath {
    /// net = round(quantity × unitPrice) − discount; tax = round(net × rate / 100);
    /// each rounded half away from zero on its own line, as EN 16931 does.
    public static func amounts(quantity: String, unitPrice: Int64, discount: Int64, taxRate: String, pointer: String) throws(ArithmeticError) -> (net: Int64, tax: Int64, total: Int64) {
        guard let q = ExactDecimal(quantity) else { throw .invalidDecimal(pointer: pointer + "/quantity", value: quantity) }
        guard let rate = ExactDecimal(taxRate) else { throw .invalidDecimal(pointer: pointer + "/taxRate", value: taxRate) }
        guard let gross = (q * ExactDecimal(unitPrice)).roundedHalfAwayFromZero() else { throw .overflow(pointer: pointer) }
        let (net, o1) = gross.subtractingReportingOverflow(discount)
        guard !o1 else { throw .overflow(pointer: pointer) }
        let rateOver100 = ExactDecimal(significand: rate.significand, scale: rate.scale + 2)
        guard let tax = (ExactDecimal(net) * rateOver100).roundedHalfAwayFromZero() else { throw .overflow(pointer: pointer) }
        let (total, o2) = net.addingReportingOverflow(tax)
        guard !o2 else { throw .overflow(pointer: pointer) }
        return (net, tax, total)
    }

    public static func costAmounts(amount: Int64, taxRate: String?, pointer: String) throws(ArithmeticError) -> (tax: Int64, total: Int64) {
        guard let rateText = taxRate else { return (0, amount) }
        guard let rate = ExactDecimal(rateText) else { throw .invalidDecimal(pointer: pointer + "/taxRate", value: rateText) }
        let rateOver100 = ExactDecimal(significand: rate.significand, scale: rate.scale + 2)
        guard let tax = (ExactDecimal(amount) * rateOver100).roundedHalfAwayFromZero() else { throw .overflow(pointer: pointer) }
        let (total, o) = amount.addingReportingOverflow(tax)
        guard !o else { throw .overflow(pointer: pointer) }
        return (tax, total)
    }
}

private func checkedSum(_ values: [Int64], pointer: String) throws(ArithmeticError) -> Int64 {
    var sum: Int64 = 0
    for v in values {
        let (s, o) = sum.addingReportingOverflow(v)
        if o { throw .overflow(pointer: pointer) }
        sum = s
    }
    return sum
}

extension Invoice {
    /// Recomputes every derived field. Totals: subtotal = Σ line nets + Σ cost line
    /// amounts; discount = Σ line discounts (already inside the nets); tax = Σ taxes;
    /// total = subtotal + tax; paid = Σ payments; open = total + reminder fees − paid.
    public func derived() throws(ArithmeticError) -> Invoice {
        var doc = self
        var nets: [Int64] = [], taxes: [Int64] = [], discounts: [Int64] = []
        for i in doc.lines.indices {
            let line = doc.lines[i]
            let a = try LineMath.amounts(quantity: line.quantity, unitPrice: line.unitPrice, discount: line.discount ?? 0, taxRate: line.taxRate, pointer: "/lines/\(i)")
            doc.lines[i].net = a.net
            doc.lines[i].tax = a.tax
            doc.lines[i].total = a.total
            nets.append(a.net); taxes.append(a.tax); discounts.append(line.discount ?? 0)
        }
        if var costs = doc.costLines {
            for i in costs.indices {
                let a = try LineMath.costAmounts(amount: costs[i].amount, taxRate: costs[i].taxRate, pointer: "/costLines/\(i)")
                costs[i].tax = a.tax
                costs[i].total = a.total
                nets.append(costs[i].amount); taxes.append(a.tax)
            }
            doc.costLines = costs
        }
        let subtotal = try checkedSum(nets, pointer: "/totals/subtotal")
        let tax = try checkedSum(taxes, pointer: "/totals/tax")
        let total = try checkedSum([subtotal, tax], pointer: "/totals/total")
        let paid = try checkedSum(doc.payments.map(\.amount), pointer: "/totals/paid")
        // Reminder fees (seed 001 `reminderamount`) are owed on top of the total.
        let fees = try checkedSum(doc.events.filter { Workflow.reminderTypes.contains($0.type) }.compactMap(\.fee), pointer: "/reminderAmount")
        doc.reminderAmount = fees == 0 ? nil : fees
        let (owed, o0) = total.addingReportingOverflow(fees)
        if o0 { throw .overflow(pointer: "/reminderAmount") }
        let (open, o) = owed.subtractingReportingOverflow(paid)
        if o { throw .overflow(pointer: "/totals/open") }
        doc.totals = Totals(subtotal: subtotal, discount: try checkedSum(discounts, pointer: "/totals/discount"), tax: tax, total: total, paid: paid, open: open)
        doc.paymentStatus = paid == 0 && open > 0 ? .open : (open <= 0 ? .paid : .partiallyPaid)
        doc.status = Workflow.status(events: doc.events, revision: doc.revision)
        doc.events = Workflow.ordered(doc.events)
        doc.payments = doc.payments.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
        return doc
    }
}
