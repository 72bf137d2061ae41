import Foundation
import FolioGit
public import FolioModel

/// Settings, parties and extra-field definitions without hand edits (SPEC §5): each change
/// is one commit by a seller, checked like any other write.
extension FolioRepository {
    /// The settings `folio config set` knows, in seed spelling.
    public static let configKeys = ["company", "currency", "dueDays", "invoicing", "requireApproval", "terms", "padding", "requireSignatures"]

    public func setConfig(key: String, value: String, caller: Caller) throws -> Written<FolioConfig> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller changes settings")) }
            var config = try snap.config()
            let canonicalKey = Self.configKeys.first { $0.lowercased() == key.lowercased().replacingOccurrences(of: "-", with: "") }
            switch canonicalKey {
            case "company":
                guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw FolioError.usage("company must not be empty") }
                config.company.name = value
            case "currency":
                guard Currency(code: value.uppercased()) != nil else { throw FolioError.usage("\"\(value)\" is not an ISO 4217 currency code (e.g. EUR, USD, JPY, KWD)") }
                config.currency = value.uppercased()
            case "dueDays":
                guard let days = Int(value), (0...3650).contains(days) else { throw FolioError.usage("dueDays must be a whole number of days from 0 to 3650") }
                config.dueDays = days
            case "invoicing":
                guard let mode = InvoicingMode(rawValue: value.lowercased()) else { throw FolioError.usage("invoicing must be api or manual") }
                config.invoicing = mode
                // Seed 000: manual invoicing has no buyer approval; keep the two settings in step.
                if mode == .manual { config.requireApproval = false }
            case "requireApproval":
                guard let flag = Bool(value.lowercased()) else { throw FolioError.usage("requireApproval must be true or false") }
                if flag && config.invoicing == .manual {
                    throw FolioError.refused(Refusal("invoicing is manual, which has no buyer approval (seed 000); set invoicing to api first"))
                }
                config.requireApproval = flag
            case "requireSignatures":
                // From the commit after this one, every commit must be signed by its author's key
                // (SPEC §9); this one is signed too when the seller's key is at hand.
                guard let flag = Bool(value.lowercased()) else { throw FolioError.usage("requireSignatures must be true or false") }
                if flag {
                    guard actor.party.key != nil, (try? SigningKeys.signer(for: actor, required: true, key: try SigningKeys.find(git: git))) != nil else {
                        throw FolioError.refused(Refusal("requiring signatures starts with your own: \(actor.email) needs a key in parties.json (`folio party key \(actor.email) --key FILE.pub`) and this clone must sign with it (git config user.signingKey); nothing was written"))
                    }
                }
                config.requireSignatures = flag ? true : nil
            case "terms":
                config.terms = value.isEmpty ? nil : value
            case "padding":
                guard let padding = Int(value), (1...12).contains(padding) else { throw FolioError.usage("padding must be a number of digits from 1 to 12") }
                config.numbering.padding = padding
            default:
                throw FolioError.usage("unknown setting \"\(key)\"; the settings are \(Self.configKeys.joined(separator: ", "))")
            }
            var changes = Changes()
            changes.put(DocumentPaths.config, config)
            return try staged(config, changes, "Set \(canonicalKey!) to \(value)")
        }
    }

    // MARK: Shares (SPEC §10)

    /// Gives `customer` a share at `url`: the seller's sync publishes that customer's
    /// projection there. Seller only; one share per customer.
    public func addShare(customer: String, url: String, caller: Caller) throws -> Written<Share> {
        try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller gives customers their shares")) }
            if let problem = DocumentPaths.validateID(customer) { throw FolioError.usage("customer \"\(customer)\" \(problem)") }
            guard !url.trimmingCharacters(in: .whitespaces).isEmpty else { throw FolioError.usage("the share needs a URL (a path, file://, git:// or ssh)") }
            var shares = try snap.shares()
            if let existing = shares.shares[customer] { throw FolioError.refused(Refusal("customer \(customer) already has a share (\(existing.url)); remove it first")) }
            let share = Share(url: url, addedBy: actor.email, addedAt: stamp.at)
            shares.shares[customer] = share
            var changes = Changes()
            changes.put(DocumentPaths.shares, shares)
            return try staged(share, changes, "Share customer \(customer)'s documents at \(url)")
        }
    }

    /// Stops publishing to `customer`'s share (what it holds stays where it is).
    public func removeShare(customer: String, caller: Caller) throws -> Written<Share> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller removes shares")) }
            var shares = try snap.shares()
            guard let share = shares.shares.removeValue(forKey: customer) else { throw FolioError.notFound(kind: "share", id: customer) }
            var changes = Changes()
            changes.put(DocumentPaths.shares, shares)
            return try staged(share, changes, "Stop sharing customer \(customer)'s documents (was \(share.url))")
        }
    }

    // MARK: Parties

    public func updateParty(email rawEmail: String, name: String?, customerId: String?, series: String?, caller: Caller) throws -> Written<Party> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller changes parties")) }
            let email = rawEmail.lowercased()
            var parties = try snap.parties()
            guard var party = parties.parties[email] else { throw FolioError.notFound(kind: "party", id: email) }
            if let name { party.name = name.isEmpty ? nil : name }
            if let customerId {
                guard party.role == .buyer else { throw FolioError.usage("--customer is for buyers; sellers see every customer") }
                if let problem = DocumentPaths.validateID(customerId) { throw FolioError.usage("--customer \"\(customerId)\" \(problem)") }
                party.customerId = customerId
            }
            if let series {
                guard party.role == .seller else { throw FolioError.usage("--series is for sellers") }
                try requireFreeSeries(series, for: email, parties: parties)
                party.series = series
            }
            parties.parties[email] = party
            var changes = Changes()
            changes.put(DocumentPaths.parties, parties)
            return try staged(party, changes, "Update party \(email)")
        }
    }

    public func removeParty(email rawEmail: String, caller: Caller) throws -> Written<Party> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller removes parties")) }
            let email = rawEmail.lowercased()
            var parties = try snap.parties()
            guard let party = parties.parties[email] else { throw FolioError.notFound(kind: "party", id: email) }
            if party.role == .seller && parties.parties.values.filter({ $0.role == .seller }).count == 1 {
                throw FolioError.refused(Refusal("\(email) is the last seller; add another seller before removing this one"))
            }
            parties.parties[email] = nil
            var changes = Changes()
            changes.put(DocumentPaths.parties, parties)
            return try staged(party, changes, "Remove party \(email)")
        }
    }

    /// A numbering prefix names one series, used by one seller's replica (SPEC §3): a prefix
    /// another party has, or whose series file exists for someone else, is refused.
    func requireFreeSeries(_ prefix: String, for email: String, parties: Parties) throws {
        if let problem = Series.validatePrefix(prefix) { throw FolioError.usage("--series \"\(prefix)\" \(problem)") }
        if let (other, _) = parties.parties.first(where: { $0.key != email && $0.value.series == prefix }) {
            throw FolioError.refused(Refusal("series \(prefix) is already \(other)'s; every seller (and every clone) issues from a series of its own"))
        }
    }

    // MARK: Numbering series (SPEC §3: a series belongs to one replica)

    /// Gives this clone its own series: claims PREFIX in the repository (one commit) and
    /// makes it the clone's series (`git config folio.series`). A prefix another clone claimed,
    /// or another seller's, is refused.
    public func claimSeries(_ prefix: String, caller: Caller) throws -> Written<SeriesState> {
        let written = try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller issues numbers")) }
            if let problem = Series.validatePrefix(prefix) { throw FolioError.usage("series \"\(prefix)\" \(problem)") }
            let parties = try snap.parties()
            if let (other, _) = parties.parties.first(where: { $0.key != actor.email && $0.value.series == prefix }) {
                throw FolioError.refused(Refusal("series \(prefix) is \(other)'s; choose a prefix of your own"))
            }
            let path = DocumentPaths.series(prefix)
            var state = try snap.data(path).map { try DocumentCodec.decode(SeriesState.self, data: $0, schema: Schemas.series, file: path).0 }
                ?? SeriesState(prefix: prefix, last: 0)
            let replica = try replicaID()
            if let claim = state.claim, claim.replica != replica {
                throw FolioError.refused(Refusal("series \(prefix) is already claimed by another clone (\(claim.by) on \(claim.at.prefix(10))); choose another prefix"))
            }
            // Claiming again from the same clone keeps the original claim (its date decides a
            // race with another clone's offline claim).
            if state.claim == nil { state.claim = SeriesClaim(replica: replica, by: actor.email, at: stamp.at) }
            var changes = Changes()
            changes.put(path, state)
            return try staged(state, changes, "Claim series \(prefix) for replica \(replica)")
        }
        do { try git.setConfig("folio.series", prefix) } catch { throw FolioError.wrap(error) }
        return written
    }

    /// The repair for a number issued twice (two clones that claimed one series offline):
    /// the invoice is reissued under the next number of this clone's series, and the number
    /// it had stays on record as void, in the invoice (`voidedNumbers`) and in its series, so
    /// every number ever issued is kept and no two invoices hold one. Its content, events,
    /// payments and any acceptance stay as they are: a number is not content.
    public func reissue(id: String, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller reissues invoices")) }
            let (invoice, _) = try snap.invoice(id)
            guard let old = invoice.number else { throw FolioError.refused(Refusal("invoice \(invoice.id) has no number yet; send it")) }
            let twins = try snap.invoices().invoices.filter { $0.number == old && $0.id != invoice.id }
            guard !twins.isEmpty else {
                throw FolioError.refused(Refusal("number \(old) is held by invoice \(invoice.id) alone; numbers never change (reissue repairs a number issued twice)"))
            }
            var changes = Changes()
            let new = try nextNumber(for: actor, snapshot: snap, changes: &changes, clock: caller.clock)
            if let (prefix, _) = Series.parse(old) {
                let path = DocumentPaths.series(prefix)
                let pending = changes.files[path].flatMap { $0 }
                var state = try (pending ?? snap.data(path)).map { try DocumentCodec.decode(SeriesState.self, data: $0, schema: Schemas.series, file: path).0 }
                    ?? SeriesState(prefix: prefix, last: 0)
                var void = state.void ?? []
                void.append(VoidNumber(number: old, invoiceId: invoice.id, reason: "issued twice (also \(twins.map(\.id).sorted().joined(separator: ", "))); invoice reissued as \(new)"))
                state.void = void
                changes.put(path, state)
            }
            var doc = invoice
            doc.number = new
            doc.voidedNumbers = Array(Set((invoice.voidedNumbers ?? []) + [old])).sorted()
            doc.updatedBy = actor.email
            doc.updatedAt = stamp.at
            try changes.put(invoice: doc)
            return try staged(try doc.derived(), changes, "Reissue invoice \(invoice.id) as \(new): number \(old) was issued twice (also \(twins.map(\.id).sorted().joined(separator: ", "))) and is recorded void")
        }
    }

    // MARK: Extra-field definitions (seed 004)

    public func addField(_ definition: FieldDefinition, caller: Caller) throws -> Written<FieldDefinition> {
        try transact(caller) { snap, actor, stamp in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller defines extra fields")) }
            var defs = try snap.fields()
            if defs.fields.contains(where: { $0.fieldName == definition.fieldName }) {
                throw FolioError.refused(Refusal("extra field \"\(definition.fieldName)\" is already defined; remove it first to change it"))
            }
            if definition.fieldType == .list && (definition.listOfValue ?? []).isEmpty {
                throw FolioError.usage("a list field needs its values: --values A,B,C")
            }
            var added = definition
            // Required of invoices first sent from now on, not of those already sent.
            added.addedAt = stamp.at
            defs.fields.append(added)
            var changes = Changes()
            changes.put(DocumentPaths.fields, defs)
            return try staged(added, changes, "Define extra field \(added.fieldName) (\(added.fieldType.rawValue)\(added.isRequired ? ", required" : ""))")
        }
    }

    public func removeField(name: String, caller: Caller) throws -> Written<FieldDefinition> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller removes extra fields")) }
            var defs = try snap.fields()
            guard let index = defs.fields.firstIndex(where: { $0.fieldName == name }) else { throw FolioError.notFound(kind: "extra field", id: name) }
            // Invoices that carry a value would then carry an undefined field.
            let users = try snap.invoices().invoices.filter { $0.extraFields?.contains { $0.fieldName == name } == true }
            if !users.isEmpty {
                let shown = users.prefix(3).map(Workflow.label).joined(separator: ", ")
                throw FolioError.refused(Refusal("extra field \"\(name)\" has values on \(users.count) invoice(s) (\(shown)\(users.count > 3 ? ", …" : "")); its definition stays while they carry it"))
            }
            let removed = defs.fields.remove(at: index)
            var changes = Changes()
            changes.put(DocumentPaths.fields, defs)
            return try staged(removed, changes, "Remove extra field \(name)")
        }
    }

    // MARK: Drafts

    /// Seed 004's DELETE: a draft that was never sent goes, and its order items are open
    /// again. Anything with a number or an event is part of the books and stays.
    public func deleteInvoice(id: String, caller: Caller) throws -> Written<Invoice> {
        try transact(caller) { snap, actor, _ in
            guard actor.isSeller else { throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller deletes drafts")) }
            let (invoice, json) = try snap.invoice(id)
            try caller.check(version: json, of: Workflow.label(invoice))
            guard invoice.number == nil, invoice.events.isEmpty, invoice.payments.isEmpty else {
                throw FolioError.refused(Refusal("invoice \(Workflow.label(invoice)) has been sent; a sent invoice is never deleted (void it, or correct it with a credit note)"))
            }
            var changes = Changes()
            changes.files[DocumentPaths.path(.invoice, id: invoice.id)] = .some(nil)
            if let orderID = invoice.orderId, let (order, _) = try? snap.order(orderID) {
                changes.put(order: Invoicing.releaseItems(of: invoice, in: order))
            }
            return try staged(invoice, changes, "Delete draft invoice \(invoice.id)")
        }
    }
}
