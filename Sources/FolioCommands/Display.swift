import Foundation
import FolioModel

/// Human-readable renderings. Scripts use --json; this is for people at a terminal.
enum Display {
    static func money(_ minor: Int64?, _ code: String) -> String {
        guard let minor, let c = Currency(code: code) else { return "-" }
        return "\(Money.format(minor, currency: c)) \(code)"
    }

    static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? fill + s : s + fill
    }

    static func isoMinute(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        return String(f.string(from: date).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    static func statusLabel(_ s: InvoiceStatus?) -> String {
        switch s {
        case .changesRequested: "changes_requested (Needs Edit)"
        case let s?: s.rawValue
        case nil: "?"
        }
    }

    static func statusLine(_ inv: Invoice) -> String {
        if inv.type == InvoiceType.creditNote {
            // Owed to the buyer: what is open here is a refund the seller still owes.
            return "  \(inv.number ?? inv.id): credit note for \(inv.creditNoteFor ?? "?"), credit \(money(inv.totals?.total, inv.currency)) owed to the buyer, to refund \(money(inv.totals?.open, inv.currency))"
        }
        let brp = BRPState.number(for: inv)
        return "  \(inv.number ?? inv.id): \(statusLabel(inv.status)) [BRP \(brp) \(BRPState.names[brp] ?? "")], revision \(inv.revision), total \(money(inv.totals?.total, inv.currency)), open \(money(inv.totals?.open, inv.currency)) (\(inv.paymentStatus?.rawValue ?? "?"))"
    }

    static func invoice(_ inv: Invoice) -> String {
        var out: [String] = []
        let title = inv.type == InvoiceType.creditNote ? "Credit note" : "Invoice"
        out.append("\(title) \(inv.number ?? "(no number yet)")   id \(inv.id)   revision \(inv.revision)")
        let brp = BRPState.number(for: inv)
        out.append("Status: \(statusLabel(inv.status))   payment: \(inv.paymentStatus?.rawValue ?? "?") (\(BRPState.seed004PaymentStatus(inv.paymentStatus)))   BRP state \(brp) \(BRPState.names[brp] ?? "")")
        out.append("Customer: \(inv.customer.name ?? "") (\(inv.customer.id))\(inv.purchaseOrderNumber.map { "   PO \($0)" } ?? "")\(inv.orderId.map { "   order \($0)" } ?? "")\(inv.creditNoteFor.map { "   credits \($0)" } ?? "")")
        out.append("Issued \(inv.issueDate)   due \(inv.dueDate)   currency \(inv.currency)")
        out.append("")
        for line in inv.lines {
            let discount = (line.discount ?? 0) > 0 ? "  less \(money(line.discount, inv.currency))" : ""
            out.append("  " + [pad(line.id, 8), pad(String(line.description.prefix(34)), 34), pad(line.quantity, 6, left: true) + " x",
                               pad(money(line.unitPrice, inv.currency), 14, left: true), "tax " + pad(line.taxRate + "%", 5, left: true),
                               pad(money(line.total, inv.currency), 16, left: true)].joined(separator: " ") + discount)
        }
        for c in inv.costLines ?? [] {
            out.append("  \(c.id)  \(c.description)  \(money(c.total, inv.currency))")
        }
        if let t = inv.totals {
            out.append("")
            out.append("  Subtotal \(money(t.subtotal, inv.currency))   discount \(money(t.discount, inv.currency))   tax \(money(t.tax, inv.currency))")
            let fees = inv.reminderAmount.map { "   reminder fees \(money($0, inv.currency))" } ?? ""
            out.append("  Total    \(money(t.total, inv.currency))\(fees)   paid \(money(t.paid, inv.currency))   open \(money(t.open, inv.currency))")
        }
        if !inv.payments.isEmpty {
            out.append("")
            out.append("Payments:")
            for p in inv.payments { out.append("  \(p.date)  \(money(p.amount, inv.currency))  \(p.reference ?? "")  by \(p.by)") }
        }
        if !inv.events.isEmpty {
            out.append("")
            out.append("Events:")
            for e in inv.events {
                let text = e.reason ?? e.note
                let fee = e.fee.map { " (fee \(money($0, inv.currency)))" } ?? ""
                out.append("  \(e.at)  \(e.type.rawValue) r\(e.revision) by \(e.by)\(fee)\(text.map { ": \($0)" } ?? "")")
            }
        }
        if let note = inv.note { out.append(""); out.append("Note: \(note)") }
        if let c = inv.conflicts, !c.isEmpty { out.append(""); out.append("Unresolved conflicts: \(c.count) (folio conflicts)") }
        return out.joined(separator: "\n")
    }

    static func order(_ order: Order) -> String {
        var out = ["Order \(order.id)\(order.number.map { " (\($0))" } ?? "")   customer \(order.customer.name ?? "") (\(order.customer.id))   channel \(order.channel ?? "-")   \(order.currency)"]
        for item in order.items {
            var mark = item.status == .invoiced ? "invoiced by \(item.takers.joined(separator: ", "))" : item.status.rawValue
            if let parts = item.invoicedParts {
                let taken = parts.map { "\($0.quantity) by \($0.invoiceId)" }.joined(separator: ", ")
                mark = item.status == .invoiced ? "invoiced: \(taken)" : "\(item.status.rawValue) (\(item.status == .open ? "\(item.openQuantity) left" : "rest cancelled"); invoiced \(taken))"
            }
            out.append("  \(item.ref)\t\(item.description)\t\(item.quantity) x \(money(item.unitPrice, order.currency))\t\(mark)")
        }
        let open = order.openItems.count
        out.append(open == 0 ? "All items are invoiced or cancelled." : "\(open) of \(order.items.count) items still open.")
        return out.joined(separator: "\n")
    }

    /// One finding as `validate --format json` and `--json` errors print it; `strict` makes a
    /// warning an error (`validate --strict`).
    static func json(_ f: Finding, strict: Bool = false) -> JSONValue {
        var o: [String: JSONValue] = ["rule": .string(f.rule), "severity": .string(strict ? "error" : f.severity.rawValue), "file": .string(f.file),
                                      "pointer": .string(f.pointer), "message": .string(f.message)]
        if let c = f.commit { o["commit"] = .string(c) }
        return .object(o)
    }
}

/// Seed 001's invoice states, an output mapping kept stable: 1 Not sent, 2 Pending,
/// 3 Completed, 7 Sent. Folio's other states map onto the nearest one.
