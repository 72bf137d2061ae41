import Foundation
import Testing
@testable import FolioModel

private func ev(_ t: EventType, _ r: Int, _ m: Int) -> InvoiceEvent { Fx.event(t, r, minute: m) }

@Suite("Workflow: status derivation")
struct StatusDerivationTests {
    typealias E = InvoiceEvent

    @Test("status follows from the events and the revision", arguments: [
        ([E](), 1, InvoiceStatus.draft),
        ([ev(.sent, 1, 1)], 1, .pendingApproval),
        ([ev(.sent, 1, 1)], 2, .draft),                                                     // edited after sending
        ([ev(.sent, 1, 1), ev(.changesRequested, 1, 2)], 1, .changesRequested),
        ([ev(.sent, 1, 1), ev(.changesRequested, 1, 2)], 2, .changesRequested),             // unsent edit + change request
        ([ev(.sent, 1, 1), ev(.changesRequested, 1, 2), ev(.sent, 2, 3)], 2, .pendingApproval),
        ([ev(.sent, 1, 1), ev(.sent, 2, 3), ev(.changesRequested, 1, 2)], 2, .pendingApproval), // send r+1 ∥ request on r
        ([ev(.sent, 1, 1), ev(.changesRequested, 1, 2), ev(.sent, 2, 3), ev(.changesRequested, 2, 4)], 2, .changesRequested),
        ([ev(.sent, 1, 1), ev(.accepted, 1, 2)], 1, .accepted),
        ([ev(.sent, 1, 1), ev(.declined, 1, 2)], 1, .declined),
        ([ev(.sent, 1, 1), ev(.declined, 1, 2)], 2, .declined),                             // edited after a decline
        ([ev(.issued, 1, 1)], 1, .issued),
        ([ev(.voided, 1, 1)], 1, .voided),
        ([ev(.sent, 1, 1), ev(.voided, 1, 2)], 1, .voided),
        ([ev(.issued, 1, 1), ev(.voided, 1, 2)], 1, .voided),
        ([ev(.sent, 1, 1), ev(.declined, 1, 2), ev(.voided, 1, 3)], 1, .voided),
        ([ev(.sent, 1, 1), ev(.voided, 1, 2), ev(.accepted, 1, 2)], 1, .accepted),          // acceptance outranks a racing void
        ([ev(.sent, 1, 1), ev(.accepted, 1, 3), ev(.declined, 1, 2)], 1, .accepted),
        ([ev(.sent, 1, 1), ev(.changesRequested, 1, 2), ev(.declined, 1, 3)], 1, .declined),
    ])
    func derivation(events: [E], revision: Int, status: InvoiceStatus) {
        #expect(Workflow.status(events: events, revision: revision) == status)
        // the order of the events never matters
        #expect(Workflow.status(events: events.reversed(), revision: revision) == status)
    }

    @Test("the last sent revision is the highest sent one, whatever the order")
    func lastSent() {
        #expect(Workflow.lastSentRevision([]) == nil)
        #expect(Workflow.lastSentRevision([ev(.issued, 1, 1)]) == nil)
        #expect(Workflow.lastSentRevision([ev(.sent, 3, 1), ev(.sent, 1, 2), ev(.changesRequested, 4, 3)]) == 3)
    }

    @Test("content excludes bookkeeping and derived line amounts")
    func content() throws {
        let a = jsonOf(try Fx.pending())
        var b = try Fx.pending()
        b.payments = [Fx.payment("p", 5)]
        b.revision = 9
        b.lines[0].net = 1
        b.updatedAt = Fx.ts(50)
        b.costLines = nil
        #expect(Workflow.content(of: a) == Workflow.content(of: jsonOf(b)))
        b.note = "changed"
        #expect(Workflow.content(of: a) != Workflow.content(of: jsonOf(b)))
    }
}

