import FolioGit
import FolioModel

/// Everything a Folio command can fail with, mapped to the exit codes of SPEC §5:
/// 1 for a refusal or invalid input (a rule said no), 2 for usage and I/O problems.
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
    /// Another command held the clone's write lock for longer than a command waits.
    case busy(String)
    case git(GitError)

    public var exitCode: Int32 {
        switch self {
        case .refused, .invalid, .notFound, .identity, .dirtyWorkingTree, .concurrentWrite, .busy: 1
        case .usage, .io, .notARepository, .git: 2
        }
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
        case .git(let e): e.description
        }
    }

    public static func wrap(_ error: Error) -> FolioError {
        switch error {
        case let e as FolioError: return e
        case let e as Refusal: return .refused(e)
        case let e as DocumentError: return .invalid(e)
        case let e as GitError:
            switch e {
            case .dirtyWorkingTree(let paths): return .dirtyWorkingTree(paths)
            case .refMoved: return .concurrentWrite
            default: return .git(e)
            }
        default: return .io("\(error)")
        }
    }
}
