import CLibgit2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GitRepository {
    /// Makes the working tree and index for `paths` match commit `to`, given that they currently
    /// match commit `from` (nil: the paths do not exist). A safe checkout: a path whose file differs
    /// from `from` fails the call instead of being overwritten. No-op for a bare repository.
    public func checkout(paths: [String], from: GitOID?, to: GitOID) throws {
        guard !isBare, !paths.isEmpty else { return }
        for path in paths { _ = try pathComponents(path) }
        // The baseline must be explicit: libgit2 defaults it to HEAD, which callers have usually
        // just moved to `to`, and a baseline equal to the target makes the checkout a no-op.
        let baseline = try from.map(treeID(ofCommit:)) ?? GitOID.emptyTree
        let code = try checkoutTree(treeID(ofCommit: to), baseline: baseline, paths: paths, force: false)
        if code == GIT_ECONFLICT.rawValue {
            let error = GitError.last(code, "check out \(paths.count) paths")
            let dirty = try dirtyPaths(paths, comparedTo: from)
            throw dirty.isEmpty ? error : GitError.dirtyWorkingTree(paths: dirty)
        }
        try check(code, "check out \(paths.count) paths")
    }

    /// libgit2's checkout of exactly `paths`, from `baseline` to `target` (tree ids), without
    /// filters (Folio's documents are canonical bytes). Safe, or forced over what is on disk.
    /// Returns libgit2's code, for the caller to read a conflict its own way.
    private func checkoutTree(_ target: GitOID, baseline: GitOID, paths: [String], force: Bool) throws -> Int32 {
        try withTree(baseline) { baselineTree in
            try withTree(target) { targetTree in
                var options = git_checkout_options()
                try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "checkout options")
                options.checkout_strategy = (force ? GIT_CHECKOUT_FORCE.rawValue : GIT_CHECKOUT_SAFE.rawValue) | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH.rawValue
                options.baseline = baselineTree
                options.disable_filters = 1
                return withStringArray(paths) { array in
                    options.paths = array
                    return git_checkout_tree(pointer, targetTree, &options)
                }
            }
        }
    }

    /// Finishes a checkout from `old` to `new` that a killed process left half done: every path
    /// whose working file still holds `old`'s or `new`'s content (or is missing) is written as in
    /// `new`, index included. A path holding anything else is a person's edit: it is left alone
    /// and returned.
    public func finishCheckout(paths: [String], from old: GitOID?, to new: GitOID, alsoKnown other: GitOID? = nil) throws -> [String] {
        guard let workdir, !isBare, !paths.isEmpty else { return [] }
        let oldTree = try old.map(treeID(ofCommit:))
        let newTree = try treeID(ofCommit: new)
        let otherTree = try other.map(treeID(ofCommit:))
        var ours: [String] = [], theirs: [String] = []
        for path in paths {
            _ = try pathComponents(path)
            let known = [try oldTree.flatMap { try blobID(path: path, inTree: $0) }, try blobID(path: path, inTree: newTree),
                         try otherTree.flatMap { try blobID(path: path, inTree: $0) }].compactMap { $0 }
            switch try workingFile(path, workdir: workdir) {
            case .absent: ours.append(path)
            case .file(let id) where known.contains(id): ours.append(path)
            case .file:
                // libgit2 writes a checked-out file in place: a kill half way leaves the start of
                // the old or the new content (or nothing). That is the interrupted checkout's, not
                // a person's edit.
                let bytes = FileManager.default.contents(atPath: workdir + "/" + path) ?? Data()
                let partial = try known.contains { try readBlob($0).starts(with: bytes) }
                if partial { ours.append(path) } else { theirs.append(path) }
            default: theirs.append(path)
            }
        }
        guard !ours.isEmpty else { return theirs }
        // Baseline `old`, so that a file the write deleted counts as tracked and goes.
        try check(checkoutTree(newTree, baseline: oldTree ?? GitOID.emptyTree, paths: ours, force: true), "finish the checkout of \(ours.count) paths")
        // A file the killed checkout had already written matches the target, so the checkout
        // above leaves it, and its index entry, alone: bring the index in step explicitly.
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "open index")
        defer { git_index_free(index) }
        try check(git_index_read(index, 1), "read index")
        for path in ours {
            if try blobID(path: path, inTree: newTree) != nil {
                try check(git_index_add_bypath(index, path), "stage \(path)")
            } else {
                let code = git_index_remove_bypath(index, path)
                if code != notFoundCode { try check(code, "unstage \(path)") }
            }
        }
        try check(git_index_write(index), "write index")
        return theirs
    }

    /// Checks out HEAD into the working tree and index: every file, creating missing ones
    /// (after a clone or a generated history). `force` also overwrites local modifications.
    /// No-op for a bare repository or an unborn HEAD.
    public func checkoutHead(force: Bool) throws {
        guard !isBare, try headCommit() != nil else { return }
        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "checkout options")
        // SAFE alone compares against the index, so files missing from a fresh working tree would
        // count as deliberately deleted and stay missing.
        options.checkout_strategy = force
            ? GIT_CHECKOUT_FORCE.rawValue
            : GIT_CHECKOUT_SAFE.rawValue | GIT_CHECKOUT_RECREATE_MISSING.rawValue
        // Folio's documents are canonical bytes; filters (EOL, ident) would only change them,
        // and looking up attributes for every file dominates a large checkout.
        options.disable_filters = 1
        try check(git_checkout_head(pointer, &options), "check out HEAD")
    }

    /// The paths among `paths` whose working-tree file or index entry differs from `commit`
    /// (nil: the empty tree): edited, deleted, staged, in conflict, or present when absent there.
    /// Returned in the order given. Empty for a bare repository.
    public func dirtyPaths(_ paths: [String], comparedTo commit: GitOID?) throws -> [String] {
        guard let workdir, !paths.isEmpty else { return [] }
        let tree = try commit.map(treeID(ofCommit:))
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "open index")
        defer { git_index_free(index) }
        // The repository caches its index; another process (plain git) may have rewritten it.
        try check(git_index_read(index, 0), "read index")

        var dirty: [String] = []
        for path in paths {
            _ = try pathComponents(path)
            let expected = try tree.flatMap { try blobID(path: path, inTree: $0) }
            let onDisk = try workingFile(path, workdir: workdir)
            var isDirty: Bool
            switch onDisk {
            case .absent: isDirty = expected != nil
            case let .file(id): isDirty = id != expected
            case .inTheWay: isDirty = true
            }
            if !isDirty {
                let staged = git_index_get_bypath(index, path, 0).map { GitOID($0.pointee.id) }
                isDirty = staged != expected
                    || (1...3).contains { git_index_get_bypath(index, path, $0) != nil }
            }
            if isDirty { dirty.append(path) }
        }
        return dirty
    }

    private enum WorkingFile {
        case absent
        case file(GitOID)
        /// A folder, or a file where a parent folder should be.
        case inTheWay
    }

    private func workingFile(_ path: String, workdir: String) throws -> WorkingFile {
        let full = workdir + "/" + path
        var info = stat()
        guard lstat(full, &info) == 0 else {
            if errno == ENOENT { return .absent }
            return .inTheWay
        }
        var oid = git_oid()
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // Hashes as `git add` would, through the repository's filters (eol, .gitattributes).
            try check(git_repository_hashfile(&oid, pointer, path, GIT_OBJECT_BLOB, nil), "hash \(path)")
        case S_IFLNK:
            // git stores a symbolic link as a blob of its target.
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(full, &buffer, buffer.count)
            guard length >= 0 else { return .inTheWay }
            try check(git_odb_hash(&oid, buffer, length, GIT_OBJECT_BLOB), "hash link \(path)")
        default:
            return .inTheWay
        }
        return .file(GitOID(oid))
    }
}