@Suite("Workflow: seller actions")
struct SellerActionTests {
    @Test("send from a draft numbers the invoice and waits for the buyer")
    func sendDraft() throws {
        let inv = try Fx.pending()
        #expect(inv.status == .pendingApproval)
        #expect(inv.number == "A-00001")
        #expect(inv.revision == 1)
        #expect(inv.events.map(\.type) == [.sent])
        #expect(inv.events[0].revision == 1)
        #expect(inv.events[0].by == Fx.seller.email)
        #expect(inv.updatedBy == Fx.seller.email)
        #expect(inv.updatedAt == Fx.ts(1))
    }

    @Test("a first send requires a number")
    func firstSendNeedsNumber() throws {
        let draft = try Fx.invoice()
        #expect(Workflow.needsNumber(draft))
        let r = refusal { try Workflow.send(draft, by: Fx.seller, at: Fx.ts(1), eventID: "e", requireApproval: true, number: nil) }
        #expect(r?.message == "invoice inv-1 needs a number before it is sent")
    }

    @Test("a resend keeps the number the invoice already has")
    func resendKeepsNumber() throws {
        let cr = try Fx.changesRequested()
        #expect(!Workflow.needsNumber(cr))
        let resent = try Workflow.send(cr, by: Fx.seller, at: Fx.ts(4), eventID: "e2", requireApproval: true, number: "A-00099")
        #expect(resent.number == "A-00001")
        let alsoWithout = try Workflow.send(cr, by: Fx.seller, at: Fx.ts(4), eventID: "e2", requireApproval: true, number: nil)
        #expect(alsoWithout.number == "A-00001")
    }

    @Test("a resend after a change request is the next revision even without an edit")
    func resendIncrementsRevision() throws {
        let resent = try Fx.sent(Fx.changesRequested(), minute: 4)
        #expect(resent.revision == 2)
        #expect(resent.status == .pendingApproval)
        #expect(resent.events.map(\.type) == [.sent, .changesRequested, .sent])
        #expect(resent.events.last?.revision == 2)
    }

    @Test("editing after a change request stays changes_requested, at the next revision")
    func editAfterChangeRequest() throws {
        let cr = try Fx.changesRequested()
        #expect(cr.revision == 1)
        var new = cr
        new.lines[1].quantity = "2"
        let edited = try Workflow.edit(old: cr, new: new, oldJSON: jsonOf(cr), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(3)).derived()
        #expect(edited.revision == 2)
        #expect(edited.status == .changesRequested)
        #expect(edited.lines[1].net == 2000)
        #expect(edited.events == cr.events)   // an edit records no event
    }

    @Test("a resend after an edit does not skip a revision")
    func resendAfterEdit() throws {
        let cr = try Fx.changesRequested()
        var new = cr
        new.note = "fixed"
        let edited = try Workflow.edit(old: cr, new: new, oldJSON: jsonOf(cr), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(3)).derived()
        #expect(edited.revision == 2)
        #expect(edited.status == .changesRequested)
        let resent = try Fx.sent(edited, minute: 4)
        #expect(resent.revision == 2)
        #expect(resent.status == .pendingApproval)
    }

    @Test("with requireApproval off, send issues the invoice")
    func sendWithoutApproval() throws {
        let inv = try Fx.issued()
        #expect(inv.status == .issued)
        #expect(inv.events.map(\.type) == [.issued])
        #expect(inv.number == "A-00001")
        #expect(FolioConfig(company: Company(name: "x"), currency: "USD", invoicing: .manual, requireApproval: true).approvalRequired == false)
        #expect(FolioConfig(company: Company(name: "x"), currency: "USD", invoicing: .api, requireApproval: false).approvalRequired == false)
        #expect(FolioConfig(company: Company(name: "x"), currency: "USD").approvalRequired == true)
    }

    @Test("send sets the distribution when one is given")
    func sendDistribution() throws {
        let inv = try Workflow.send(try Fx.invoice(), by: Fx.seller, at: Fx.ts(1), eventID: "e", requireApproval: true, number: "A-00001",
                                    distribution: Distribution(method: .email, template: "default"))
        #expect(inv.distribution == Distribution(method: .email, template: "default"))
    }

    static let unsendable: [(String, @Sendable () throws -> Invoice, String)] = [
        ("pending_approval", { try Fx.pending() }, "already waiting for the buyer's answer"),
        ("declined", { try Fx.declined() }, "never sent again"),
        ("accepted", { try Fx.accepted() }, "accepted and final"),
        ("issued", { try Fx.issued() }, "already issued"),
        ("voided", { try Fx.voidedDraft() }, "is void"),
    ]

