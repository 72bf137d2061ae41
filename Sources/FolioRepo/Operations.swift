public import Foundation
public import FolioGit
public import FolioModel
import FolioTrust

/// Who asks and when: the inputs of every write besides its arguments.
public struct Caller {
    public var identity: String?
    public var clock: Clock
    public var environment: [String: String]
    /// Makes a retried write safe: the write's commit records it, and a write whose key a
    /// commit of this identity already records is not made again (`FolioError.alreadyDone`).
    public var idempotencyKey: String?
    /// What the keyed write asks for (a digest of the command and its arguments): a key met
    /// again with another request is a mistake, not a retry.
    public var idempotencyRequest: String?
    /// The version of the document the caller saw (HTTP If-Match): a write on any other
    /// version is refused, checked under the write lock so two writers cannot both pass.
    public var ifMatch: String?
    public init(identity: String?, clock: Clock, environment: [String: String] = ProcessInfo.processInfo.environment,
                idempotencyKey: String? = nil, idempotencyRequest: String? = nil) {
        self.identity = identity; self.clock = clock; self.environment = environment
        self.idempotencyKey = idempotencyKey; self.idempotencyRequest = idempotencyRequest
    }
}

extension Caller {
    /// Refuses when the caller named a version (`ifMatch`, "*" for any) and `document` is not it.
    func check(version document: JSONValue, of label: String) throws {
        guard let ifMatch, ifMatch != "*" else { return }
        let now = FolioRepository.version(of: document)
        if ifMatch != now { throw FolioError.stale("invoice \(label) changed since \(ifMatch) (now \(now)); read it again") }
    }
}

extension FolioRepository {
    /// A document's version (its HTTP ETag): a digest of its canonical bytes, so equal content
    /// is the same version on every replica.
    public static func version(of document: JSONValue) -> String {
        "\"" + ContentHash.sha256(Data(CanonicalJSON.bytes(document))).dropFirst(7).prefix(24) + "\""
    }
}

/// What a write produced: the new document and the commit that holds it.
public struct Written<T> {
    public var value: T
    public var commit: GitOID
    public var message: String
    /// What did not finish although the commit stands (see `FolioRepository.commit`).
    public var warnings: [String] = []
}

/// The actions of SPEC §3 and §5, each one commit. Commands and the demo call these; the
/// rules themselves live in FolioModel.
extension FolioRepository {
    func begin(_ caller: Caller) throws -> (Snapshot, Actor, Invoicing.Stamp) {
        let snap = try snapshot()
        let actor = try self.actor(explicit: caller.identity, environment: caller.environment, snapshot: snap)
        return (snap, actor, Invoicing.Stamp(actor: actor, at: caller.clock.timestamp, today: caller.clock.today))
    }

    /// What an action decided, before it is committed.
    struct Staged<T> {
        var value: T
        var changes: Changes
        var message: String
    }

    func staged<T>(_ value: T, _ changes: Changes, _ message: String) throws -> Staged<T> {
        Staged(value: value, changes: changes, message: message)
    }

    /// One write: under the clone's write lock, read HEAD, let `decide` work out the change,
    /// and commit it on exactly the commit it read. If something outside Folio (plain git)
    /// moved the branch meanwhile, decide again on the new state, so every write that
    /// succeeds is in the result (nothing decided on a stale state is ever committed).
    func transact<T>(_ caller: Caller, _ decide: (Snapshot, Actor, Invoicing.Stamp) throws -> Staged<T>) throws -> Written<T> {
        try withWriteLock {
            var attempt = 0
            while true {
                attempt += 1
                let (snap, actor, stamp) = try begin(caller)
                if let key = caller.idempotencyKey, let done = try commitRecording(key: key, by: actor.email, from: snap.commit) {
                    let recorded = done.message.split(separator: "\n").first { $0.hasPrefix(Self.requestTrailer + ": ") }
                        .map { String($0.dropFirst(Self.requestTrailer.count + 2)) }
                    if let recorded, let asked = caller.idempotencyRequest, recorded != asked {
                        throw FolioError.refused(Refusal("idempotency key \(key) was used for a different request in commit \(done.id.hex.prefix(10)) (\(done.message.split(separator: "\n").first ?? "")); nothing was written. Use a new key for a new request"))
                    }
                    // The invoice that commit wrote, as it is now: what a retrying script prints.
                    let written = try? git.diff(from: done.parents.first, to: done.id).first { DocumentPaths.parse($0.path)?.0 == .invoice }
                    let invoice = written.flatMap { change in DocumentPaths.parse(change.path).flatMap { try? snap.invoice($0.1).0 } }
                    throw FolioError.alreadyDone(commit: done.id.hex, message: done.message.split(separator: "\n").first.map(String.init) ?? "", key: key, invoice: invoice)
                }
                var staged = try decide(snap, actor, stamp)
                if let key = caller.idempotencyKey {
                    staged.message += "\n\n\(Self.idempotencyTrailer): \(key)"
                    if let request = caller.idempotencyRequest { staged.message += "\n\(Self.requestTrailer): \(request)" }
                }
                try checkWrite(staged.changes, over: snap)
                do {
                    let (commit, warnings) = try commit(staged.changes, message: staged.message, actor: actor, clock: caller.clock, parent: snap.commit)
                    return Written(value: staged.value, commit: commit, message: staged.message, warnings: warnings)
                } catch FolioError.concurrentWrite where attempt < 5 {
                    continue
                }
            }
        }
    }

