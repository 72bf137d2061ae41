import Foundation
import FolioGit
import FolioModel

extension FolioRepository {
    /// SPEC §7 state checks on HEAD, plus the clone's own setup.
    public func validate() throws -> [Finding] {
        let snap = try snapshot()
        let tree = try snap.folioTree()
        var findings = Validator(files: tree.files).run()
        for link in tree.submoduleLinks {
            findings.append(Finding("path/submodule", file: link, "is a submodule link where only documents belong; Folio cannot read it (remove it with `git rm --cached \(link)`)"))
        }
        findings += cloneFindings()
        return findings
    }

    /// The clone around the committed state: a merge driver git can run, and a working tree
    /// and merge state that agree with HEAD (validate checks HEAD and says when they differ).
    func cloneFindings() -> [Finding] {
        guard !git.isBare else { return [] }
        var findings: [Finding] = []
        if let problem = mergeDriverProblem() {
            findings.append(Finding("clone/merge-driver", problem.missing ? .warning : .error, file: ".git/config", problem.sentence))
        } else if (try? git.config("merge.folio.recursive")) == nil {
            // Clones registered before the virtual-base driver existed.
            findings.append(Finding("clone/merge-driver", .warning, file: ".git/config",
                                    "this clone's merge driver has no merge.folio.recursive, so a plain `git merge` of a criss-cross history may differ from `folio sync`; run `folio sync` once to register it"))
        }
        if git.hasOperationInProgress {
            findings.append(Finding("worktree/merge-in-progress", file: ".git",
                                    "a git merge (or rebase) is in progress and is not what HEAD holds; finish it (`git commit`) or abort it (`git merge --abort`), then validate again"))
        }
        for path in (try? git.uncommittedPaths(under: [".folio", "orders", "invoices", ".gitattributes"])) ?? [] {
            let data = git.workdir.flatMap { FileManager.default.contents(atPath: $0 + "/" + path) }
            if let data, let line = JSONValue.conflictMarkerLine(data) {
                findings.append(Finding("worktree/conflict-markers", file: path,
                                        "line \(line) of the working-tree file is a conflict marker left by a text merge; HEAD was checked, not this file. Take HEAD's version (`git checkout -- \(path)`, or `git merge --abort`) and merge with `folio sync`"))
            } else {
                findings.append(Finding("worktree/uncommitted", .warning, file: path,
                                        "the working-tree file differs from HEAD, which is what was checked; commit it or discard it (`git checkout -- \(path)`)"))
            }
        }
        return findings
    }

    public struct MergeDriverProblem {
        public var missing: Bool
        public var sentence: String
    }

    /// Why git could not run this clone's Folio merge driver, or nil when it can: unset, or
    /// naming an executable that is not there (a `folio` registered from a build folder since
    /// removed, or a relative path).
    public func mergeDriverProblem() -> MergeDriverProblem? {
        guard !git.isBare else { return nil }
        guard let command = try? git.config("merge.folio.driver"), !command.isEmpty else {
            return MergeDriverProblem(missing: true, sentence: "this clone has no merge.folio.driver, so a plain `git pull` would merge documents as text; `folio sync` or `folio clone` registers it")
        }
        let program = Self.firstShellWord(command)
        if program.hasPrefix("/") && FileManager.default.isExecutableFile(atPath: program) { return nil }
        return MergeDriverProblem(missing: false, sentence: "this clone's merge driver runs \"\(program)\", which \(program.hasPrefix("/") ? "is not an executable file" : "is not an absolute path") (git would leave conflict markers in documents); run `folio sync` once, or `folio clone` again, to register the folio that runs now")
    }

    /// The first word of a command line as a POSIX shell reads it (plain, or in single quotes).
    static func firstShellWord(_ command: String) -> String {
        var word = ""
        var quoted = false
        for c in command.drop(while: { $0 == " " }) {
            if c == "'" { quoted.toggle(); continue }
            if c == " " && !quoted { break }
            word.append(c)
        }
        return word
    }