    @Test("send is refused unless the invoice is a draft or changes were requested", arguments: unsendable)
    func sendRefused(state: String, make: @Sendable () throws -> Invoice, message: String) throws {
        let inv = try make()
        #expect(inv.status?.rawValue == state)
        let r = refusal { try Workflow.send(inv, by: Fx.seller, at: Fx.ts(9), eventID: "e9", requireApproval: true, number: "A-00009") }
        #expect(r?.message.contains(message) == true, "\(String(describing: r))")
    }

    @Test("a credit note is not sent")
    func creditNoteNotSent() throws {
        var cn = try Fx.invoice()
        cn.type = InvoiceType.creditNote
        let r = refusal { try Workflow.send(cn, by: Fx.seller, at: Fx.ts(1), eventID: "e", requireApproval: true, number: "A-00001") }
        #expect(r?.message == "credit notes are issued when they are created")
    }

    @Test("void is allowed on drafts, pending, changes-requested and declined invoices", arguments: [
        "draft", "pending_approval", "changes_requested", "declined",
    ])
    func voidAllowed(state: String) throws {
        let inv: Invoice = switch state {
        case "draft": try Fx.invoice()
        case "pending_approval": try Fx.pending()
        case "changes_requested": try Fx.changesRequested()
        default: try Fx.declined()
        }
        #expect(inv.status?.rawValue == state)
        let v = try Fx.voided(inv, minute: 9)
        #expect(v.status == .voided)
        #expect(v.events.last?.type == .voided)
        #expect(v.events.last?.reason == "mistake")
        #expect(v.number == inv.number)   // a void keeps its number
    }

    @Test("void is refused when accepted, issued (SPEC §3: final), already void, or paid")
    func voidRefused() throws {
        let issued = refusal { try Workflow.void(try! Fx.issued(), by: Fx.seller, at: Fx.ts(9), eventID: "v", reason: nil) }
        #expect(issued?.message.contains("an issued invoice is never voided") == true)
        let accepted = refusal { try Workflow.void(try! Fx.accepted(), by: Fx.seller, at: Fx.ts(9), eventID: "v", reason: nil) }
        #expect(accepted?.message.contains("accepted invoice cannot be voided") == true)
        let again = refusal { try Workflow.void(try! Fx.voidedDraft(), by: Fx.seller, at: Fx.ts(9), eventID: "v", reason: nil) }
        #expect(again?.message.contains("already void") == true)
        let paid = try Workflow.pay(try Fx.pending(), by: Fx.seller, payment: Fx.payment("p1", 100))
        let withPayments = refusal { try Workflow.void(paid, by: Fx.seller, at: Fx.ts(9), eventID: "v", reason: nil) }
        #expect(withPayments?.message.contains("has payments") == true)
    }

