import Foundation
public import FolioGit
public import FolioModel
import FolioTrust

/// History mode (SPEC §7, §9): every commit of a range, merges included, was signed by its
/// author's key where signatures are required, and made only changes that its author's role
/// allows. What `folio validate --since REV` and the server's pre-receive hook run.
public struct HistoryCheck {
    let repo: FolioRepository
    /// Folio's own merge of two commits (the sync core lives above this module): a merge
    /// commit is checked as that merge plus whatever its author changed on top of it.
    let mergeTree: ((GitOID, GitOID) throws -> GitOID)?

    /// Settings and parties by blob id: most commits leave them alone, so each version is
    /// read once however many commits are checked.
    final class Cache {
        var parties: [GitOID: Parties] = [:]
        var configs: [GitOID: FolioConfig] = [:]
    }
    let cache = Cache()

    public init(repo: FolioRepository, mergeTree: ((GitOID, GitOID) throws -> GitOID)?) {
        self.repo = repo
        self.mergeTree = mergeTree
    }

    /// The parties and settings in force at `commit`.
    func rules(at commit: GitOID) -> (parties: Parties, config: FolioConfig?) {
        var parties = Parties(), config: FolioConfig?
        if let blob = try? git.blobID(path: DocumentPaths.parties, at: commit) {
            if let known = cache.parties[blob] { parties = known } else if let read = try? read(blob, Parties.self, Schemas.parties) {
                cache.parties[blob] = read
                parties = read
            }
        }
        if let blob = try? git.blobID(path: DocumentPaths.config, at: commit) {
            if let known = cache.configs[blob] { config = known } else {
                config = try? read(blob, FolioConfig.self, Schemas.config)
                cache.configs[blob] = config
            }
        }
        return (parties, config)
    }

    var git: GitRepository { repo.git }

    /// Findings for every commit reachable from `head` and not from `base` (nil: the whole
    /// history). A `base` that is not an ancestor of `head` means history was rewritten.
    public func check(base: GitOID?, head: GitOID) throws -> [Finding] {
        var findings: [Finding] = []
        let baseHeld = try base.map { try git.isAncestor($0, of: head) } ?? true
        if let base, !baseHeld {
            findings.append(Finding("history/rewritten", file: "", "commit \(base.hex.prefix(10)) is no longer in the history of \(head.hex.prefix(10)): history was rewritten (a reset, a rebase, a forced push); the commits it dropped are lost to everyone who has not got them", commit: head.hex))
        }
        let commits: [GitOID]
        do { commits = try git.walk(from: head, hiding: baseHeld ? base : nil) } catch { throw FolioError.wrap(error) }
        for id in commits { findings += try checkCommit(id) }
        return findings
    }

    /// Findings for these commits alone, each against the rules of its own first parent (the
    /// commits buyers pushed to a share, SPEC §10).
    public func check(commits: [GitOID]) throws -> [Finding] {
        var findings: [Finding] = []
        for id in commits { findings += try checkCommit(id) }
        return findings
    }

