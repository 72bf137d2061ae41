import CLibgit2
import Synchronization

/// Process-wide facts about the git engine.
public enum Git {
    /// The libgit2 version linked at run time, e.g. "1.5.1".
    public static var libgit2Version: String {
        LibGit2.ensureInitialized()
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        _ = git_libgit2_version(&major, &minor, &revision)
        return "\(major).\(minor).\(revision)"
    }
}

enum LibGit2 {
    /// libgit2 sets up global state (allocators, thread-local error slots) that every other call
    /// relies on; a `static let` gives a thread-safe, exactly-once initialisation without a lock of our own.
    private static let initialized: Void = {
        _ = git_libgit2_init()
        // A commit is a user's data: its objects and the moved reference reach the disk before
        // the command reports success, so a power cut cannot leave a branch on missing objects.
        // (libgit2 does not fsync by default; git fsyncs what it commits.)
        _ = folio_git_enable_fsync(1)
        // Every tree (up to 1 MiB) stays in libgit2's object cache (256 MiB in all by default),
        // so looking up many paths of one commit reads each shard folder once.
        _ = folio_git_set_tree_cache_limit(1 << 20)
    }()

    static func ensureInitialized() { _ = initialized }
}

/// Everything that can go wrong in the git layer.
public enum GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A libgit2 call failed. `code` is libgit2's return code (-3 not found, -4 exists, -13 conflict,
    /// -15 modified…), `errorClass` its `git_error_t` class (4 reference, 7 odb, 13 index…).
    case libgit2(operation: String, code: Int32, errorClass: Int32, message: String)
    /// The named object, revision, repository or path does not exist.
    case notFound(String)
    /// Compare-and-swap on a reference failed: it did not point where the caller expected
    /// (`nil`: the reference did not exist / must not exist).
    case refMoved(expected: GitOID?, actual: GitOID?)
    /// Working-tree or index content of these paths differs from what the operation would replace.
    case dirtyWorkingTree(paths: [String])
    /// A repository path that is empty, absolute, has empty, ".", ".." or ".git" components, or a NUL.
    case invalidPath(String)
    /// Arguments that contradict each other (e.g. the same path written both as a file and a folder).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .libgit2(operation, _, _, message):
            // The code and class stay in the value for callers to decide on; people read words.
            // libgit2's messages can end in ": " with nothing after it.
            var text = Substring(message)
            while let last = text.last, last == " " || last == ":" { text = text.dropLast() }
            return "git: \(operation) failed: \(text)"
        case let .notFound(what):
            return "git: not found: \(what)"
        case let .refMoved(expected, actual):
            return "git: reference moved: expected \(expected?.hex ?? "no reference"), found \(actual?.hex ?? "no reference")"
        case let .dirtyWorkingTree(paths):
            return "git: local changes would be overwritten: \(paths.joined(separator: ", "))"
        case let .invalidPath(path):
            return "git: invalid repository path \"\(path)\""
        case let .invalidArgument(message):
            return "git: \(message)"
        }
    }

    /// libgit2 keeps the detail of a failure in a thread-local slot that the next failing call
    /// overwrites, so it must be captured before anything else touches libgit2.
    static func last(_ code: Int32, _ operation: String) -> GitError {
        var message = "unknown error"
        var errorClass: Int32 = 0
        if let error = git_error_last() {
            if let text = error.pointee.message { message = String(cString: text) }
            errorClass = error.pointee.klass
        }
        return .libgit2(operation: operation, code: code, errorClass: errorClass, message: message)
    }

    /// The libgit2 return code when this is a libgit2 failure.
    public var libgit2Code: Int32? {
        if case let .libgit2(_, code, _, _) = self { return code }
        return nil
    }
}

/// Throws the libgit2 error for a negative return code.
func check(_ code: Int32, _ operation: @autoclosure () -> String) throws {
    guard code < 0 else { return }
    throw GitError.last(code, operation())
}

let okCode: Int32 = 0
let notFoundCode = GIT_ENOTFOUND.rawValue

/// A git object id (SHA-1), shown as 40 lowercase hex digits.
///
/// Held as its 20 bytes in three big-endian words, so that comparing the words compares the
/// bytes (the hex digits' order) and an id costs no allocation: a listing of 1,000,000
/// documents holds 2,000,000 of them, which as strings took 150 MB.
public struct GitOID: Hashable, Sendable, CustomStringConvertible, Comparable {
    private let high: UInt64, middle: UInt64, low: UInt32