    @Test("editing a pending invoice makes a draft of the next revision")
    func editPending() throws {
        let old = try Fx.pending()
        var new = old
        new.lines[0].quantity = "3"
        let edited = try Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(5)).derived()
        #expect(edited.revision == 2)
        #expect(edited.status == .draft)
        #expect(edited.number == "A-00001")
        #expect(edited.lines[0].net == 14700)
        #expect(edited.updatedAt == Fx.ts(5))
        // a second edit before sending stays on the same revision
        var newer = edited
        newer.note = "again"
        let twice = try Workflow.edit(old: edited, new: newer, oldJSON: jsonOf(edited), newJSON: jsonOf(newer), by: Fx.seller, at: Fx.ts(6)).derived()
        #expect(twice.revision == 2)
    }

    @Test("editing a draft that was never sent keeps revision 1")
    func editDraft() throws {
        let old = try Fx.invoice()
        var new = old
        new.dueDate = "2026-03-01"
        let edited = try Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(5))
        #expect(edited.revision == 1)
        #expect(edited.dueDate == "2026-03-01")
    }

    @Test("an edit that changes no content changes nothing, not even the stamp")
    func noopEdit() throws {
        let old = try Fx.pending()
        let same = try Workflow.edit(old: old, new: old, oldJSON: jsonOf(old), newJSON: jsonOf(old), by: Fx.seller, at: Fx.ts(30))
        #expect(same == old)
    }

    @Test("a declined invoice may still be edited, and stays declined")
    func editDeclined() throws {
        let old = try Fx.declined()
        var new = old
        new.note = "for the record"
        let edited = try Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(5)).derived()
        #expect(edited.note == "for the record")
        #expect(edited.status == .declined)
    }

    @Test("accepted, issued and void content cannot be edited", arguments: [
        ("accepted", "accepted and its content is final"), ("issued", "issued and its content is final"), ("voided", "void and cannot be edited"),
    ])
    func editFinal(state: String, message: String) throws {
        let old: Invoice = switch state {
        case "accepted": try Fx.accepted()
        case "issued": try Fx.issued()
        default: try Fx.voidedDraft()
        }
        var new = old
        new.note = "sneaky"
        let r = refusal { try Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(9)) }
        #expect(r?.message.contains(message) == true)
    }

    @Test("protected keys cannot be changed by an edit", arguments: [
        ("totals", JSONValue.object(["subtotal": .int(0), "discount": .int(0), "tax": .int(0), "total": .int(0), "paid": .int(0), "open": .int(0)]), "derived"),
        ("number", .string("A-00002"), "numbers are assigned"),
        ("events", .array([]), "use send"),
        ("payments", .array([jsonOf(Fx.payment("p1", 100))]), "folio invoice pay"),
        ("status", .string("accepted"), "derived"),
        ("paymentStatus", .string("paid"), "derived"),
        ("revision", .int(7), "fixed when the invoice is created"),
        ("id", .string("inv-2"), "fixed"),
        ("currency", .string("EUR"), "fixed"),
        ("customer", .object(["id": .string("c2")]), "fixed"),
        ("orderId", .string("o9"), "fixed"),
        ("type", .string("credit_note"), "fixed"),
        ("conflicts", .array([]), "folio resolve"),
        ("createdBy", .string("x@y.example"), "fixed"),
    ])
    func protectedKeys(key: String, value: JSONValue, reason: String) throws {
        let old = try Fx.pending()
        let oldJSON = jsonOf(old)
        let newJSON = try setting("/" + key, value, in: oldJSON)
        let r = refusal { try Workflow.edit(old: old, new: old, oldJSON: oldJSON, newJSON: newJSON, by: Fx.seller, at: Fx.ts(9)) }
        #expect(r?.message.hasPrefix("/\(key) cannot be changed by an edit") == true, "\(String(describing: r))")
        #expect(r?.message.contains(reason) == true)
    }

    @Test("lines cannot be added, removed or reordered by an edit")
    func linesFixed() throws {
        let old = try Fx.invoice()
        let changes: [(inout Invoice) -> Void] = [{ i in i.lines.removeLast() }, { i in i.lines.reverse() }, { i in i.lines.append(i.lines[0]) },
                                                  { i in i.lines[0].orderItemRef = "i9" }]
        for change in changes {
            var new = old
            change(&new)
            let r = refusal { try Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(9)) }
            #expect(r?.message.hasPrefix("/lines: lines cannot be added, removed or reordered") == true)
        }
    }

    @Test("payments need a sent invoice and a positive amount")
    func payments() throws {
        #expect(refusal { try Workflow.pay(try! Fx.invoice(), by: Fx.seller, payment: Fx.payment("p", 10)) }?.message.contains("is a draft") == true)
        #expect(refusal { try Workflow.pay(try! Fx.voided(Fx.pending()), by: Fx.seller, payment: Fx.payment("p", 10)) }?.message.contains("is void") == true)
        #expect(refusal { try Workflow.pay(try! Fx.declined(), by: Fx.seller, payment: Fx.payment("p", 10)) }?.message.contains("was declined") == true)
        #expect(refusal { try Workflow.pay(try! Fx.pending(), by: Fx.seller, payment: Fx.payment("p", 0)) }?.message == "--amount must be greater than zero")
        let paid = try Workflow.pay(try Fx.accepted(), by: Fx.seller, payment: Fx.payment("p", 14372)).derived()
        #expect(paid.paymentStatus == .paid)
        #expect(paid.status == .accepted)   // payments still apply to accepted invoices
        let byBuyer = try Workflow.pay(try Fx.pending(), by: Fx.buyer, payment: Fx.payment("p", 1)).derived()
        #expect(byBuyer.paymentStatus == .partiallyPaid)
        #expect(refusal { try Workflow.pay(try! Fx.pending(), by: Fx.otherBuyer, payment: Fx.payment("p", 1)) }?.message.contains("belongs to customer c2") == true)
    }
}