    func checkCommit(_ id: GitOID) throws -> [Finding] {
        let info = try git.commitInfo(id)
        var findings: [Finding] = []
        func add(_ rule: String, _ file: String, _ message: String) { findings.append(Finding(rule, file: file, message, commit: id.hex)) }
        // The rules in force are those of the state the commit started from (its first parent);
        // a root commit sets them.
        let (parties, config) = rules(at: info.parents.first ?? id)
        let required = config?.requireSignatures ?? false
        let author = info.author.email.lowercased()
        let party = parties[author]

        let signed = (try? git.commitSignature(id)) ?? nil
        let (signatureFindings, server) = checkSignature(id, signed: signed, info: info, parties: parties, author: author, required: required)
        findings += signatureFindings

        // What the commit itself changed: against its parent, or for a merge against the merge
        // Folio computes from its parents (so an edit hidden in a merge is the merge author's).
        let changes: [GitTreeChange]
        if info.parents.count >= 2 {
            guard let mergeTree else { return findings }
            let expected = try mergeTree(info.parents[0], info.parents[1])
            changes = try git.diff(fromTree: expected, toTree: info.tree)
        } else {
            changes = try git.diff(from: info.parents.first, to: id)
        }
        if changes.isEmpty { return findings }
        guard let party else {
            add("history/unknown-author", changes[0].path, "commit by \(author), who is not a party of the repository")
            return findings
        }
        guard party.role != .server else {
            add("history/server-author", changes[0].path, "commit authored by \(author), a server party; a server signs for the parties it authenticates and never authors a change itself")
            return findings
        }
        // Keys change only by a seller's own signature, never one a server made for it.
        let signedBySeller = party.role == .seller && signatureFindings.isEmpty && signed != nil && server == nil
        // A seller's commit that brought buyers' work back from a share: the buyers' answers
        // and payments in it are accepted on their own signatures (SPEC §10).
        let importing = party.role == .seller && info.parents.count == 1 ? ShareImportTrailer(message: info.message)?.customer : nil
        for change in changes {
            findings += try checkChange(change, author: author, party: party, parties: parties, commit: id, commitTime: info.author.time,
                                        requireSignatures: required, importing: importing)
            if change.path == DocumentPaths.parties, !signedBySeller {
                let old = try read(change.oldBlob, Parties.self, Schemas.parties)?.parties ?? [:]
                let new = try read(change.newBlob, Parties.self, Schemas.parties)?.parties ?? [:]
                let changed = Set(old.keys).union(new.keys).filter { old[$0]?.key != new[$0]?.key || old[$0]?.retiredKeys != new[$0]?.retiredKeys }.sorted()
                if !changed.isEmpty {
                    findings.append(Finding("history/key-unsigned", file: change.path, "the key of \(changed.joined(separator: ", ")) changed in a commit that no seller signed; only a seller's signed commit may add or change a key (SPEC §9)", commit: id.hex))
                }
            }
        }
        return findings
    }

    /// SPEC §9: signed by the key the author held at that commit, or by a server party's key
    /// (SPEC §11: `folio serve` signs what it writes for the party it authenticated). Returns
    /// the findings and, for a server's signature, the server's email.
    func checkSignature(_ id: GitOID, signed: (signature: String, signedData: Data)?, info: GitCommitInfo, parties: Parties, author: String, required: Bool) -> ([Finding], server: String?) {
        func finding(_ rule: String, _ message: String) -> ([Finding], server: String?) { ([Finding(rule, file: "", message, commit: id.hex)], nil) }
        guard let signed else {
            return required ? finding("history/unsigned", "commit by \(author) is not signed; this repository requires every commit signed by its author's key (SPEC §9)") : ([], nil)
        }
        let key: SSHPublicKey
        do { key = try SSHSig.verify(signed.signature, message: signed.signedData) } catch {
            return finding("history/bad-signature", "the signature of this commit by \(author) does not verify: \(error.description)")
        }
        let party = parties[author]
        let held = Self.keys(of: party, at: info.author.time)
        if held.contains(key) { return ([], nil) }
        if party != nil, party?.role != .server, let server = Self.server(holding: key, in: parties, at: info.author.time) { return ([], server) }
        let whose = party == nil ? "\(author) is not a party" : held.isEmpty ? "\(author) has no key" : "\(author)'s key at that time is \(held.map(\.fingerprint).joined(separator: " or "))"
        return finding("history/wrong-key", "commit by \(author) is signed by \(key.fingerprint), but \(whose) (nor is it a server party's key)")
    }

    /// The server party that held `key` at `time`, if any.
    static func server(holding key: SSHPublicKey, in parties: Parties, at time: Int64) -> String? {
        parties.parties.filter { $0.value.role == .server }.sorted { $0.key < $1.key }
            .first { keys(of: $0.value, at: time).contains(key) }?.key
    }

    /// The keys a party held at `time` (Unix seconds): its key, and keys retired after `time`.
    static func keys(of party: Party?, at time: Int64) -> [SSHPublicKey] {
        guard let party else { return [] }
        let when = Clock(now: Date(timeIntervalSince1970: TimeInterval(time))).timestamp
        var keys = party.key.flatMap { try? SSHPublicKey(parsing: $0) }.map { [$0] } ?? []
        for retired in party.retiredKeys ?? [] where when < retired.until {
            if let key = try? SSHPublicKey(parsing: retired.key) { keys.append(key) }
        }
        return keys
    }

