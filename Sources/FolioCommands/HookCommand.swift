import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

/// A git server runs Folio's history checks on every push (SPEC §9): `folio hook install
/// --server` in a bare repository, and the pre-receive hook it installs.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hook", abstract: "Server-side checks of pushed history.",
                                                    subcommands: [HookInstall.self, HookPreReceive.self])
}

struct HookInstall: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the pre-receive hook in a bare repository.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Install the server-side hook (pre-receive) in a bare repository.") var server = false
    @Argument(help: "The bare repository (default: the current folder, or -C).") var path: String?

    func run(_ console: Console) throws {
        guard server else { throw FolioError.usage("say --server: Folio installs the server-side pre-receive hook") }
        let target = path ?? global.path
        let hooks = try FolioRepository.hooksFolder(ofBare: target)
        try? FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        let hook = hooks + "/pre-receive"
        let script = "#!/bin/sh\n# Installed by `folio hook install --server`: every pushed range passes Folio's history checks (SPEC §9).\nexec \(MergeDriver.shellQuote(currentExecutable())) hook pre-receive\n"
        do {
            try Data(script.utf8).write(to: URL(fileURLWithPath: hook), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        } catch { throw FolioError.io("\(hook): \(error.localizedDescription)") }
        console.data("Installed the pre-receive hook in \(hook): pushes to this repository pass Folio's history checks")
    }
}

struct HookPreReceive: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "pre-receive", abstract: "Run by git on the server for each push (reads \"old new ref\" lines).",
                                                    shouldDisplay: false)
    @OptionGroup var global: GlobalOptions

    func run(_ console: Console) throws {
        let repo = try FolioRepository.openFromEnvironment()
        let check = HistoryCheck(repo: repo)
        var errors: [Finding] = []
        while let line = readLine() {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3 else { continue }
            let (old, new, ref) = (GitOID(hex: fields[0]), GitOID(hex: fields[1]), fields[2])
            let zero = String(repeating: "0", count: 40)
            if fields[1] == zero {
                errors.append(Finding("history/rewritten", file: "", "\(ref) cannot be deleted: its history is the books"))
                continue
            }
            guard let new else { continue }
            errors += try check.check(base: fields[0] == zero ? nil : old, head: new).filter { $0.severity == .error }
        }
        guard !errors.isEmpty else { return }
        for finding in errors.prefix(20) { console.error("folio: \(finding.description)") }
        if errors.count > 20 { console.error("folio: … and \(errors.count - 20) more") }
        console.error("folio: push rejected: \(errors.count) finding(s) (SPEC §9)")
        throw ExitCode(1)
    }
}