    /// History mode (SPEC §7): every commit after `since` was made by an identity whose role
    /// allows it, accepted content never changes and sent invoices are never deleted.
    public func validateHistory(since: String) throws -> [Finding] {
        guard let head = try head() else { return [] }
        let base: GitOID
        do { base = try git.resolveCommit(since) } catch { throw FolioError.usage("--since \"\(since)\" is not a commit of this repository") }
        var findings: [Finding] = []
        for id in try git.walk(from: head, hiding: base) {
            let info = try git.commitInfo(id)
            // Merge commits combine work already checked in their parents; the merge core's
            // own rules (SPEC §4) are tested separately.
            guard info.parents.count == 1, let parent = info.parents.first else { continue }
            let before = snapshot(at: parent)
            let parties = (try? before.parties()) ?? Parties()
            let author = info.author.email.lowercased()
            let party = parties[author]
            let short = id.hex
            func add(_ rule: String, _ file: String, _ message: String) { findings.append(Finding(rule, file: file, message, commit: short)) }
            let changes = try git.diff(from: parent, to: id)
            if party == nil && !changes.isEmpty {
                add("history/unknown-author", changes[0].path, "commit by \(author), who is not a party of the repository")
                continue
            }
            for change in changes {
                if change.path.hasPrefix(".folio/") && party?.role == .buyer && !change.path.hasPrefix(DocumentPaths.seriesFolder) {
                    add("history/buyer-settings", change.path, "buyer \(author) changed repository settings")
                }
                guard let (kind, _) = DocumentPaths.parse(change.path) else { continue }
                if kind == .order {
                    if party?.role == .buyer { add("history/buyer-content", change.path, "buyer \(author) changed an order") }
                    continue
                }
                let old = try change.oldBlob.flatMap { try? DocumentCodec.decode(Invoice.self, data: try git.readBlob($0), schema: Schemas.invoice, file: change.path) }
                let new = try change.newBlob.flatMap { try? DocumentCodec.decode(Invoice.self, data: try git.readBlob($0), schema: Schemas.invoice, file: change.path) }
                guard let (oldInv, oldJSON) = old else {
                    if party?.role == .buyer { add("history/buyer-content", change.path, "buyer \(author) created an invoice") }
                    continue
                }
                guard let (newInv, newJSON) = new else {
                    if change.newBlob == nil, oldInv.events.contains(where: { $0.type == .sent || $0.type == .issued }) {
                        add("history/delete-sent", change.path, "invoice \(Workflow.label(oldInv)) was sent and then deleted; sent invoices are voided, never deleted")
                    }
                    continue
                }
                let contentChanged = Workflow.content(of: oldJSON) != Workflow.content(of: newJSON)
                let oldStatus = Workflow.status(events: oldInv.events, revision: oldInv.revision)
                if contentChanged && (oldStatus == .accepted || oldStatus == .issued) {
                    add("history/accepted-content", change.path, "the content of \(oldStatus.rawValue) invoice \(Workflow.label(oldInv)) changed; corrections go through credit notes")
                }
                let oldEventIDs = Set(oldInv.events.map(\.id))
                let added = newInv.events.filter { !oldEventIDs.contains($0.id) }
                if oldEventIDs.count > 0 && !oldEventIDs.isSubset(of: Set(newInv.events.map(\.id))) {
                    add("history/event-dropped", change.path, "events of invoice \(Workflow.label(oldInv)) were removed; events are never dropped")
                }
                let buyerTypes: Set<EventType> = [.accepted, .declined, .changesRequested]
                if party?.role == .buyer {
                    if contentChanged { add("history/buyer-content", change.path, "buyer \(author) changed the content of invoice \(Workflow.label(oldInv))") }
                    if added.contains(where: { !buyerTypes.contains($0.type) }) { add("history/buyer-event", change.path, "buyer \(author) recorded a seller's action on invoice \(Workflow.label(oldInv))") }
                    if party?.customerId != newInv.customer.id { add("history/buyer-customer", change.path, "buyer \(author) of \(party?.customerId ?? "?") changed invoice \(Workflow.label(oldInv)) of customer \(newInv.customer.id)") }
                } else if added.contains(where: { buyerTypes.contains($0.type) }) {
                    add("history/seller-answer", change.path, "seller \(author) answered for the buyer on invoice \(Workflow.label(oldInv))")
                }
                if added.contains(where: { $0.by.lowercased() != author }) {
                    add("history/event-author", change.path, "an event recorded in this commit names someone other than its author \(author)")
                }
            }
        }
        return findings
    }

    /// `validate --fix`: rewrites documents that parse into canonical form, with derived
    /// fields recomputed, as one commit. Documents that do not parse are left for a person.
    public func fixCanonicalForm(caller: Caller) throws -> Written<Int>? {
        // Nothing to rewrite needs no identity and takes no lock.
        if try canonicalRewrites(in: snapshot()).files.isEmpty { return nil }
        return try transact(caller) { snap, actor, _ in
            let changes = try canonicalRewrites(in: snap)
            guard actor.isSeller else { throw FolioError.refused(Refusal("only a seller can rewrite documents")) }
            let count = changes.files.count
            return try staged(count, changes, "Rewrite \(count) document(s) in canonical form")
        }
    }

    private func canonicalRewrites(in snap: Snapshot) throws -> Changes {
        var changes = Changes()
        for (path, data) in try snap.folioFiles() {
            guard let json = try? DocumentCodec.parse(data, file: path) else { continue }
            var fixed = Data(CanonicalJSON.bytes(json))
            if let (kind, _) = DocumentPaths.parse(path), kind == .invoice,
               let invoice = try? DocumentCodec.decode(Invoice.self, json: json, schema: Schemas.invoice, file: path),
               let derived = try? invoice.derived() {
                // A final invoice whose stored amounts disagree with its lines was changed after
                // it was final: recomputing would make the tampering look consistent. Its bytes
                // are put in canonical form only, and validate keeps reporting it for a person.
                let status = Workflow.status(events: invoice.events, revision: invoice.revision)
                let final = status == .accepted || status == .issued || invoice.type == InvoiceType.creditNote
                if !(final && derived != invoice) { fixed = DocumentCodec.encode(derived) }
            }
            if fixed != data { changes.files[path] = fixed }
        }
        return changes
    }
}
