import Foundation
import FolioGit
public import FolioModel

extension FolioRepository {
    /// SPEC §7 state checks on HEAD, plus the clone's own setup.
    public func validate() throws -> [Finding] {
        var (findings, submoduleLinks) = try snapshot().validateTree()
        findings += submoduleLinks.map(Self.submoduleFinding)
        findings += cloneFindings()
        return findings
    }

    static func submoduleFinding(_ link: String) -> Finding {
        Finding("path/submodule", file: link, "is a submodule link where only documents belong; Folio cannot read it (remove it with `git rm --cached \(link)`)")
    }

    /// What `validate --since REV` checks of HEAD's state: the documents the range changed
    /// and every document related to them (the order an invoice bills and the order's other
    /// invoices, the holders of the same number or unique extra-field value, an invoice and
    /// its credit notes, at HEAD and as they were related at REV), so that every group the
    /// checks across documents look at is whole; the series the changed numbers belong to;
    /// the settings. Its findings are a full check's findings about those files, at a cost
    /// that follows the change, not the repository. Nil when the range changed settings
    /// (config, parties, fields), is not history of HEAD, or changed more files than
    /// `largestCheckedChange`, or when the index is not at HEAD or left a misplaced document
    /// out: then everything is checked.
    public func validateChanges(since rev: String, related: some RelatedDocuments) throws -> ChangeValidation? {
        let snap = try snapshot()
        guard let head = snap.commit else { return nil }
        do {
            let base = try sinceCommit(rev)
            guard try git.isAncestor(base, of: head) else { return nil }
            // The index must hold HEAD, and every document where its id puts it: one that is
            // not (a `path/id` error) is not indexed, so it could not be found as a holder.
            guard related.indexedCommit == head.hex, try !related.hasMisplacedDocuments() else { return nil }
            var links: [String] = []
            let changes = try git.diff(from: base, to: head, submoduleLinks: &links).filter { DocumentPaths.isFolioPath($0.path) }
            if changes.contains(where: { $0.path.hasPrefix(".folio/") && DocumentPaths.seriesPrefix(ofPath: $0.path) == nil }) { return nil }
            // A range that rewrote much of the repository is checked whole: the full check
            // streams on every core, this one reads document by document.
            if changes.count > Self.largestCheckedChange { return nil }
            let changed = Set(changes.map(\.path))

            // The settings, and the stray files the range added under orders/ or invoices/
            // (the settings' pass names them).
            var files: [String: Data] = [:]
            for entry in try git.listFiles(at: head, under: ".folio") { files[entry.path] = try git.readBlob(entry.blob) }
            for change in changes where !change.path.hasPrefix(".folio/") && DocumentPaths.parse(change.path) == nil {
                if let blob = change.newBlob { files[change.path] = try git.readBlob(blob) }
            }
            let checker = Validation(files: files)
            var series: Set<String> = []
            var loaded: [String: Validation.DocumentAnalysis] = [:]
            var visited: Set<String> = []
            var pending: [String] = []
            var relations: [DocumentRelation] = []
            func load(_ path: String) throws {
                guard visited.insert(path).inserted, let data = try snap.data(path) else { return }
                let analysis = checker.analyse(path: path, data: data)
                loaded[path] = analysis
                let (more, numbers) = checker.relations(of: analysis)
                relations += more
                if changed.contains(path) { series.formUnion(numbers) }
            }
            for change in changes {
                if let prefix = DocumentPaths.seriesPrefix(ofPath: change.path) {
                    series.insert(prefix)
                } else if DocumentPaths.parse(change.path) != nil {
                    if let blob = change.oldBlob {
                        // How it was related at REV: an invoice that left an order leaves the
                        // order's accounting to check, a deleted invoice its credit notes.
                        let (before, numbers) = checker.relations(of: checker.analyse(path: change.path, data: try git.readBlob(blob)))
                        relations += before
                        series.formUnion(numbers)
                    }
                    pending.append(change.path)
                }
            }
            var asked: Set<DocumentRelation> = []
            while !pending.isEmpty || !relations.isEmpty {
                while let path = pending.popLast() { try load(path) }
                let next = relations
                relations = []
                for relation in next where asked.insert(relation).inserted {
                    switch relation {
                    case .order(let id): pending.append(DocumentPaths.path(.order, id: id))
                    case .invoice(let id): pending.append(DocumentPaths.path(.invoice, id: id))
                    case .number, .uniqueValue: break
                    }
                    pending += try related.invoicePaths(holding: relation)
                }
            }
            var validation = checker
            validation.checkingSeries(only: try related.seriesInUse(series))
            for path in loaded.keys.sorted() { validation.add(loaded[path]!) }
            var findings = validation.finish()
            findings += links.filter(DocumentPaths.isFolioPath).map(Self.submoduleFinding)
            findings += cloneFindings(paths: changes.map(\.path))
            return ChangeValidation(findings: findings, documents: loaded.keys.sorted(), series: series.sorted(),
                                    changedFiles: changes.count)
        } catch let error as GitError { throw FolioError.wrap(error) }
        // The index's errors go up as they are: its reader rebuilds a damaged file and asks again.
    }

    /// The clone around the committed state: a merge driver git can run, and a working tree
    /// and merge state that agree with HEAD (validate checks HEAD and says when they differ).
    /// `paths`: compare only these files with HEAD (all of Folio's files when nil).
    func cloneFindings(paths: [String]? = nil) -> [Finding] {
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
        let uncommitted = paths.map { try? git.uncommittedPaths(exactly: $0) } ?? (try? git.uncommittedPaths(under: [".folio", "orders", "invoices", ".gitattributes"]))
        for path in uncommitted ?? [] {
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

    static let largestCheckedChange = 5_000

    /// What `validateChanges` found, and what it looked at.
    public struct ChangeValidation {
        public var findings: [Finding]
        /// The documents checked: those the range changed and those related to them.
        public var documents: [String]
        /// The series whose rules were checked.
        public var series: [String]
        /// Folio's files the range changed.
        public var changedFiles: Int
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
