import Foundation

/// A rule of SPEC §3 that an action breaks. The sentence says why, so a user can act on it.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Who is acting, as resolved from --as / FOLIO_USER / git config and parties.json.
public struct Actor: Sendable, Hashable {
    public var email: String
    public var party: Party
    public init(email: String, party: Party) { self.email = email; self.party = party }
    public var isSeller: Bool { party.role == .seller }
    public var isBuyer: Bool { party.role == .buyer }
}

/// The approval workflow of SPEC §3. Status is never stored as truth: it follows from the
/// events and from whether the content changed since the last send.
public enum Workflow {
    public static func ordered(_ events: [InvoiceEvent]) -> [InvoiceEvent] {
        events.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
    }

    /// Appends an event so that it sorts after every event already there: events are
    /// ordered by (at, id), and an answer given in the same second as what it answers (or on a
    /// clock running behind) must still come after it. Its time is never earlier than the
    /// latest event's, and when it shares that second its id extends the largest id of that
    /// second, which sorts after it.
    static func appendEvent(_ doc: inout Invoice, _ event: InvoiceEvent) {
        var event = event
        if let latest = doc.events.map(\.at).max(), event.at <= latest {
            event.at = latest
            if let largest = doc.events.filter({ $0.at == latest }).map(\.id).max(), event.id <= largest, largest.utf8.count <= 90 {
                let suffix = event.id.hasPrefix("ev_") ? String(event.id.dropFirst(3)) : event.id
                event.id = largest + "." + suffix.prefix(4)
            }
        }
        doc.events.append(event)
    }

    public static func lastSentRevision(_ events: [InvoiceEvent]) -> Int? {
        events.filter { $0.type == .sent }.map(\.revision).max()
    }

    /// Precedence, so that concurrent histories merged in any order agree: void and
    /// acceptance are final (acceptance first: a buyer's binding answer outranks a void
    /// that raced it), an issue without approval is final, a decline forbids resending,
    /// and otherwise the newest sent revision decides.
    public static func status(events: [InvoiceEvent], revision: Int) -> InvoiceStatus {
        if events.contains(where: { $0.type == .accepted }) { return .accepted }
        if events.contains(where: { $0.type == .voided }) { return .voided }
        if events.contains(where: { $0.type == .issued }) { return .issued }
        if events.contains(where: { $0.type == .declined }) { return .declined }
        guard let sent = lastSentRevision(events) else { return .draft }
        if events.contains(where: { $0.type == .changesRequested && $0.revision >= sent }) { return .changesRequested }
        return revision > sent ? .draft : .pendingApproval
    }

    /// Fields whose change is an edit of the invoice's content. Everything else is
    /// bookkeeping (identity, workflow, payments, derived values, audit stamps).
    public static let nonContentKeys: Set<String> = [
        "id", "number", "status", "paymentStatus", "totals", "payments", "events", "revision",
        "conflicts", "voidedNumbers", "reminderAmount", "createdBy", "createdAt", "updatedBy", "updatedAt",
    ]

    /// Fields an edit may not touch at all.
    public static let protectedKeys: Set<String> = [
        "id", "number", "type", "orderId", "creditNoteFor", "currency", "customer", "channel",
        "status", "paymentStatus", "totals", "payments", "events", "revision", "conflicts", "voidedNumbers", "reminderAmount",
        "createdBy", "createdAt", "updatedBy", "updatedAt",
    ]

    public static func content(of doc: JSONValue) -> JSONValue {
        guard case .object(var members) = doc else { return doc }
        for key in nonContentKeys { members.removeValue(forKey: key) }
        // Derived line amounts are not content either: they follow from quantity and price.
        if case .array(let lines)? = members["lines"] {
            members["lines"] = .array(lines.map { line in
                guard case .object(var m) = line else { return line }
                m["net"] = nil; m["tax"] = nil; m["total"] = nil
                return .object(m)
            })
        }
        if case .array(let costs)? = members["costLines"] {
            members["costLines"] = .array(costs.map { line in
                guard case .object(var m) = line else { return line }
                m["tax"] = nil; m["total"] = nil
                return .object(m)
            })
        }
        return .object(members)
    }

    // MARK: - Permissions

    static func requireSeller(_ actor: Actor, _ what: String) throws(Refusal) {
        guard actor.isSeller else { throw Refusal("\(actor.email) is a buyer; only a seller can \(what)") }
    }

    static func requireBuyer(_ actor: Actor, of invoice: Invoice, _ what: String) throws(Refusal) {
        guard actor.isBuyer else { throw Refusal("\(actor.email) is a seller; only the buyer can \(what) (sellers never answer for buyers)") }
        guard actor.party.customerId == invoice.customer.id else {
            throw Refusal("\(actor.email) belongs to customer \(actor.party.customerId ?? "none"), not to \(invoice.customer.id), the customer of invoice \(invoice.id)")
        }
    }