    static let idempotencyTrailer = "Folio-Idempotency-Key"
    static let requestTrailer = "Folio-Idempotency-Request"
    /// How far back a retry is recognised: the newest commits of the branch.
    static let idempotencyWindow = 5_000

    /// The commit by `email` among the newest of the branch whose message records `key`.
    func commitRecording(key: String, by email: String, from head: GitOID?) throws -> GitCommitInfo? {
        guard let head else { return nil }
        let line = "\(Self.idempotencyTrailer): \(key)"
        do {
            for id in try git.newestCommits(from: head, limit: Self.idempotencyWindow) {
                let info = try git.commitInfo(id)
                if info.author.email.lowercased() == email, info.message.split(separator: "\n").contains(where: { $0 == line }) { return info }
            }
        } catch { throw FolioError.wrap(error) }
        return nil
    }

    /// Every write passes the checks `validate` makes of each document it writes: a write
    /// never commits what validate would then reject. Only findings the write introduces
    /// count, so an old document that a later rule finds fault with can still be paid.
    func checkWrite(_ changes: Changes, over snap: Snapshot) throws {
        var introduced: [Finding] = []
        for (path, data) in changes.files.sorted(by: { $0.key < $1.key }) {
            guard let data, DocumentPaths.parse(path) != nil else { continue }
            let after = Validator.documentFindings(path: path, data: data).filter { $0.severity == .error }
            guard !after.isEmpty else { continue }
            let before = try snap.data(path).map { Validator.documentFindings(path: path, data: $0) } ?? []
            let known = Set(before.map { "\($0.rule) \($0.pointer)" })
            introduced += after.filter { !known.contains("\($0.rule) \($0.pointer)") }
        }
        if !introduced.isEmpty { throw FolioError.invalid(DocumentError(introduced)) }
    }

    // MARK: Parties

