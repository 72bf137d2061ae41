import ArgumentParser
import Foundation
import FolioGit
import FolioModel
import FolioRepo
import FolioSync

struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clone", abstract: "Clone a Folio repository, register the merge driver, ready to use.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Remote URL: a path, file://, git://, ssh:// or https://.") var url: String
    @Argument(help: "Where to clone (default: the URL's last component).") var path: String?

    func run() throws {
        var target = path ?? URL(fileURLWithPath: url).deletingPathExtension().lastPathComponent
        if path == nil, let d = global.directory { target = (d as NSString).appendingPathComponent(target) }
        if FileManager.default.fileExists(atPath: target), let items = try? FileManager.default.contentsOfDirectory(atPath: target), !items.isEmpty {
            throw FolioError.usage("\(target) exists and is not empty")
        }
        let git: GitRepository
        do { git = try GitRepository.clone(url: url, to: target) } catch {
            throw FolioError.io("cannot clone \(url): \(error)")
        }
        let repo = (try? git.headCommit()) != nil ? try? FolioRepository.open(target) : nil
        var identity = global.explicitIdentity
        if let email = identity?.email { identity?.name = (try? repo?.snapshot().parties()[email]?.name) ?? nil }
        try MergeDriver.install(in: git, executable: currentExecutable(), identity: identity)
        let ok = repo != nil
        // SPEC §5: ready to use, index included. A failed build is not a failed clone: the
        // next read builds it again, and says why.
        if let repo {
            do { _ = try IndexAccess.open(repo) } catch { Output.info("folio: the index was not built (\(error)); the next `folio list` builds it") }
            try? repo.refreshAllowedSigners()
            if let advice = repo.signingAdvice(for: identity?.email ?? (try? repo.identityEmail(explicit: nil))) { Output.info("folio: \(advice)") }
        }
        if global.wantsJSON {
            Output.data(CanonicalJSON.string(.object(["path": .string(git.workdir ?? target), "url": .string(url), "folio": .bool(ok)])))
        } else {
            Output.data("Cloned \(url) into \(git.workdir ?? target)" + (ok ? "" : " (no Folio repository on its main branch yet)"))
        }
    }
}
