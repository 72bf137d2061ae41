import CLibgit2
public import Foundation

/// A git repository on disk.
///
/// Single-threaded use: libgit2 allows one repository handle to be used by one thread at a time.
/// The type is `@unchecked Sendable` so it can be handed to another task, not shared by two at once.
public final class GitRepository: @unchecked Sendable {
    /// Owned `git_repository *`, freed in `deinit`; never handed out.
    let pointer: OpaquePointer
    /// Nesting depth of `bulkWrite`; above zero, writes land in the in-memory object database.
    var bulkDepth = 0
    /// Ids of the objects written during `bulkWrite`, to be packed when it ends.
    var bulkObjects: [git_oid] = []
    /// The configuration's URL rewriting rules, read on first need (see `urlRewriteRules`).
    var urlRewrites: URLRewriteRules?

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    // MARK: Opening

    /// Creates a repository whose HEAD points at the unborn branch `initialBranch`.
    /// Like `git init`, running it on an existing repository leaves that repository's content alone.
    public static func create(at path: String, bare: Bool = false, initialBranch: String = "main") throws -> GitRepository {
        LibGit2.ensureInitialized()
        var options = git_repository_init_options()
        try check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)), "init options")
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | (bare ? GIT_REPOSITORY_INIT_BARE.rawValue : 0)
        var repository: OpaquePointer?
        try initialBranch.withCString { head in
            options.initial_head = head
            try check(git_repository_init_ext(&repository, Self.tidy(path), &options), "create repository at \(path)")
        }
        return GitRepository(pointer: repository!)
    }

    /// Opens the repository at `path`: a working directory, any folder inside one, or a bare repository.
    public static func open(at path: String) throws -> GitRepository {
        LibGit2.ensureInitialized()
        var repository: OpaquePointer?
        let code = git_repository_open_ext(&repository, Self.tidy(path), 0, nil)
        if code == notFoundCode { throw GitError.notFound("git repository at or above \(path)") }
        try check(code, "open repository at \(path)")
        return GitRepository(pointer: repository!)
    }

    /// The repository git names in the environment (GIT_DIR, GIT_OBJECT_DIRECTORY,
    /// GIT_ALTERNATE_OBJECT_DIRECTORIES): what a hook runs in, where the objects of a push
    /// still wait in git's quarantine until the hook accepts them.
    public static func openFromEnvironment() throws -> GitRepository {
        LibGit2.ensureInitialized()
        var repository: OpaquePointer?
        try check(git_repository_open_ext(&repository, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil), "open the repository of this hook")
        return GitRepository(pointer: repository!)
    }

    /// The working directory, without a trailing slash; nil for a bare repository.
    public var workdir: String? {
        git_repository_workdir(pointer).map { Self.trimmingTrailingSlash(String(cString: $0)) }
    }

    /// The git directory (".git" of a working directory, or the bare repository), without a trailing slash.
    public var gitDir: String {
        Self.trimmingTrailingSlash(String(cString: git_repository_path(pointer)))
    }

    public var isBare: Bool { git_repository_is_bare(pointer) != 0 }

    /// libgit2 1.5 fails to create folders for a path containing "//" (as `NSTemporaryDirectory() + "/x"`
    /// gives), so empty and "." components are dropped first.
    private static func tidy(_ path: String) -> String {
        let components = path.split(separator: "/").filter { $0 != "." }
        let joined = components.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    private static func trimmingTrailingSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    // MARK: HEAD and revisions

    /// The commit HEAD points at; nil while its branch is unborn.
    public func headCommit() throws -> GitOID? {
        try referenceTarget("HEAD")
    }

    /// The branch HEAD points at ("main" for refs/heads/main), also while unborn; nil when detached.
    public func headBranch() throws -> String? {
        guard let ref = try headReference(), ref.hasPrefix("refs/heads/") else { return nil }
        return String(ref.dropFirst("refs/heads/".count))
    }

    /// The full name of the reference HEAD points at ("refs/heads/main"), nil when HEAD is detached.
    func headReference() throws -> String? {
        var head: OpaquePointer?
        try check(git_reference_lookup(&head, pointer, "HEAD"), "read HEAD")
        defer { git_reference_free(head) }
        guard git_reference_type(head) == GIT_REFERENCE_SYMBOLIC,
              let target = git_reference_symbolic_target(head) else { return nil }
        return String(cString: target)
    }

    /// The commit a reference resolves to (following symbolic references); nil when it does not exist.
    func referenceTarget(_ name: String) throws -> GitOID? {
        var oid = git_oid()
        let code = git_reference_name_to_id(&oid, pointer, name)
        if code == notFoundCode || code == GIT_EUNBORNBRANCH.rawValue { return nil }
        try check(code, "resolve reference \(name)")
        return GitOID(oid)
    }

    /// Resolves anything `git rev-parse` understands ("HEAD~2", "main", an abbreviated id, a tag) to a commit.
    public func resolveCommit(_ revspec: String) throws -> GitOID {
        var object: OpaquePointer?
        let code = git_revparse_single(&object, pointer, revspec)
        if code == notFoundCode || code == GIT_EINVALIDSPEC.rawValue || code == GIT_EAMBIGUOUS.rawValue {
            let error = GitError.last(code, "resolve \(revspec)")
            if code == GIT_EAMBIGUOUS.rawValue { throw error }
            throw GitError.notFound("revision \(revspec)")
        }
        try check(code, "resolve \(revspec)")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "peel \(revspec) to a commit")
        defer { git_object_free(commit) }
        return GitOID(git_object_id(commit))
    }

    // MARK: Reading objects

    func withCommit<T>(_ id: GitOID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var raw = id.raw
        var commit: OpaquePointer?
        let code = git_commit_lookup(&commit, pointer, &raw)
        if code == notFoundCode { throw GitError.notFound("commit \(id)") }
        try check(code, "read commit \(id)")
        defer { git_commit_free(commit) }
        return try body(commit!)
    }

    func withTree<T>(_ id: GitOID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var raw = id.raw
        var tree: OpaquePointer?
        let code = git_tree_lookup(&tree, pointer, &raw)
        if code == notFoundCode { throw GitError.notFound("tree \(id)") }
        try check(code, "read tree \(id)")
        defer { git_tree_free(tree) }
        return try body(tree!)
    }

    func treeID(ofCommit id: GitOID) throws -> GitOID {
        try withCommit(id) { GitOID(git_commit_tree_id($0)) }
    }

    public func commitInfo(_ id: GitOID) throws -> GitCommitInfo {
        try withCommit(id) { commit in
            let parents = (0..<git_commit_parentcount(commit)).map { GitOID(git_commit_parent_id(commit, $0)) }
            var message = git_commit_message(commit).map { String(cString: $0) } ?? ""
            if message.hasSuffix("\n") { message.removeLast() }
            return GitCommitInfo(
                id: id,
                parents: parents,
                tree: GitOID(git_commit_tree_id(commit)),
                author: GitSignature(git_commit_author(commit)),
                committer: GitSignature(git_commit_committer(commit)),
                message: message
            )
        }
    }

    public func readBlob(_ id: GitOID) throws -> Data {
        var raw = id.raw
        var blob: OpaquePointer?
        let code = git_blob_lookup(&blob, pointer, &raw)
        if code == notFoundCode { throw GitError.notFound("blob \(id)") }
        try check(code, "read blob \(id)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    /// The id and type of whatever sits at `path` in a tree; nil when nothing does.
    func entry(at path: String, inTree tree: OpaquePointer) throws -> (id: GitOID, type: git_object_t)? {
        var entry: OpaquePointer?
        let code = git_tree_entry_bypath(&entry, tree, path)
        if code == notFoundCode { return nil }
        try check(code, "look up \(path)")
        defer { git_tree_entry_free(entry) }
        return (GitOID(git_tree_entry_id(entry)), git_tree_entry_type(entry))
    }

    func blobID(path: String, inTree tree: GitOID) throws -> GitOID? {
        try withTree(tree) { tree in
            guard let found = try entry(at: path, inTree: tree), found.type == GIT_OBJECT_BLOB else { return nil }
            return found.id
        }
    }

    /// The blob at `path` in `commit`; nil when there is no file there (absent, or a folder).
    public func blobID(path: String, at commit: GitOID) throws -> GitOID? {
        _ = try pathComponents(path)
        return try blobID(path: path, inTree: treeID(ofCommit: commit))
    }

    /// The content of `path` in `commit`; nil when there is no file there.
    public func readFile(path: String, at commit: GitOID) throws -> Data? {
        try blobID(path: path, at: commit).map(readBlob)
    }

    /// Every file below the folder `prefix` ("" for the whole tree), recursively, sorted by path.
    /// Empty when `prefix` is not a folder of that commit.
    /// `cachingTrees: false` for a listing of a whole large tree, whose trees are each read
    /// once (`ObjectCache.withoutCaching`).
    public func listFiles(at commit: GitOID, under prefix: String, cachingTrees: Bool = true) throws -> [GitTreeEntry] {
        var links: [String] = []
        return try listFiles(at: commit, under: prefix, submoduleLinks: &links, cachingTrees: cachingTrees)
    }

    /// The same, also collecting the paths of submodule links (gitlinks), which are not files.
    public func listFiles(at commit: GitOID, under prefix: String, submoduleLinks links: inout [String], cachingTrees: Bool = true) throws -> [GitTreeEntry] {
        if !cachingTrees { return try ObjectCache.withoutCaching { try listFiles(at: commit, under: prefix, submoduleLinks: &links) } }
        var folder = prefix
        while folder.hasSuffix("/") { folder.removeLast() }
        let components = try pathComponents(folder, allowEmpty: true)
        var root = try treeID(ofCommit: commit)
        if !components.isEmpty {
            guard let found = try withTree(root, { try entry(at: folder, inTree: $0) }),
                  found.type == GIT_OBJECT_TREE else { return [] }
            root = found.id
        }
        var files: [GitTreeEntry] = []
        try withTree(root) { try collectFiles(in: $0, prefix: components.isEmpty ? "" : folder + "/", into: &files, links: &links) }
        files.sort { pathPrecedes($0.path, $1.path) }
        return files
    }

    private func collectFiles(in tree: OpaquePointer, prefix: String, into files: inout [GitTreeEntry], links: inout [String]) throws {
        for index in 0..<git_tree_entrycount(tree) {
            // Entries belong to `tree`: no free, and not valid after it.
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let path = prefix + String(cString: git_tree_entry_name(entry))
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_BLOB:
                files.append(GitTreeEntry(path: path, blob: GitOID(git_tree_entry_id(entry))))
            case GIT_OBJECT_TREE:
                try withTree(GitOID(git_tree_entry_id(entry))) { try collectFiles(in: $0, prefix: path + "/", into: &files, links: &links) }
            case GIT_OBJECT_COMMIT:
                links.append(path)   // a submodule link: not a file of this repository
            default:
                continue
            }
        }
    }

    // MARK: Diff

    /// Files that differ between two commits' trees (`old` nil: the empty tree), sorted by path.
    ///
    /// Walks both trees together and never descends into a subtree whose id is the same on both sides,
    /// so the cost follows the number of changed folders, not the size of the tree.
    public func diff(from old: GitOID?, to new: GitOID) throws -> [GitTreeChange] {
        var links: [String] = []
        return try diff(from: old, to: new, submoduleLinks: &links)
    }

    /// The same, also collecting the submodule links (gitlinks) that `new` adds or changes.
    public func diff(from old: GitOID?, to new: GitOID, submoduleLinks links: inout [String]) throws -> [GitTreeChange] {
        let oldTree = try old.map(treeID(ofCommit:))
        let newTree = try treeID(ofCommit: new)
        var changes: [GitTreeChange] = []
        try diffTrees(oldTree, newTree, prefix: "", into: &changes, links: &links)
        changes.sort { pathPrecedes($0.path, $1.path) }
        return changes
    }

    /// Files that differ between two trees.
    public func diff(fromTree old: GitOID?, toTree new: GitOID) throws -> [GitTreeChange] {
        var changes: [GitTreeChange] = []
        var links: [String] = []
        try diffTrees(old, new, prefix: "", into: &changes, links: &links)
        changes.sort { pathPrecedes($0.path, $1.path) }
        return changes
    }

    private struct NamedEntry {
        let id: GitOID
        let isTree: Bool
        let isBlob: Bool
    }

    private func entries(ofTree id: GitOID?) throws -> [String: NamedEntry] {
        guard let id else { return [:] }
        return try withTree(id) { tree in
            var entries: [String: NamedEntry] = [:]
            for index in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, index) else { continue }
                let type = git_tree_entry_type(entry)
                entries[String(cString: git_tree_entry_name(entry))] = NamedEntry(
                    id: GitOID(git_tree_entry_id(entry)), isTree: type == GIT_OBJECT_TREE, isBlob: type == GIT_OBJECT_BLOB)
            }
            return entries
        }
    }

    private func diffTrees(_ old: GitOID?, _ new: GitOID?, prefix: String, into changes: inout [GitTreeChange], links: inout [String]) throws {
        guard old != new else { return }
        let before = try entries(ofTree: old)
        let after = try entries(ofTree: new)
        for name in Set(before.keys).union(after.keys) {
            let path = prefix + name
            let a = before[name], b = after[name]
            let oldBlob = a?.isBlob == true ? a?.id : nil
            let newBlob = b?.isBlob == true ? b?.id : nil
            if oldBlob != newBlob {
                changes.append(GitTreeChange(path: path, oldBlob: oldBlob, newBlob: newBlob))
            }
            if let b, !b.isTree, !b.isBlob, a?.id != b.id { links.append(path) }
            let oldSub = a?.isTree == true ? a?.id : nil
            let newSub = b?.isTree == true ? b?.id : nil
            if oldSub != newSub {
                try diffTrees(oldSub, newSub, prefix: path + "/", into: &changes, links: &links)
            }
        }
    }

    // MARK: Config

    /// The effective value (local, then global, then system config); nil when unset.
    public func config(_ key: String) throws -> String? {
        var config: OpaquePointer?
        // get_string needs a snapshot: a live config could change under the returned pointer.
        try check(git_repository_config_snapshot(&config, pointer), "read config")
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        let code = git_config_get_string(&value, config, key)
        if code == notFoundCode { return nil }
        try check(code, "read config \(key)")
        return value.map { String(cString: $0) }
    }

    /// The user's value of `key` outside any repository (global, then system config).
    public static func userConfig(_ key: String) throws -> String? {
        LibGit2.ensureInitialized()
        var live: OpaquePointer?
        guard git_config_open_default(&live) == 0 else { return nil }
        defer { git_config_free(live) }
        var config: OpaquePointer?
        guard git_config_snapshot(&config, live) == 0 else { return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, key) == 0 else { return nil }
        return value.map { String(cString: $0) }
    }

    /// Sets `key` in the repository's own config file (.git/config), never the user's or system's.
    public func setConfig(_ key: String, _ value: String) throws {
        var config: OpaquePointer?
        try check(git_repository_config(&config, pointer), "open config")
        defer { git_config_free(config) }
        var local: OpaquePointer?
        try check(git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL), "open local config")
        defer { git_config_free(local) }
        try check(git_config_set_string(local, key, value), "set config \(key)")
    }
}