    /// Gives a party its key, or a new one (rotation: the old key stays valid for the commits
    /// made before this one). Only a seller may, and only with a signed commit where signatures
    /// are required (SPEC §9).
    public func setPartyKey(email rawEmail: String, key: String, caller: Caller) throws -> Written<Party> {
        try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can give a party a key")) }
            let email = rawEmail.lowercased()
            var parties = try snap.parties()
            guard var party = parties.parties[email] else { throw FolioError.notFound(kind: "party", id: email) }
            let newKey = try SigningKeys.publicKey(key).openSSH
            if party.key == newKey { throw FolioError.refused(Refusal("\(email) already has this key")) }
            if let old = party.key {
                party.retiredKeys = (party.retiredKeys ?? []) + [RetiredKey(key: old, until: stamp.at)]
            }
            party.key = newKey
            parties.parties[email] = party
            var changes = Changes()
            changes.put(DocumentPaths.parties, parties)
            return try staged(party, changes, party.retiredKeys == nil ? "Give \(email) a signing key" : "Rotate the signing key of \(email)")
        }
    }

    public func addParty(email rawEmail: String, role: PartyRole, customerId: String?, name: String?, series: String?, key: String? = nil, caller: Caller) throws -> Written<Party> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can add parties")) }
            let email = rawEmail.lowercased()
            guard Schema.looksLikeEmailPublic(email) else { throw FolioError.usage("\"\(rawEmail)\" is not an email address") }
            if role == .server {
                guard key != nil else { throw FolioError.usage("a server party signs what `folio serve` writes: pass --key with its ssh-ed25519 public key") }
                guard customerId == nil, series == nil else { throw FolioError.usage("a server party takes no --customer and no --series") }
            }
            if role == .buyer {
                guard let customerId else { throw FolioError.usage("a buyer belongs to one customer: pass --customer ID") }
                if let problem = DocumentPaths.validateID(customerId) { throw FolioError.usage("--customer \"\(customerId)\" \(problem)") }
            } else if customerId != nil {
                throw FolioError.usage("--customer is for buyers; sellers see every customer")
            }
            if let series, let problem = Series.validatePrefix(series) { throw FolioError.usage("--series \"\(series)\" \(problem)") }
            var parties = try snap.parties()
            if parties.parties[email] != nil { throw FolioError.refused(Refusal("\(email) is already a party of this repository")) }
            if let series { try requireFreeSeries(series, for: email, parties: parties) }
            let party = Party(name: name, role: role, customerId: customerId, series: series, key: try key.map { try SigningKeys.publicKey($0).openSSH })
            parties.parties[email] = party
            var changes = Changes()
            changes.put(DocumentPaths.parties, parties)
            let what = role == .buyer ? "buyer for customer \(customerId!)" : role.rawValue
            return try staged(party, changes, "Add party \(email) as \(what)")
        }
    }

    // MARK: Orders

    public func createOrder(data: Data, file: String, caller: Caller) throws -> Written<Order> {
        try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can create orders")) }
            var json = try DocumentCodec.parse(data, file: file)
            // Conveniences for hand-written order files: defaults that a user would expect.
            if case .object(var m) = json {
                if m["createdAt"] == nil { m["createdAt"] = .string(stamp.at) }
                if m["createdBy"] == nil { m["createdBy"] = .string(actor.email) }
                if m["currency"] == nil, let c = try? snap.config().currency { m["currency"] = .string(c) }
                if case .array(let items)? = m["items"] {
                    m["items"] = .array(items.enumerated().map { i, item in
                        guard case .object(var it) = item else { return item }
                        if it["ref"] == nil { it["ref"] = .string(String(i + 1)) }
                        if it["status"] == nil { it["status"] = .string("open") }
                        return .object(it)
                    })
                }
                json = .object(m)
            }
            let order = try DocumentCodec.decode(Order.self, json: json, schema: Schemas.order, file: file)
            if order.items.isEmpty { throw FolioError.invalid(DocumentError(file: file, pointer: "/items", rule: "order/empty", "an order needs at least one item")) }
            var refs: Set<String> = []
            for (i, item) in order.items.enumerated() where !refs.insert(item.ref).inserted {
                throw FolioError.invalid(DocumentError(file: file, pointer: "/items/\(i)/ref", rule: "unique/id", "item ref \"\(item.ref)\" is used twice"))
            }
            if let i = order.items.firstIndex(where: { $0.status != .open }) {
                throw FolioError.invalid(DocumentError(file: file, pointer: "/items/\(i)/status", rule: "order/item-status", "a new order's items are open; invoices mark them invoiced"))
            }
            if try snap.data(DocumentPaths.path(.order, id: order.id)) != nil {
                throw FolioError.refused(Refusal("order \(order.id) already exists"))
            }
            var changes = Changes()
            changes.put(order: order)
            return try staged(order, changes, "Create order \(order.id) for \(order.customer.name ?? order.customer.id) (\(order.items.count) items)")
        }
    }

    public func cancelItem(orderID: String, ref: String, caller: Caller) throws -> Written<Order> {
        try transact(caller) { snap, actor, _ in
            let (order, _) = try snap.order(orderID)
            let updated = try Invoicing.cancelItem(order, ref: ref, by: actor)
            var changes = Changes()
            changes.put(order: updated)
            return try staged(updated, changes, "Cancel item \(ref) of order \(orderID)")
        }
    }

    // MARK: Invoices

    /// `patch`: an RFC 7396 merge patch of the new invoice's fields, written in the same commit
    /// (the HTTP API's POST /invoices sets seed 004's writable fields this way).
    public func createInvoice(orderID: String, refs: [String]?, dueDate: String?, email: Bool, id: String? = nil,
                              patch: [String: JSONValue] = [:], caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (order, _) = try snap.order(orderID)
            let config = try snap.config()
            let newID = id ?? IDs.make("inv_")
            if let problem = DocumentPaths.validateID(newID) { throw FolioError.usage("invoice id \"\(newID)\" \(problem)") }
            if try snap.data(DocumentPaths.path(.invoice, id: newID)) != nil { throw FolioError.refused(Refusal("invoice \(newID) already exists")) }
            var (invoice, updatedOrder) = try Invoicing.create(from: order, refs: refs, id: newID, config: config, stamp: stamp, dueDate: dueDate,
                                                              distribution: email ? Distribution(method: .email) : nil)
            if !patch.isEmpty {
                invoice = try DocumentCodec.decode(Invoice.self, json: MergePatch.apply(.object(patch), to: JSONValue.encoding(invoice)),
                                                   schema: Schemas.invoice, file: DocumentPaths.path(.invoice, id: newID))
            }
            var changes = Changes()
            var message = "Create invoice \(newID) from order \(orderID) (\(invoice.lines.count) of \(order.items.count) items)"
            if email {
                // Seed 000's sendEmail / seed 001's distribution method: create and send at once.
                let number = try nextNumber(for: actor, snapshot: snap, changes: &changes, clock: caller.clock)
                invoice = try Workflow.send(invoice, by: actor, at: stamp.at, eventID: IDs.make("ev_"), requireApproval: config.approvalRequired, number: number,
                                            firstSend: (stamp.today, config.dueDays))
                message += " and send it as \(number) by email"
            }
            try checkExtraFields(invoice, snap: snap, sending: email ? .now : .notSent)
            try changes.put(invoice: invoice)
            changes.put(order: updatedOrder)
            return try staged(try invoice.derived(), changes, message)
        }
    }

    public enum Edit {
        case set(pointer: String, value: JSONValue)
        case patch(JSONValue)
    }

    public func updateInvoice(id: String, edits: [Edit], caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (old, oldJSON) = try snap.invoice(id)
            let file = DocumentPaths.path(.invoice, id: id)
            var json = oldJSON
            var touched: [String] = []
            for edit in edits {
                switch edit {
                case .set(let text, let value):
                    let pointer = try JSONPointer(parsing: text)
                    guard !pointer.tokens.isEmpty else { throw FolioError.usage("--set needs a path inside the invoice, such as /note") }
                    json = try pointer.set(value, in: json)
                    touched.append(pointer.description)
                case .patch(let patch):
                    guard case .object(let members) = patch else { throw FolioError.usage("a merge patch must be a JSON object") }
                    json = MergePatch.apply(patch, to: json)
                    touched.append(contentsOf: CanonicalJSON.sortedKeys(members).map { "/" + JSONPointer.escape($0) })
                }
            }
            let edited = try DocumentCodec.decode(Invoice.self, json: json, schema: Schemas.invoice, file: file)
            try caller.check(version: oldJSON, of: Workflow.label(old))
            let result = try Workflow.edit(old: old, new: edited, oldJSON: oldJSON, newJSON: json, by: actor, at: stamp.at)
            if result == old { throw FolioError.refused(Refusal("the edit changes nothing in invoice \(Workflow.label(old))")) }
            try checkExtraFields(result, snap: snap, sending: .notSent)
            var changes = Changes()
            try changes.put(invoice: result)
            // A line's quantity is what the invoice takes of its order item (SPEC §3: every
            // item ends invoiced or cancelled in quantity).
            if result.lines.map(\.quantity) != old.lines.map(\.quantity), result.type != InvoiceType.creditNote,
               let orderID = result.orderId, let (order, _) = try? snap.order(orderID) {
                let updated = try Invoicing.retake(order, for: result)
                if updated != order { changes.put(order: updated) }
            }
            let message = "Edit invoice \(Workflow.label(old)) (revision \(result.revision)): \(touched.joined(separator: ", "))"
            return try staged(try result.derived(), changes, message)
        }
    }

    public func sendInvoice(id: String, email: Bool, caller: Caller) throws -> Written<Invoice> {
        try sendInvoice(id: id, distribution: email ? Distribution(method: .email) : nil, caller: caller)
    }

    /// Sends (or issues); with a distribution (email or print, and a template), the invoice
    /// also waits in the outbox until `deliver` reports it delivered.
    public func sendInvoice(id: String, distribution: Distribution?, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, _) = try snap.invoice(id)
            let config = try snap.config()
            var changes = Changes()
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can send an invoice")) }
            // Check the workflow before taking a number, so a refused send consumes nothing.
            _ = try Workflow.send(invoice, by: actor, at: stamp.at, eventID: "ev_check", requireApproval: config.approvalRequired, number: invoice.number ?? "X-1",
                                  firstSend: (stamp.today, config.dueDays))
            try checkExtraFields(invoice, snap: snap, sending: .now)
            let number = Workflow.needsNumber(invoice) ? try nextNumber(for: actor, snapshot: snap, changes: &changes, clock: caller.clock) : nil
            let sent = try Workflow.send(invoice, by: actor, at: stamp.at, eventID: IDs.make("ev_"), requireApproval: config.approvalRequired,
                                         number: number, distribution: distribution, firstSend: (stamp.today, config.dueDays))
            try changes.put(invoice: sent)
            let verb = config.approvalRequired ? "Send" : "Issue"
            let how = distribution.map { " by \($0.method.rawValue)\($0.template.map { " (template \($0))" } ?? ""), waiting in the outbox" } ?? ""
            return try staged(try sent.derived(), changes, "\(verb) invoice \(sent.number!) (revision \(sent.revision))\(how)")
        }
    }

    public func voidInvoice(id: String, reason: String?, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, _) = try snap.invoice(id)
            let voided: Invoice
            if invoice.type == InvoiceType.creditNote, let target = invoice.creditNoteFor, let (original, _) = try? snap.invoice(target) {
                let credits = try snap.invoices().invoices.filter { $0.creditNoteFor == target }
                voided = try Invoicing.voidDuplicateCredit(invoice, of: original, credits: credits, by: actor, at: stamp.at, eventID: IDs.make("ev_"), reason: reason)
            } else {
                voided = try Workflow.void(invoice, by: actor, at: stamp.at, eventID: IDs.make("ev_"), reason: reason)
            }
            var changes = Changes()
            try changes.put(invoice: voided)
            // The items go back to the order so they can be invoiced again.
            if let orderID = invoice.orderId, invoice.type != InvoiceType.creditNote, let (order, _) = try? snap.order(orderID) {
                changes.put(order: Invoicing.releaseItems(of: invoice, in: order))
            }
            return try staged(try voided.derived(), changes, "Void invoice \(Workflow.label(invoice))\(reason.map { ": \($0)" } ?? "")")
        }
    }

    /// A buyer's answer records the hash of the content it answered and, when the buyer's key
    /// is at hand, the buyer's signature over the event itself (SPEC §9).
    func bindAnswer(_ answered: inout Invoice, answering invoice: Invoice, actor: Actor) throws {
        let before = Set(invoice.events.map(\.id))
        guard let i = answered.events.firstIndex(where: { !before.contains($0.id) }) else { return }
        answered.events[i].contentHash = Self.contentHash(of: invoice)
        if let key = ownKey(of: actor) {
            answered.events[i].signature = try key.sign(Data(answered.events[i].signedPayload), namespace: Self.answerNamespace)
        }
    }

    /// The key a party recorded in parties.json, when it is at hand here (a buyer signs its
    /// answers and payments with it, SPEC §9).
    func ownKey(of actor: Actor) -> (any SSHSigner)? {
        if let serverSigner { return serverSigner }
        guard let partyKey = actor.party.key, let key = try? SigningKeys.find(git: git, matching: try? SSHPublicKey(parsing: partyKey)),
              key.publicKey.openSSH == partyKey else { return nil }
        return key
    }

    static let answerNamespace = "folio-answer"
    static let paymentNamespace = "folio-payment"

    /// "sha256:…" of an invoice's content (what a buyer answers), in canonical form.
    public static func contentHash(of invoice: Invoice) -> String {
        ContentHash.sha256(Data(CanonicalJSON.bytes(Workflow.content(of: JSONValue.encoding(invoice)))))
    }

    public func respond(id: String, with type: EventType, text: String?, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, json) = try snap.invoice(id)
            try caller.check(version: json, of: Workflow.label(invoice))
            var answered = try Workflow.respond(invoice, with: type, by: actor, at: stamp.at, eventID: IDs.make("ev_"), text: text)
            try bindAnswer(&answered, answering: invoice, actor: actor)
            var changes = Changes()
            try changes.put(invoice: answered)
            let label = Workflow.label(invoice)
            let message: String
            switch type {
            case .accepted: message = "Accept invoice \(label) (revision \(invoice.revision))"
            case .declined: message = "Decline invoice \(label) (revision \(invoice.revision)): \(text ?? "")"
            default: message = "Request changes to invoice \(label) (revision \(invoice.revision)): \(text ?? "")"
            }
            return try staged(try answered.derived(), changes, message)
        }
    }

    public func pay(id: String, amount: String, date: String?, reference: String?, method: String?, caller: Caller) throws -> Written<Invoice> {
        try recordMoney(id: id, amount: amount, date: date, reference: reference, method: method, refund: false, caller: caller)
    }

    /// Settles a credit note: the seller pays back what it owes the buyer (SPEC §3).
    public func refund(id: String, amount: String, date: String?, reference: String?, method: String?, caller: Caller) throws -> Written<Invoice> {
        try recordMoney(id: id, amount: amount, date: date, reference: reference, method: method, refund: true, caller: caller)
    }

    private func recordMoney(id: String, amount: String, date: String?, reference: String?, method: String?, refund: Bool, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, _) = try snap.invoice(id)
            guard let currency = Currency(code: invoice.currency) else { throw FolioError.invalid(DocumentError(file: DocumentPaths.path(.invoice, id: id), pointer: "/currency", rule: "currency/unknown", "unknown currency \(invoice.currency)")) }
            guard let minor = Money.parseMajor(amount, currency: currency) else {
                throw FolioError.usage("--amount \"\(amount)\" is not an amount in \(currency.code) (a decimal with at most \(currency.exponent) decimals, e.g. \(Money.format(12345 * Int64(pow(10.0, Double(max(0, currency.exponent - 2)))), currency: currency)))")
            }
            if minor <= 0 { throw FolioError.refused(Refusal("--amount must be greater than zero")) }
            if minor > Schema.maxAmount { throw FolioError.refused(Refusal("--amount \(amount) is larger than any amount Folio accepts")) }
            let day = date ?? stamp.today
            guard Dates.isValidDate(day) else { throw FolioError.usage("--date \"\(day)\" is not a date in the form YYYY-MM-DD") }
            var payment = Payment(id: IDs.make(refund ? "ref_" : "pay_"), amount: minor, date: day, method: method ?? (refund ? "refund" : nil),
                                  reference: reference, by: actor.email, at: stamp.at)
            if actor.isBuyer, let key = ownKey(of: actor) {
                payment.signature = try key.sign(Data(payment.signedPayload), namespace: Self.paymentNamespace)
            }
            let updated = refund ? try Workflow.refund(invoice, by: actor, payment: payment) : try Workflow.pay(invoice, by: actor, payment: payment)
            var changes = Changes()
            try changes.put(invoice: updated)
            let derived = try updated.derived()
            let what = refund ? "refund" : "payment"
            return try staged(derived, changes, "Record \(what) of \(Money.format(minor, currency: currency)) \(currency.code) on \(refund ? "credit note" : "invoice") \(Workflow.label(invoice)) (\(derived.paymentStatus!.rawValue))")
        }
    }

    public func credit(id: String, lines selections: [Invoicing.Selection]?, reason: String?, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            let (invoice, _) = try snap.invoice(id)
            let existing = try snap.invoices().invoices.filter { $0.creditNoteFor == invoice.id && Workflow.status(events: $0.events, revision: $0.revision) != .voided }
            var changes = Changes()
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can issue credit notes")) }
            // Dry run first so a refusal takes no number from the series.
            _ = try Invoicing.credit(invoice, selections: selections, existingCredits: existing, id: "cn_check", number: "X-1", reason: reason, eventID: "ev_check", stamp: stamp)
            let number = try nextNumber(for: actor, snapshot: snap, changes: &changes, clock: caller.clock)
            let (note, credited) = try Invoicing.credit(invoice, selections: selections, existingCredits: existing, id: IDs.make("cn_"), number: number, reason: reason, eventID: IDs.make("ev_"), stamp: stamp)
            try changes.put(invoice: note)
            try changes.put(invoice: credited)
            return try staged(try note.derived(), changes, "Issue credit note \(number) for invoice \(Workflow.label(invoice))\(reason.map { ": \($0)" } ?? "")")
        }
    }

    func checkExtraFields(_ invoice: Invoice, snap: Snapshot, sending: Validator.Sending) throws {
        let defs = try snap.fields()
        let findings = Validator.extraFieldFindings(invoice, path: DocumentPaths.path(.invoice, id: invoice.id), defs: defs, sending: sending)
        if !findings.isEmpty { throw FolioError.invalid(DocumentError(findings)) }
    }
}