    /// Accepts exactly 40 hex digits, either case.
    public init?(hex: String) {
        guard hex.utf8.count == 40 else { return nil }
        let text = Array(hex.utf8)
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 40, by: 2) {
            guard let up = GitOID.hexValue(text[index]), let down = GitOID.hexValue(text[index + 1]) else { return nil }
            bytes.append(up << 4 | down)
        }
        self = bytes.withUnsafeBytes { GitOID(bytes: $0) }
    }

    private init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 20)
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        middle = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        low = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    /// Calls `body` with the 20 bytes, in git's order.
    private func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: (high.bigEndian, middle.bigEndian, low.bigEndian)) { words in
            // The tuple is laid out as 8 + 8 + 4 bytes, in order, with no padding between.
            body(UnsafeRawBufferPointer(rebasing: words[0..<20]))
        }
    }

    public var hex: String {
        withBytes { bytes in
            String(unsafeUninitializedCapacity: 40) { out in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = GitOID.digits[Int(byte >> 4)]
                    out[2 * index + 1] = GitOID.digits[Int(byte & 0x0F)]
                }
                return 40
            }
        }
    }

    public var description: String { hex }

    public static func < (lhs: GitOID, rhs: GitOID) -> Bool { (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low) }

    /// git's id of the empty tree; libgit2 knows it without the object being stored.
    static let emptyTree = GitOID(hex: "4b825dc642cb6eb9a060e54bf8d69288fbee4904")!
    /// The id of the tree with nothing in it.
    public static var emptyTreeID: GitOID { emptyTree }

    private static let digits = Array("0123456789abcdef".utf8)

    init(_ raw: git_oid) {
        var raw = raw
        self = withUnsafeBytes(of: &raw.id) { GitOID(bytes: $0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    var raw: git_oid {
        var oid = git_oid()
        withBytes { bytes in
            withUnsafeMutableBytes(of: &oid.id) { out in out.copyMemory(from: bytes) }
        }
        return oid
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Who did something, and when (as git records it: seconds and a UTC offset).
public struct GitSignature: Sendable, Equatable {
    public var name: String
    public var email: String
    /// Unix time in seconds.
    public var time: Int64
    /// Offset from UTC in minutes, e.g. 120 for UTC+2.
    public var offsetMinutes: Int32

    public init(name: String, email: String, time: Int64, offsetMinutes: Int32 = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }

    init(_ signature: UnsafePointer<git_signature>) {
        name = signature.pointee.name.map { String(cString: $0) } ?? ""
        email = signature.pointee.email.map { String(cString: $0) } ?? ""
        time = signature.pointee.when.time
        offsetMinutes = signature.pointee.when.offset
    }

    /// libgit2 validates the identity here (no '<', '>' or newlines), so a bad name fails before any write.
    func withRaw<T>(_ body: (UnsafePointer<git_signature>) throws -> T) throws -> T {
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&signature, name, email, time, offsetMinutes), "make signature for \(name) <\(email)>")
        defer { git_signature_free(signature) }
        return try body(signature!)
    }
}

/// One commit as stored.
public struct GitCommitInfo: Sendable, Equatable {
    public let id: GitOID
    public let parents: [GitOID]
    public let tree: GitOID
    public let author: GitSignature
    public let committer: GitSignature
    /// The message without the final newline git stores (createCommit adds one when missing,
    /// so a message round-trips unchanged).
    public let message: String

    public init(id: GitOID, parents: [GitOID], tree: GitOID, author: GitSignature, committer: GitSignature, message: String) {
        self.id = id
        self.parents = parents
        self.tree = tree
        self.author = author
        self.committer = committer
        self.message = message
    }
}

/// A file in a tree.
public struct GitTreeEntry: Sendable, Equatable {
    /// Full path from the root, "/"-separated.
    public let path: String
    public let blob: GitOID

    public init(path: String, blob: GitOID) {
        self.path = path
        self.blob = blob
    }
}

/// A file that differs between two trees; `nil` means absent on that side.
public struct GitTreeChange: Sendable, Equatable {
    public let path: String
    public let oldBlob: GitOID?
    public let newBlob: GitOID?

    public init(path: String, oldBlob: GitOID?, newBlob: GitOID?) {
        self.path = path
        self.oldBlob = oldBlob
        self.newBlob = newBlob
    }
}

/// Splits a repository path into components, refusing anything git or the file system would
/// interpret differently from a plain relative path.
func pathComponents(_ path: String, allowEmpty: Bool = false) throws -> [Substring] {
    if path.isEmpty && allowEmpty { return [] }
    let components = path.split(separator: "/", omittingEmptySubsequences: false)
    for component in components {
        if component.isEmpty || component == "." || component == ".." || component.lowercased() == ".git"
            || component.utf8.contains(0) {
            throw GitError.invalidPath(path)
        }
    }
    return components
}

/// git orders paths by bytes (the index order), which is also what a tree walk yields.
func pathPrecedes(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}

/// libgit2's object cache can only be switched off for the whole process. Readers that visit
/// each tree of a large commit once (validate's listing and status, an index rebuild) turn it
/// off while they run: kept, those trees only hold memory (about 50 MB at 100,000 invoices).
/// Switching it off also empties each handle's cache at its next store, so other threads
/// meanwhile lose their cached trees: time, never correctness. Counted, so that overlapping
/// readers keep it off until the last one ends.
enum ObjectCache {
    private static let readers = Mutex(0)

    static func withoutCaching<T>(_ body: () throws -> T) rethrows -> T {
        LibGit2.ensureInitialized()
        readers.withLock { count in
            if count == 0 { _ = folio_git_enable_caching(0) }
            count += 1
        }
        defer {
            readers.withLock { count in
                count -= 1
                if count == 0 { _ = folio_git_enable_caching(1) }
            }
        }
        return try body()
    }
}
