/// Reminders and distribution (SPEC §3, seeds 000 and 001), and the BRP state numbers that
/// seed 001 reports for them. Like status, all of it follows from the events.
public enum ReminderStage: String, Sendable, CaseIterable {
    case reminder, bureau, collection

    public var eventType: EventType {
        switch self {
        case .reminder: .reminder
        case .bureau: .reminderBureau
        case .collection: .billCollection
        }
    }

    init?(_ type: EventType) {
        switch type {
        case .reminder: self = .reminder
        case .reminderBureau: self = .bureau
        case .billCollection: self = .collection
        default: return nil
        }
    }

    var rank: Int { ReminderStage.allCases.firstIndex(of: self)! }
}

extension Workflow {
    static let reminderTypes: Set<EventType> = [.reminder, .reminderBureau, .billCollection]

    /// The furthest dunning stage the invoice has reached, if any.
    public static func reminderStage(_ events: [InvoiceEvent]) -> ReminderStage? {
        events.compactMap { ReminderStage($0.type) }.max { $0.rank < $1.rank }
    }

    /// A reminder, then the reminder bureau, then bill collection (seed 001 states 4, 5, 6),
    /// each an event with an optional fee that is owed on top of the total. Only for an
    /// invoice the buyer owes, past its due date, with money still open.
    public static func remind(_ invoice: Invoice, stage: ReminderStage, fee: Int64?, by actor: Actor, at: String, today: String, eventID: String) throws(Refusal) -> Invoice {
        try requireSeller(actor, "send reminders")
        guard invoice.type != InvoiceType.creditNote else { throw Refusal("\(label(invoice)) is a credit note: it is owed to the buyer, nobody is reminded of it") }
        let status = self.status(events: invoice.events, revision: invoice.revision)
        guard [.pendingApproval, .changesRequested, .accepted, .issued].contains(status) else {
            throw Refusal("invoice \(label(invoice)) is \(status.rawValue); only a sent invoice the buyer owes gets reminders")
        }
        guard invoice.dueDate < today else { throw Refusal("invoice \(label(invoice)) is not overdue: it is due \(invoice.dueDate)") }
        guard let open = (try? invoice.derived())?.totals?.open, open > 0 else { throw Refusal("invoice \(label(invoice)) is paid; nothing to remind of") }
        if let fee, fee < 0 { throw Refusal("--fee must not be negative") }
        let reached = reminderStage(invoice.events)
        switch stage {
        case .reminder:
            if let reached, reached != .reminder { throw Refusal("invoice \(label(invoice)) is already with the \(reached == .bureau ? "reminder bureau" : "bill collection"); reminders come before") }
        case .bureau, .collection:
            let before = ReminderStage.allCases[stage.rank - 1]
            if reached == stage { throw Refusal("invoice \(label(invoice)) is already at stage \(stage.rawValue)") }
            guard reached == before else {
                throw Refusal("invoice \(label(invoice)) must reach stage \(before.rawValue) before \(stage.rawValue)\(reached.map { " (it is at \($0.rawValue))" } ?? "")")
            }
        }
        var doc = invoice
        appendEvent(&doc, InvoiceEvent(id: eventID, type: stage.eventType, revision: doc.revision, by: actor.email, at: at, fee: fee.flatMap { $0 == 0 ? nil : $0 }))
        return stamp(doc, actor, at)
    }

    /// The outbox (seeds 000, 001): a sent invoice whose distribution is email or print waits
    /// until the delivery command reports it delivered, after its latest send.
    public static func awaitsDelivery(_ invoice: Invoice) -> Bool {
        awaitsDelivery(method: invoice.distribution?.method, status: status(events: invoice.events, revision: invoice.revision),
                       orderedTypes: ordered(invoice.events).map(\.type))
    }

    /// The same from what an index row keeps: the event types in their (at, id) order, which
    /// is the order a valid document stores them in.
    public static func awaitsDelivery(method: DistributionMethod?, status: InvoiceStatus, orderedTypes: [EventType]) -> Bool {
        guard let method, method != .none else { return false }
        guard [.pendingApproval, .changesRequested, .accepted, .issued].contains(status) else { return false }
        guard let lastSend = orderedTypes.lastIndex(where: { $0 == .sent || $0 == .issued }) else { return false }
        guard let lastDelivered = orderedTypes.lastIndex(of: .delivered) else { return true }
        return lastDelivered < lastSend
    }

    /// The failures reported since the latest send, for the outbox to show.
    public static func deliveryFailures(_ invoice: Invoice) -> [InvoiceEvent] {
        let lastSend = invoice.events.filter { $0.type == .sent || $0.type == .issued }.map { ($0.at, $0.id) }.max(by: <) ?? ("", "")
        return invoice.events.filter { $0.type == .deliveryFailed && ($0.at, $0.id) > lastSend }
    }

    /// Records what the delivery command reported: delivered (SPEC §3: state 7 "sent"), or a
    /// failure that stays in the outbox with its reason.
    public static func recordDelivery(_ invoice: Invoice, delivered: Bool, detail: String, by actor: Actor, at: String, eventID: String) throws(Refusal) -> Invoice {
        try requireSeller(actor, "deliver invoices")
        guard awaitsDelivery(invoice) else { throw Refusal("invoice \(label(invoice)) is not waiting to be delivered") }
        var doc = invoice
        appendEvent(&doc, InvoiceEvent(id: eventID, type: delivered ? .delivered : .deliveryFailed, revision: doc.revision, by: actor.email, at: at,
                                       note: delivered ? detail : nil, reason: delivered ? nil : detail))
        return stamp(doc, actor, at)
    }
}

/// Seed 001's invoice states, a stable output mapping (its numbers never change meaning):
/// 1 not sent, 2 pending, 3 completed, 4 reminder, 5 reminder bureau, 6 bill collection,
/// 7 sent, 9 waiting to be sent (8 "exported" has no counterpart in Folio).
public enum BRPState {
    public static let names = [1: "Not sent", 2: "Pending", 3: "Completed", 4: "Reminder", 5: "Reminder bureau", 6: "Bill collection",
                               7: "Sent", 8: "Exported", 9: "Waiting to be sent"]

    public static func number(for invoice: Invoice) -> Int {
        number(status: invoice.status ?? Workflow.status(events: invoice.events, revision: invoice.revision), paymentStatus: invoice.paymentStatus,
               distribution: invoice.distribution?.method, orderedTypes: Workflow.ordered(invoice.events).map(\.type))
    }

    /// The one mapping, from what both a document and an index row hold.
    public static func number(status: InvoiceStatus, paymentStatus: PaymentStatus?, distribution: DistributionMethod?, orderedTypes: [EventType]) -> Int {
        switch status {
        case .draft: return 1
        case .declined, .voided: return 3
        default: break
        }
        if paymentStatus == .paid { return 3 }
        if Workflow.awaitsDelivery(method: distribution, status: status, orderedTypes: orderedTypes) { return 9 }
        switch orderedTypes.compactMap(ReminderStage.init).max(by: { $0.rank < $1.rank }) {
        case .collection?: return 6
        case .bureau?: return 5
        case .reminder?: return 4
        case nil: break
        }
        return status == .pendingApproval || status == .changesRequested ? 2 : 7
    }

    /// Seed 004's numeric payment status: 0 open, 1 partially paid, 2 paid.
    public static func seed004PaymentStatus(_ status: PaymentStatus?) -> Int {
        switch status {
        case .partiallyPaid?: 1
        case .paid?: 2
        default: 0
        }
    }
}