/// Lends libgit2 a `git_strarray` of C copies of `strings`, valid only inside `body`.
func withStringArray<T>(_ strings: [String], _ body: (git_strarray) throws -> T) rethrows -> T {
    var copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    return try copies.withUnsafeMutableBufferPointer { buffer in
        try body(git_strarray(strings: buffer.baseAddress, count: buffer.count))
    }
}

extension GitRepository {
    /// True while a merge, rebase, cherry-pick or revert that git started is unfinished.
    public var hasOperationInProgress: Bool {
        !isBare && git_repository_state(pointer) != Int32(GIT_REPOSITORY_STATE_NONE.rawValue)
    }

    /// Files under `prefixes` whose index entry or working-tree file differs from HEAD
    /// (staged, edited, deleted, in conflict, or untracked), sorted. Empty for a bare repository.
    public func uncommittedPaths(under prefixes: [String]) throws -> [String] {
        try uncommittedPaths(prefixes, literal: false)
    }

    /// The same for these files only: git looks at their folders, not at the whole tree.
    public func uncommittedPaths(exactly paths: [String]) throws -> [String] {
        paths.isEmpty ? [] : try uncommittedPaths(paths, literal: true)
    }

    private func uncommittedPaths(_ pathspec: [String], literal: Bool) throws -> [String] {
        guard !isBare else { return [] }
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "status options")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue | (literal ? GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue : 0)
        var list: OpaquePointer?
        // A status of whole folders reads every tree of HEAD once (100,000 of them at 100,000
        // invoices); kept in the object cache they would only hold memory, 50 MB there.
        let status = { try withStringArray(pathspec) { array in
            options.pathspec = array
            try check(git_status_list_new(&list, self.pointer, &options), "read status")
        } }
        if literal { try status() } else { try ObjectCache.withoutCaching(status) }
        defer { git_status_list_free(list) }
        var paths: Set<String> = []
        for i in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, i) else { continue }
            let delta = entry.pointee.index_to_workdir ?? entry.pointee.head_to_index
            guard let delta, let path = delta.pointee.new_file.path ?? delta.pointee.old_file.path else { continue }
            paths.insert(String(cString: path))
        }
        return paths.sorted()
    }
}
