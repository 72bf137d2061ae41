import ArgumentParser
import Foundation
import FolioModel
import FolioRepo
import FolioSync

struct CloneCommand: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "clone", abstract: "Clone a Folio repository, register the merge driver, ready to use.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Remote URL: a path, file://, git://, ssh:// or https://.") var url: String
    @Argument(help: "Where to clone (default: the URL's last component).") var path: String?

    func run(_ console: Console) throws {
        var target = path ?? URL(fileURLWithPath: url).deletingPathExtension().lastPathComponent
        if path == nil, let d = global.directory { target = (d as NSString).appendingPathComponent(target) }
        let clone = try ClonedRepository.clone(url: url, to: target, identity: global.explicitIdentity, executable: currentExecutable())
        let ok = clone.repo != nil
        // SPEC §5: ready to use, index included. A failed build is not a failed clone: the
        // next read builds it again, and says why.
        if let repo = clone.repo {
            do { _ = try IndexAccess(repo, console).open() } catch { console.info("folio: the index was not built (\(error)); the next `folio list` builds it") }
            if let advice = repo.signingAdvice(for: global.explicitIdentity?.email ?? (try? repo.identityEmail(explicit: nil))) { console.info("folio: \(advice)") }
        }
        if global.wantsJSON {
            console.data(CanonicalJSON.string(.object(["path": .string(clone.path), "url": .string(url), "folio": .bool(ok)])))
        } else {
            console.data("Cloned \(url) into \(clone.path)" + (ok ? "" : " (no Folio repository on its main branch yet)"))
        }
    }
}
