import Foundation
public import FolioGit
import FolioModel
public import FolioRepo

/// A clone made ready to use (SPEC §5): the merge driver registered, the acting party's git
/// identity set, the signers file refreshed. The one sequence behind `folio clone` and the
/// demo's buyer; a front end adds what it owns (the index, its own messages).
public struct ClonedRepository {
    public let git: GitRepository
    /// nil when the remote's main holds no Folio repository yet (an empty remote).
    public let repo: FolioRepository?
    public let path: String

    /// `identity`: who will act in the clone (--as, FOLIO_USER), given a name from parties.json.
    /// `executable`: the folio binary git runs as the merge driver.
    public static func clone(url: String, to path: String, identity: (email: String, name: String?)?, executable: String) throws -> ClonedRepository {
        if FileManager.default.fileExists(atPath: path), let items = try? FileManager.default.contentsOfDirectory(atPath: path), !items.isEmpty {
            throw FolioError.usage("\(path) exists and is not empty")
        }
        let git: GitRepository
        do { git = try GitRepository.clone(url: url, to: path) } catch {
            throw FolioError.io("cannot clone \(url): \(error)")
        }
        let repo = (try? git.headCommit()) != nil ? try? FolioRepository.open(path) : nil
        var identity = identity
        if let email = identity?.email { identity?.name = (try? repo?.snapshot().parties()[email]?.name) ?? nil }
        try MergeDriver.install(in: git, executable: executable, identity: identity)
        try? repo?.refreshAllowedSigners()
        return ClonedRepository(git: git, repo: repo, path: git.workdir ?? path)
    }
}