    /// One changed path of one commit, against the author's role (SPEC §7).
    func checkChange(_ change: GitTreeChange, author: String, party: Party, parties: Parties, commit: GitOID,
                     commitTime: Int64, requireSignatures: Bool, importing: String? = nil) throws -> [Finding] {
        var findings: [Finding] = []
        let path = change.path
        func add(_ rule: String, _ message: String) { findings.append(Finding(rule, file: path, message, commit: commit.hex)) }
        let isBuyer = party.role == .buyer
        if let importing, DocumentPaths.parse(path)?.kind != .invoice {
            add("history/import-scope", "a commit that brings back the answers of customer \(importing)'s share changed \(path); it may change that customer's invoices only")
            return findings
        }
        guard let (kind, _) = DocumentPaths.parse(path) else {
            // Settings, keys, series, .gitattributes, CI files: a buyer changes none of them;
            // a seller's series counters only move forward.
            if isBuyer && !path.hasPrefix(DocumentPaths.seriesFolder + "/") {
                add(path == DocumentPaths.parties ? "history/buyer-parties" : "history/buyer-files",
                    path == DocumentPaths.parties ? "buyer \(author) changed the parties (roles and keys are a seller's to change)"
                        : "buyer \(author) changed \(path), which only a seller may change")
            }
            if path.hasPrefix(DocumentPaths.seriesFolder + "/") {
                let old = try read(change.oldBlob, SeriesState.self, Schemas.series)
                let new = try read(change.newBlob, SeriesState.self, Schemas.series)
                if let old, let new, new.last < old.last { add("history/series-back", "series \(new.prefix) went back from \(old.last) to \(new.last); numbers are never reused") }
                if old != nil && change.newBlob == nil { add("history/series-back", "the state of a series in use was deleted; numbers are never reused") }
            }
            return findings
        }
        if change.newBlob != nil, try read(change.newBlob, JSONValue.self, nil) == nil {
            add("history/unreadable", "this commit leaves the document unreadable; every commit must leave every document valid (a change made in two steps is checked at the first)")
            return findings
        }
        if kind == .order {
            if isBuyer { add("history/buyer-content", "buyer \(author) changed an order") }
            return findings
        }
        let old = try read(change.oldBlob, Invoice.self, Schemas.invoice)
        let new = try read(change.newBlob, Invoice.self, Schemas.invoice)
        guard let old else {
            if isBuyer { add("history/buyer-content", "buyer \(author) created an invoice") }
            return findings
        }
        guard let new else {
            if old.events.contains(where: { $0.type == .sent || $0.type == .issued }) || old.number != nil {
                add("history/delete-sent", "invoice \(Workflow.label(old)) was sent and then deleted; sent invoices are voided, never deleted")
            } else if isBuyer {
                add("history/buyer-content", "buyer \(author) deleted an invoice")
            }
            return findings
        }
        if let importing, old.customer.id != importing || new.customer.id != importing {
            add("history/import-scope", "a commit that brings back the answers of customer \(importing)'s share changed invoice \(Workflow.label(old)) of customer \(old.customer.id)")
            return findings
        }
        let oldJSON = JSONValue.encoding(old), newJSON = JSONValue.encoding(new)
        let contentChanged = Workflow.content(of: oldJSON) != Workflow.content(of: newJSON)
        let oldStatus = Workflow.status(events: old.events, revision: old.revision)
        if contentChanged && (oldStatus == .accepted || oldStatus == .issued) {
            add("history/accepted-content", "the content of \(oldStatus.rawValue) invoice \(Workflow.label(old)) changed; corrections go through credit notes")
        }
        if let number = old.number, new.number != number {
            add("history/number-changed", "invoice \(Workflow.label(old)) changed its number to \(new.number ?? "none"); a number never changes once given")
        }
        // Events and payments are a log: never dropped, never rewritten.
        let newEvents = Dictionary(new.events.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for event in old.events {
            guard let kept = newEvents[event.id] else { add("history/event-dropped", "event \(event.id) (\(event.type.rawValue)) of invoice \(Workflow.label(old)) was removed; events are never dropped"); continue }
            if kept != event { add("history/event-changed", "event \(event.id) (\(event.type.rawValue)) of invoice \(Workflow.label(old)) was rewritten; events are never changed") }
        }
        let newPayments = Dictionary(new.payments.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for payment in old.payments {
            guard let kept = newPayments[payment.id] else { add("history/payment-dropped", "payment \(payment.id) of invoice \(Workflow.label(old)) was removed; payments are never dropped"); continue }
            if kept != payment { add("history/payment-changed", "payment \(payment.id) of invoice \(Workflow.label(old)) was changed; payments are never changed") }
        }
        let oldIDs = Set(old.events.map(\.id)), oldPaymentIDs = Set(old.payments.map(\.id))
        let added = new.events.filter { !oldIDs.contains($0.id) }
        let addedPayments = new.payments.filter { !oldPaymentIDs.contains($0.id) }
        let buyerTypes: Set<EventType> = [.accepted, .declined, .changesRequested]
        // What a buyer of the imported share's customer did there, brought back by a seller.
        func isCustomersBuyer(_ email: String) -> Bool {
            guard let importing, let p = parties[email.lowercased()] else { return false }
            return p.role == .buyer && p.customerId == importing
        }
        let importedAnswers = added.filter { buyerTypes.contains($0.type) && isCustomersBuyer($0.by) }
        let importedPayments = addedPayments.filter { isCustomersBuyer($0.by) }
        let importedIDs = Set(importedAnswers.map(\.id) + importedPayments.map(\.id))
        if isBuyer {
            if contentChanged { add("history/buyer-content", "buyer \(author) changed the content of invoice \(Workflow.label(old))") }
            if added.contains(where: { !buyerTypes.contains($0.type) }) { add("history/buyer-event", "buyer \(author) recorded a seller's action on invoice \(Workflow.label(old))") }
            if party.customerId != new.customer.id || party.customerId != old.customer.id {
                add("history/buyer-customer", "buyer \(author) of \(party.customerId ?? "?") changed invoice \(Workflow.label(old)) of customer \(old.customer.id)")
            }
        } else if added.contains(where: { buyerTypes.contains($0.type) && !importedIDs.contains($0.id) }) {
            add("history/seller-answer", "seller \(author) answered for the buyer on invoice \(Workflow.label(old))")
        }
        if added.contains(where: { $0.by.lowercased() != author && !importedIDs.contains($0.id) })
            || addedPayments.contains(where: { $0.by.lowercased() != author && !importedIDs.contains($0.id) }) {
            add("history/event-author", "an event or payment recorded in this commit names someone other than its author \(author)")
        }
        // The workflow's own rules, on what the commit added.
        if oldStatus == .accepted || oldStatus == .issued, added.contains(where: { $0.type == .voided }) {
            add("history/final-void", "\(oldStatus.rawValue) invoice \(Workflow.label(old)) was voided; a final invoice is corrected by a credit note")
        }
        if oldStatus == .declined || oldStatus == .voided, added.contains(where: { $0.type == .sent || $0.type == .issued }) {
            add("history/resend", "\(oldStatus.rawValue) invoice \(Workflow.label(old)) was sent again; it is never resent")
        }
        if !addedPayments.isEmpty, [.draft, .declined, .voided].contains(oldStatus), old.type != InvoiceType.creditNote {
            add("history/payment-status", "a payment was recorded on \(oldStatus.rawValue) invoice \(Workflow.label(old))")
        }
        // An answer is bound to the content it answered, and signed by the buyer itself.
        for answer in added where buyerTypes.contains(answer.type) {
            let imported = importedIDs.contains(answer.id)
            // An imported answer was made on the share, before the merge: it must match the
            // content only when it answers the revision the invoice now has.
            if let hash = answer.contentHash {
                if hash != FolioRepository.contentHash(of: new) && (!imported || answer.revision == new.revision) {
                    add("history/answer-content", "the \(answer.type.rawValue) answer \(answer.id) on invoice \(Workflow.label(old)) records other content than the invoice has (an answer replayed from another revision?)")
                }
            } else if requireSignatures {
                add("history/answer-content", "the \(answer.type.rawValue) answer \(answer.id) on invoice \(Workflow.label(old)) does not record the content it answered")
            }
            if let signature = answer.signature {
                let key = try? SSHSig.verify(signature, message: Data(answer.signedPayload), namespace: FolioRepository.answerNamespace)
                let answerer = parties[answer.by]
                let when = imported ? (Clock.parse(answer.at).map { Int64($0.timeIntervalSince1970) } ?? commitTime) : commitTime
                if key == nil || (!Self.keys(of: answerer, at: when).contains(key!) && Self.server(holding: key!, in: parties, at: when) == nil) {
                    add("history/answer-signature", "the \(answer.type.rawValue) answer \(answer.id) on invoice \(Workflow.label(old)) is not signed by \(answer.by)'s key")
                }
            } else if requireSignatures {
                add("history/answer-signature", "the \(answer.type.rawValue) answer \(answer.id) on invoice \(Workflow.label(old)) carries no signature of \(answer.by)")
            }
        }
        for payment in importedPayments {
            switch paymentSignature(payment, parties: parties) {
            case .good: break
            case .unsigned where !requireSignatures: break
            case .unsigned: add("history/payment-signature", "payment \(payment.id) on invoice \(Workflow.label(old)), brought back from the share, carries no signature of \(payment.by)")
            case .bad: add("history/payment-signature", "payment \(payment.id) on invoice \(Workflow.label(old)), brought back from the share, is not signed by \(payment.by)'s key")
            }
        }
        if let answer = added.first(where: { buyerTypes.contains($0.type) && !importedIDs.contains($0.id) }), ![.pendingApproval].contains(oldStatus) {
            add("history/answer-status", "invoice \(Workflow.label(old)) was \(answer.type.rawValue.replacingOccurrences(of: "_", with: " ")) while \(oldStatus.rawValue); a buyer answers a sent invoice")
        }
        return findings
    }

    func read<T: Decodable>(_ blob: GitOID?, _ type: T.Type, _ schema: Schema?) throws -> T? {
        guard let blob else { return nil }
        let data = try git.readBlob(blob)
        if let schema { return try? DocumentCodec.decode(T.self, data: data, schema: schema, file: "").0 }
        return (try? DocumentCodec.parse(data, file: "")) as? T
    }
}

/// Who signed a commit, as `folio invoice log` shows it.
public enum SignatureStatus: Sendable, Equatable, CustomStringConvertible {
    case unsigned
    case good(String)
    case bad(String)

    public var description: String {
        switch self {
        case .unsigned: "unsigned"
        case .good(let who): "signed by \(who), verified"
        case .bad(let why): "BAD SIGNATURE: \(why)"
        }
    }
}

extension HistoryCheck {
    /// The signature of `commit` against the keys its author held then.
    public func signature(of commit: GitOID) throws -> SignatureStatus {
        let info = try git.commitInfo(commit)
        let parties = rules(at: info.parents.first ?? commit).parties
        let author = info.author.email.lowercased()
        guard let signed = (try? git.commitSignature(commit)) ?? nil else { return .unsigned }
        let (findings, server) = checkSignature(commit, signed: signed, info: info, parties: parties, author: author, required: true)
        if let finding = findings.first { return .bad(finding.message) }
        return .good(server.map { "\($0) for \(author)" } ?? author)
    }

    /// A buyer's answer against the key the buyer held when it answered.
    public func answerSignature(_ event: InvoiceEvent, parties: Parties) -> SignatureStatus {
        guard let signature = event.signature else { return .unsigned }
        guard let key = try? SSHSig.verify(signature, message: Data(event.signedPayload), namespace: FolioRepository.answerNamespace) else {
            return .bad("the answer's signature does not verify")
        }
        let time = Clock.parse(event.at).map { Int64($0.timeIntervalSince1970) } ?? 0
        if Self.keys(of: parties[event.by], at: time).contains(key) { return .good(event.by) }
        if let server = Self.server(holding: key, in: parties, at: time) { return .good("\(server) for \(event.by)") }
        return .bad("signed by \(key.fingerprint), not \(event.by)'s key")
    }

    /// A payment a buyer signed against the key the buyer held when it paid.
    public func paymentSignature(_ payment: Payment, parties: Parties) -> SignatureStatus {
        guard let signature = payment.signature else { return .unsigned }
        guard let key = try? SSHSig.verify(signature, message: Data(payment.signedPayload), namespace: FolioRepository.paymentNamespace) else {
            return .bad("the payment's signature does not verify")
        }
        let time = Clock.parse(payment.at).map { Int64($0.timeIntervalSince1970) } ?? 0
        if Self.keys(of: parties[payment.by], at: time).contains(key) { return .good(payment.by) }
        if let server = Self.server(holding: key, in: parties, at: time) { return .good("\(server) for \(payment.by)") }
        return .bad("signed by \(key.fingerprint), not \(payment.by)'s key")
    }

    /// `validate --since REV` (SPEC §7): every commit after REV, up to HEAD.
    public func since(_ rev: String) throws -> [Finding] {
        guard let head = try repo.head() else { return [] }
        return try check(base: repo.sinceCommit(rev), head: head)
    }
}

extension FolioRepository {
    /// The commit `--since REV` names, or a usage error that says it is not one.
    func sinceCommit(_ rev: String) throws -> GitOID {
        do { return try git.resolveCommit(rev) } catch { throw FolioError.usage("--since \"\(rev)\" is not a commit of this repository") }
    }
}