    public static func canSee(_ actor: Actor, _ invoice: Invoice) -> Bool {
        actor.isSeller || actor.party.customerId == invoice.customer.id
    }

    // MARK: - Seller actions

    public static func needsNumber(_ invoice: Invoice) -> Bool { invoice.number == nil }

    /// Send for approval (or issue, when approval is off). The caller assigns `number` from
    /// the clone's series when `needsNumber` is true; a revision keeps its number.
    ///
    /// `firstSend` dates the invoice (SPEC §3): a first send makes today its issue date, and a
    /// due date still at its default (issue date + dueDays) moves with it; a due date the seller
    /// chose stays. Later revisions keep both.
    public static func send(_ invoice: Invoice, by actor: Actor, at: String, eventID: String, requireApproval: Bool, number: String?,
                            distribution: Distribution? = nil, firstSend: (today: String, dueDays: Int)? = nil) throws(Refusal) -> Invoice {
        try requireSeller(actor, "send an invoice")
        let status = self.status(events: invoice.events, revision: invoice.revision)
        switch status {
        case .draft, .changesRequested: break
        case .pendingApproval: throw Refusal("invoice \(label(invoice)) is already waiting for the buyer's answer on revision \(invoice.revision); edit it first to send a new revision")
        case .declined: throw Refusal("invoice \(label(invoice)) was declined by the buyer; a declined invoice is never sent again (void it, or create a new one)")
        case .accepted: throw Refusal("invoice \(label(invoice)) is accepted and final; corrections go through a credit note (folio invoice credit)")
        case .issued: throw Refusal("invoice \(label(invoice)) is already issued")
        case .voided: throw Refusal("invoice \(label(invoice)) is void")
        }
        guard invoice.type != InvoiceType.creditNote else { throw Refusal("credit notes are issued when they are created") }
        var doc = invoice
        if doc.number == nil {
            guard let number else { throw Refusal("invoice \(invoice.id) needs a number before it is sent") }
            doc.number = number
            if let firstSend, firstSend.today != doc.issueDate {
                if doc.dueDate == Dates.addDays(doc.issueDate, firstSend.dueDays) {
                    doc.dueDate = Dates.addDays(firstSend.today, firstSend.dueDays) ?? doc.dueDate
                } else if let due = Dates.parseDate(doc.dueDate), let today = Dates.parseDate(firstSend.today), due < today {
                    throw Refusal("invoice \(label(invoice)) is due \(doc.dueDate), before today, the day it would be issued; set a later due date first (--set /dueDate=YYYY-MM-DD)")
                }
                doc.issueDate = firstSend.today
            }
        }
        // A resend after a change request is the next revision even if nothing was edited.
        if let sent = lastSentRevision(doc.events), doc.revision <= sent { doc.revision = sent + 1 }
        if let distribution { doc.distribution = distribution }
        appendEvent(&doc, InvoiceEvent(id: eventID, type: requireApproval ? .sent : .issued, revision: doc.revision, by: actor.email, at: at))
        return stamp(doc, actor, at)
    }

    public static func void(_ invoice: Invoice, by actor: Actor, at: String, eventID: String, reason: String?) throws(Refusal) -> Invoice {
        try requireSeller(actor, "void an invoice")
        let status = self.status(events: invoice.events, revision: invoice.revision)
        if status == .accepted { throw Refusal("invoice \(label(invoice)) is accepted; an accepted invoice cannot be voided, issue a credit note instead") }
        if status == .issued { throw Refusal("invoice \(label(invoice)) is issued and final; an issued invoice is never voided, issue a credit note instead (a full credit note cancels it)") }
        if invoice.type == InvoiceType.creditNote { throw Refusal("\(label(invoice)) is a credit note; it is final once issued") }
        if status == .voided { throw Refusal("invoice \(label(invoice)) is already void") }
        if !invoice.payments.isEmpty { throw Refusal("invoice \(label(invoice)) has payments; a paid invoice cannot be voided, issue a credit note instead") }
        var doc = invoice
        appendEvent(&doc, InvoiceEvent(id: eventID, type: .voided, revision: doc.revision, by: actor.email, at: at, reason: reason))
        return stamp(doc, actor, at)
    }

