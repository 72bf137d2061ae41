import ArgumentParser
import Foundation
import FolioIndex
import FolioModel
import FolioRepo
import FolioSync

enum ValidateFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, github
    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

struct ValidateCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the repository's state (and history with --since) for CI.",
        discussion: "Exit 0 when there is no error, 1 when there is (with --strict, warnings count as errors).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Also check every commit after REV; HEAD's state is checked where the range changed it (the changed documents and those related to them).") var since: String?
    @Flag(help: "With --since, check the whole of HEAD's state, not only what the range changed.") var full = false
    @Option(help: "How findings are printed: github prints workflow annotations.") var format: ValidateFormat = .text
    @Flag(help: "Treat warnings as errors.") var strict = false
    @Flag(help: "Rewrite documents into canonical form with derived fields recomputed, as one commit.") var fix = false

    func run(_ console: Console) throws {
        let fmt: ValidateFormat = global.wantsJSON ? .json : format
        let repo = try global.openRepository(console)
        if fix {
            let written = try repo.fixCanonicalForm(caller: global.caller(console))
            console.info(written.map { "\($0.message) (\($0.value) files)" } ?? "Nothing to fix.")
        }
        var findings: [Finding]
        if let since, !full, !fix, let scoped = try IndexAccess(repo, console).validateChanges(since: since) {
            findings = scoped.findings
            if fmt != .json {
                console.info("folio validate: checked \(scoped.changedFiles) file(s) changed since \(since), \(scoped.documents.count) document(s) with those related to them, the settings and \(scoped.series.count) series (--full checks everything)")
            }
        } else {
            findings = try repo.validate()
        }
        if let since { findings += try HistoryCheck(repo: repo).since(since) }
        let errors = findings.filter { $0.severity == .error || strict }
        switch fmt {
        case .json:
            let rows = findings.map { Display.json($0, strict: strict) }
            console.data(CanonicalJSON.string(.object(["ok": .bool(errors.isEmpty), "errors": .int(Int64(errors.count)),
                                                      "warnings": .int(Int64(findings.count - errors.count)), "findings": .array(rows)])))
        case .github:
            for f in findings {
                let level = f.severity == .error || strict ? "error" : "warning"
                console.data("::\(level) file=\(escape(f.file)),title=\(escape(f.rule))::\(escapeData(f.pointer.isEmpty ? f.message : "\(f.pointer): \(f.message)"))")
            }
            console.info(summary(findings.count, errors.count))
        case .text:
            for f in findings { console.data(strict && f.severity == .warning ? f.description.replacingOccurrences(of: ": warning[", with: ": error[") : f.description) }
            console.info(summary(findings.count, errors.count))
        }
        if !errors.isEmpty { throw ExitCode(1) }
    }

    func summary(_ total: Int, _ errors: Int) -> String {
        total == 0 ? "folio validate: no problems found" : "folio validate: \(errors) error(s), \(total - errors) warning(s)"
    }

    // GitHub workflow command escaping.
    func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }
    func escape(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