@Suite("Workflow: buyer answers")
struct BuyerAnswerTests {
    @Test("the buyer of the invoice's customer can accept, decline and request changes while pending", arguments: [
        (EventType.accepted, InvoiceStatus.accepted, String?.none),
        (.accepted, .accepted, "looks good"),
        (.declined, .declined, "wrong prices"),
        (.changesRequested, .changesRequested, "quantity of line 1 is 3"),
    ])
    func answers(type: EventType, status: InvoiceStatus, text: String?) throws {
        let inv = try Fx.answered(Fx.pending(), type, text: text)
        #expect(inv.status == status)
        let e = try #require(inv.events.last)
        #expect(e.type == type)
        #expect(e.revision == 1)
        #expect(e.by == Fx.buyer.email)
        #expect(e.reason == (type == .declined ? text : nil))
        #expect(e.note == (type == .declined ? nil : text))
        #expect(inv.updatedBy == Fx.buyer.email)
    }

    @Test("answers are trimmed")
    func trimmed() throws {
        let inv = try Fx.answered(Fx.pending(), .changesRequested, text: "  fix it \n")
        #expect(inv.events.last?.note == "fix it")
    }

    @Test("a decline needs a reason and a change request needs a note", arguments: [
        (EventType.declined, String?.none, "a decline needs a reason"), (.declined, "  \n", "a decline needs a reason"),
        (.changesRequested, nil, "a change request needs a note"), (.changesRequested, "", "a change request needs a note"),
    ])
    func textRequired(type: EventType, text: String?, message: String) throws {
        let pending = try Fx.pending()
        let r = refusal { try Workflow.respond(pending, with: type, by: Fx.buyer, at: Fx.ts(2), eventID: "e", text: text) }
        #expect(r?.message.hasPrefix(message) == true)
    }

    @Test("answers are refused unless the invoice is pending approval", arguments: [
        "draft", "changes_requested", "declined", "accepted", "issued", "voided",
    ])
    func onlyPending(state: String) throws {
        let inv: Invoice = switch state {
        case "draft": try Fx.invoice()
        case "changes_requested": try Fx.changesRequested()
        case "declined": try Fx.declined()
        case "accepted": try Fx.accepted()
        case "issued": try Fx.issued()
        default: try Fx.voided(Fx.pending())
        }
        for type in [EventType.accepted, .declined, .changesRequested] {
            let r = refusal { try Workflow.respond(inv, with: type, by: Fx.buyer, at: Fx.ts(9), eventID: "e", text: "x") }
            #expect(r?.message.contains("is \(state), not pending_approval") == true, "\(type) on \(state)")
        }
    }

    @Test("an edited-after-send draft cannot be answered until it is sent again")
    func editedDraftNotAnswerable() throws {
        var inv = try Fx.pending()
        inv.revision = 2
        let r = refusal { try Workflow.respond(inv, with: .accepted, by: Fx.buyer, at: Fx.ts(9), eventID: "e", text: nil) }
        #expect(r?.message.contains("is draft") == true)
    }

    @Test("a buyer of another customer cannot answer")
    func otherCustomer() throws {
        let r = refusal { try Workflow.respond(try! Fx.pending(), with: .accepted, by: Fx.otherBuyer, at: Fx.ts(2), eventID: "e", text: nil) }
        #expect(r?.message == "otto@c2.example belongs to customer c2, not to c1, the customer of invoice inv-1")
        #expect(!Workflow.canSee(Fx.otherBuyer, try Fx.pending()))
        #expect(Workflow.canSee(Fx.buyer, try Fx.pending()))
        #expect(Workflow.canSee(Fx.seller, try Fx.pending()))
    }