    /// Checks an edited document against the old one and applies the revision rule:
    /// editing after a send makes the next revision, which must be sent again.
    public static func edit(old: Invoice, new: Invoice, oldJSON: JSONValue, newJSON: JSONValue, by actor: Actor, at: String) throws(Refusal) -> Invoice {
        try requireSeller(actor, "change an invoice's content")
        let status = self.status(events: old.events, revision: old.revision)
        switch status {
        case .accepted: throw Refusal("invoice \(label(old)) is accepted and its content is final; corrections go through a credit note (folio invoice credit)")
        case .issued: throw Refusal("invoice \(label(old)) is issued and its content is final; corrections go through a credit note (folio invoice credit)")
        case .voided: throw Refusal("invoice \(label(old)) is void and cannot be edited")
        default: break
        }
        for key in protectedKeys where oldJSON[key] != newJSON[key] {
            throw Refusal("/\(key) cannot be changed by an edit (\(protectedReason(key)))")
        }
        let oldRefs = old.lines.map(\.orderItemRef), newRefs = new.lines.map(\.orderItemRef)
        if oldRefs != newRefs || old.lines.map(\.id) != new.lines.map(\.id) {
            throw Refusal("/lines: lines cannot be added, removed or reordered by an edit; they follow the order items invoiced (use costLines for fees, or void and re-create)")
        }
        var doc = new
        if content(of: oldJSON) == content(of: newJSON) { return old }
        if let sent = lastSentRevision(old.events), doc.revision <= sent { doc.revision = sent + 1 }
        return stamp(doc, actor, at)
    }

    static func protectedReason(_ key: String) -> String {
        switch key {
        case "totals", "status", "paymentStatus": "it is derived and always recomputed"
        case "events": "use send, accept, decline, request-changes or void"
        case "payments": "use folio invoice pay"
        case "number": "numbers are assigned on first send and never change"
        case "conflicts": "use folio resolve"
        default: "it is fixed when the invoice is created"
        }
    }

    public static func pay(_ invoice: Invoice, by actor: Actor, payment: Payment) throws(Refusal) -> Invoice {
        if invoice.type == InvoiceType.creditNote {
            throw Refusal("\(label(invoice)) is a credit note: its amount is owed to the buyer and is settled by a refund (folio invoice refund), not by a payment")
        }
        let status = self.status(events: invoice.events, revision: invoice.revision)
        if actor.isBuyer { try requireBuyer(actor, of: invoice, "pay this invoice") }
        switch status {
        case .draft: throw Refusal("invoice \(label(invoice)) is a draft; send it before recording payments")
        case .voided: throw Refusal("invoice \(label(invoice)) is void; payments cannot be recorded on it")
        case .declined: throw Refusal("invoice \(label(invoice)) was declined; payments cannot be recorded on it")
        default: break
        }
        guard payment.amount > 0 else { throw Refusal("--amount must be greater than zero") }
        var doc = invoice
        doc.payments.append(payment)
        return stamp(doc, actor, payment.at)
    }

    /// A refund of a credit note (SPEC §3): the seller pays back what the note owes the
    /// buyer. Recorded in the note's payments, so its open amount is what is still to refund.
    public static func refund(_ note: Invoice, by actor: Actor, payment: Payment) throws(Refusal) -> Invoice {
        try requireSeller(actor, "record a refund")
        guard note.type == InvoiceType.creditNote else {
            throw Refusal("\(label(note)) is an invoice; refunds settle credit notes (record what the buyer paid with folio invoice pay)")
        }
        guard payment.amount > 0 else { throw Refusal("--amount must be greater than zero") }
        var doc = note
        doc.payments.append(payment)
        return stamp(doc, actor, payment.at)
    }

    // MARK: - Buyer answers

    public static func respond(_ invoice: Invoice, with type: EventType, by actor: Actor, at: String, eventID: String, text: String?) throws(Refusal) -> Invoice {
        let verb: String
        switch type {
        case .accepted: verb = "accept"
        case .declined: verb = "decline"
        case .changesRequested: verb = "request changes to"
        default: throw Refusal("\(type.rawValue) is not a buyer's answer")
        }
        try requireBuyer(actor, of: invoice, "\(verb) an invoice")
        let status = self.status(events: invoice.events, revision: invoice.revision)
        guard status == .pendingApproval else {
            throw Refusal("invoice \(label(invoice)) is \(status.rawValue), not pending_approval; only an invoice waiting for your answer can be answered")
        }
        let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if type == .declined && trimmed.isEmpty { throw Refusal("a decline needs a reason (--reason)") }
        if type == .changesRequested && trimmed.isEmpty { throw Refusal("a change request needs a note saying what to change (--note)") }
        var doc = invoice
        appendEvent(&doc, InvoiceEvent(id: eventID, type: type, revision: doc.revision, by: actor.email, at: at,
                                       note: type == .changesRequested || (type == .accepted && !trimmed.isEmpty) ? trimmed : nil,
                                       reason: type == .declined ? trimmed : nil))
        return stamp(doc, actor, at)
    }

    static func stamp(_ invoice: Invoice, _ actor: Actor, _ at: String) -> Invoice {
        var doc = invoice
        doc.updatedBy = actor.email
        doc.updatedAt = at
        return doc
    }

    public static func label(_ invoice: Invoice) -> String {
        invoice.number.map { "\($0) (\(invoice.id))" } ?? invoice.id
    }
}

