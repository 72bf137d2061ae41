import Foundation
import FolioGit
public import FolioModel

extension FolioRepository {
    /// SPEC §7 state checks on HEAD, plus the clone's own setup.
    public func validate() throws -> [Finding] {
        var (findings, submoduleLinks) = try snapshot().validateTree()
        for link in submoduleLinks {
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