    @Test("a seller cannot answer for the buyer", arguments: [EventType.accepted, .declined, .changesRequested])
    func sellerCannotAnswer(type: EventType) throws {
        let r = refusal { try Workflow.respond(try! Fx.pending(), with: type, by: Fx.seller, at: Fx.ts(2), eventID: "e", text: "x") }
        #expect(r?.message.contains("is a seller; only the buyer can") == true)
    }

    @Test("sent, issued and voided are not answers", arguments: [EventType.sent, .issued, .voided])
    func notAnswers(type: EventType) throws {
        let r = refusal { try Workflow.respond(try! Fx.pending(), with: type, by: Fx.buyer, at: Fx.ts(2), eventID: "e", text: "x") }
        #expect(r?.message == "\(type.rawValue) is not a buyer's answer")
    }

    @Test("a buyer cannot send, edit, void, credit, create invoices or cancel items")
    func buyerIsNotSeller() throws {
        let draft = try Fx.invoice()
        let expected = "\(Fx.buyer.email) is a buyer; only a seller can"
        let send = refusal { try Workflow.send(draft, by: Fx.buyer, at: Fx.ts(1), eventID: "e", requireApproval: true, number: "A-00001") }
        #expect(send?.message == "\(expected) send an invoice")
        var new = draft
        new.note = "x"
        let edit = refusal { try Workflow.edit(old: draft, new: new, oldJSON: jsonOf(draft), newJSON: jsonOf(new), by: Fx.buyer, at: Fx.ts(1)) }
        #expect(edit?.message == "\(expected) change an invoice's content")
        let void = refusal { try Workflow.void(draft, by: Fx.buyer, at: Fx.ts(1), eventID: "e", reason: nil) }
        #expect(void?.message == "\(expected) void an invoice")
        let credit = refusal { try Invoicing.credit(try! Fx.accepted(), selections: nil, existingCredits: [], id: "cn", number: "A-00002", reason: nil, eventID: "e", stamp: Fx.stamp(Fx.buyer)) }
        #expect(credit?.message == "\(expected) issue credit notes")
        let create = refusal { try Invoicing.create(from: Fx.order(), refs: nil, id: "x", config: Fx.config, stamp: Fx.stamp(Fx.buyer), dueDate: nil, distribution: nil) }
        #expect(create?.message == "\(expected) create invoices")
        let cancel = refusal { try Invoicing.cancelItem(Fx.order(), ref: "i1", by: Fx.buyer) }
        #expect(cancel?.message == "\(expected) cancel order items")
    }
}

@Suite("Inbox")
struct InboxTests {
    @Test("a buyer's inbox holds their customer's pending invoices; a seller's holds what needs an edit or a send")
    func inbox() throws {
        var other = try Fx.listed(id: "inv-o", customer: Customer(id: "c2"), events: [Fx.event(.sent, 1, minute: 1)])
        other.number = "A-00009"
        let pending = try Fx.pending()
        let cr = try Fx.changesRequested()
        var crCopy = cr
        crCopy.id = "inv-cr"
        crCopy.dueDate = "2026-01-31"
        var draft = try Fx.invoice(id: "inv-d")
        draft.dueDate = "2026-01-20"
        let accepted = try Fx.accepted()
        let all = [other, pending, crCopy, draft, accepted]

        let buyerItems = Inbox.items(for: Fx.buyer, in: all)
        #expect(buyerItems.map(\.invoice.id) == ["inv-1"])
        #expect(Inbox.items(for: Fx.otherBuyer, in: all).map(\.invoice.id) == ["inv-o"])

        let sellerItems = Inbox.items(for: Fx.seller, in: all)
        #expect(sellerItems.map(\.invoice.id) == ["inv-d", "inv-cr"])      // by due date
        #expect(sellerItems[0].reason == "draft: send it")
        #expect(sellerItems[1].reason == "needs edit: because")
    }
}
