public import FolioGit
public import FolioModel
import Foundation

/// An error of a layer above this one (sync, the index's readers) that says once, at that
/// layer's boundary, which FolioError it is; `FolioError.wrap` asks it.
public protocol FolioErrorConvertible: Error {
    var folioError: FolioError { get }
}

/// Everything a Folio command can fail with: the one error every front end reads. Its kind
/// decides the exit status of SPEC §5 (1 for a refusal or invalid input, a rule said no; 2 for
/// usage and I/O problems) and the server's HTTP status; an invalid document carries its
/// findings (`file#pointer: error[rule]: sentence`).
public enum FolioError: Error, CustomStringConvertible {
    case refused(Refusal)
    case invalid(DocumentError)
    case notFound(kind: String, id: String)
    case notARepository(path: String, detail: String)
    case identity(String)
    case usage(String)
    case io(String)
    case dirtyWorkingTree([String])
    case concurrentWrite
    /// The caller wrote on a version of the document it no longer has (HTTP If-Match).
    case stale(String)
    /// Another command held the clone's write lock for longer than a command waits.
    case busy(String)
    /// A retried write whose idempotency key a commit already records: nothing new was
    /// written, and the command succeeds (exit 0).
    case alreadyDone(commit: String, message: String, key: String, invoice: Invoice? = nil)
    case git(GitError)

    /// What went wrong, as a script reads it (`--json`: `"kind": "refused"`).
    public enum Kind: String, Sendable, CaseIterable {
        case refused, invalid, notFound = "not-found", identity, dirtyWorkingTree = "dirty-working-tree"
        case concurrentWrite = "concurrent-write", stale, busy, usage, io, notARepository = "not-a-repository", git
        case alreadyDone = "already-done"

        public var exitCode: Int32 {
            switch self {
            case .refused, .invalid, .notFound, .identity, .dirtyWorkingTree, .concurrentWrite, .busy, .stale: 1
            case .usage, .io, .notARepository, .git: 2
            case .alreadyDone: 0
            }
        }
    }

    public var kind: Kind {
        switch self {
        case .refused: .refused
        case .invalid: .invalid
        case .notFound: .notFound
        case .notARepository: .notARepository
        case .identity: .identity
        case .usage: .usage
        case .io: .io
        case .dirtyWorkingTree: .dirtyWorkingTree
        case .concurrentWrite: .concurrentWrite
        case .stale: .stale
        case .busy: .busy
        case .alreadyDone: .alreadyDone
        case .git: .git
        }
    }

    public var exitCode: Int32 { kind.exitCode }

    /// Each problem with a document, where there are any: an invalid document's findings.
    public var findings: [Finding] {
        if case .invalid(let e) = self { return e.findings }
        return []
    }

    /// The sentence without its "refused:" prefix, for callers that frame it themselves.
    public var message: String {
        if case .refused(let r) = self { return r.message }
        return description
    }

    public var description: String {
        switch self {
        case .refused(let r): "refused: \(r.message)"
        case .invalid(let e): e.description
        case .notFound(let kind, let id): "no \(kind) with id \"\(id)\" in this repository"
        case .notARepository(let path, let detail): "\(path) is not a Folio repository (\(detail)); create one with `folio init` or `folio clone`"
        case .identity(let message): message
        case .usage(let message): message
        case .io(let message): message
        case .dirtyWorkingTree(let paths): "uncommitted local changes in \(paths.joined(separator: ", ")) would be overwritten; commit or discard them first (nothing was written)"
        case .concurrentWrite: "another process kept moving the branch while this command ran; nothing was written, run it again"
        case .busy(let message): message
        case .stale(let message): message
        case .alreadyDone(let commit, let message, let key, _): "already done in commit \(commit.prefix(10)) (idempotency key \(key)): \(message); nothing new was written"
        case .git(let e): e.description
        }
    }

    /// The lock file named by libgit2's "failed to lock file '…'" (or "the index is locked"), if any.
    static func lockedFile(_ error: GitError) -> String? {
        guard case let .libgit2(_, -14, _, message) = error else { return nil }
        if let quoted = message.split(separator: "'").dropFirst().first { return String(quoted) }
        return message.contains("index is locked") ? ".git/index.lock" : nil
    }

    public static func wrap(_ error: any Error) -> FolioError {
        switch error {
        case let e as FolioError: return e
        case let e as any FolioErrorConvertible: return e.folioError
        case let e as Refusal: return .refused(e)
        case let e as DocumentError: return .invalid(e)
        case let e as GitError:
            switch e {
            case .dirtyWorkingTree(let paths): return .dirtyWorkingTree(paths)
            case .refMoved: return .concurrentWrite
            case .libgit2(_, -14, _, _):   // GIT_ELOCKED
                // Another git process holds one of git's lock files (Folio's own, left by a
                // killed Folio command, are cleared before a write starts).
                return .busy("\(lockedFile(e) ?? "a git lock file") is held by another git process; nothing was written. Run this again when it is done (or delete the file if no git command is running)")
            case let .libgit2(operation, _, _, message) where message.contains("No space left on device"):
                return .io("the disk is full (\(operation)); nothing was written. Free some space and run it again")
            case let .libgit2(operation, _, _, message) where message.contains("Read-only file system") || message.contains("Permission denied"):
                return .io("cannot write to the repository (\(operation): \(message.contains("Read-only") ? "read-only file system" : "permission denied")); nothing was written")
            default: return .git(e)
            }
        // An error no layer has mapped: its sentence, never a dump of the Swift value.
        case let e as any CustomStringConvertible: return .io(e.description)
        default: return .io(error.localizedDescription)
        }
    }
}
