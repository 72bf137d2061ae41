import CLibgit2
public import Foundation

extension GitRepository {
    public func writeBlob(_ data: Data) throws -> GitOID {
        var oid = git_oid()
        try data.withUnsafeBytes { bytes in
            try check(git_blob_create_from_buffer(&oid, pointer, bytes.baseAddress, bytes.count), "write blob")
        }
        noteWritten(oid)
        return GitOID(oid)
    }

    /// Builds a new root tree: `base` (a tree id; nil for the empty tree) with `changes` applied.
    ///
    /// A key is a "/"-separated path; its value the new file content, or `nil` to delete whatever is
    /// at that path (a file, or a whole folder). Remember that `changes[path] = nil` removes the key
    /// from a dictionary: write `changes[path] = .some(nil)` or use a literal to record a deletion.
    /// Folders are created as needed and dropped when they become empty; an executable file keeps its mode.
    ///
    /// Only the folders on the changed paths are read and rewritten, bottom-up, each through a
    /// treebuilder seeded with the existing subtree, so the cost follows the number of changed
    /// paths, not the size of the tree.
    public func writeTree(base: GitOID?, changes: [String: Data?]) throws -> GitOID {
        try writeTree(base: base, changes: changes, blobs: [:])
    }

    /// The same, where `blobs` sets paths to objects already in the repository (a merge that
    /// takes one side's version as it is need not read and hash it again).
    public func writeTree(base: GitOID?, changes: [String: Data?], blobs: [String: GitOID]) throws -> GitOID {
        let root = ChangeNode()
        let edits = changes.mapValues { $0.map(FileEdit.data) }.merging(blobs.mapValues { .some(FileEdit.blob($0)) }) { _, blob in blob }
        for (path, content) in edits {
            let components = try pathComponents(path)
            var node = root
            for component in components.dropLast() {
                let name = String(component)
                if let child = node.folders[name] {
                    node = child
                } else {
                    let child = ChangeNode()
                    node.folders[name] = child
                    node = child
                }
            }
            node.files[String(components.last!)] = content
        }
        return try write(root, over: base, isRoot: true)!
    }

    /// The edits to one folder: files set or deleted here, and edits to subfolders.
    private enum FileEdit {
        case data(Data)
        case blob(GitOID)
    }

    private final class ChangeNode {
        var files: [String: FileEdit?] = [:]
        var folders: [String: ChangeNode] = [:]
    }

    /// Returns the new tree id, or nil when a non-root folder ends up empty.
    private func write(_ node: ChangeNode, over base: GitOID?, isRoot: Bool) throws -> GitOID? {
        var baseTree: OpaquePointer?
        if let base {
            var raw = base.raw
            let code = git_tree_lookup(&baseTree, pointer, &raw)
            if code == notFoundCode { throw GitError.notFound("tree \(base)") }
            try check(code, "read tree \(base)")
        }
        defer { git_tree_free(baseTree) }
        var builder: OpaquePointer?
        try check(git_treebuilder_new(&builder, pointer, baseTree), "start tree")
        defer { git_treebuilder_free(builder) }

        for (name, content) in node.files {
            if let content {
                if node.folders[name] != nil {
                    throw GitError.invalidArgument("\"\(name)\" is written both as a file and as a folder")
                }
                var blob: git_oid
                switch content {
                case .data(let data): blob = try writeBlob(data).raw
                case .blob(let id): blob = id.raw
                }
                var mode = GIT_FILEMODE_BLOB
                if let existing = git_treebuilder_get(builder, name),
                   git_tree_entry_filemode(existing) == GIT_FILEMODE_BLOB_EXECUTABLE {
                    mode = GIT_FILEMODE_BLOB_EXECUTABLE
                }
                try check(git_treebuilder_insert(nil, builder, name, &blob, mode), "add \(name) to tree")
            } else if node.folders[name] == nil, git_treebuilder_get(builder, name) != nil {
                try check(git_treebuilder_remove(builder, name), "remove \(name) from tree")
            }
        }

        for (name, child) in node.folders {
            let existing = git_treebuilder_get(builder, name)
            let existingIsTree = existing.map { git_tree_entry_type($0) == GIT_OBJECT_TREE } ?? false
            // A deletion of the folder itself in the same batch means: start it afresh.
            let deletedFirst = node.files.index(forKey: name) != nil
            let childBase = existingIsTree && !deletedFirst ? GitOID(git_tree_entry_id(existing)) : nil
            if let subtree = try write(child, over: childBase, isRoot: false) {
                var raw = subtree.raw
                try check(git_treebuilder_insert(nil, builder, name, &raw, GIT_FILEMODE_TREE), "add folder \(name) to tree")
            } else if existingIsTree || deletedFirst && existing != nil {
                // Only a folder emptied by these edits goes; a file the edits never reached stays.
                try check(git_treebuilder_remove(builder, name), "remove folder \(name) from tree")
            }
        }

        if !isRoot && git_treebuilder_entrycount(builder) == 0 { return nil }
        var tree = git_oid()
        try check(git_treebuilder_write(&tree, builder), "write tree")
        noteWritten(tree)
        return GitOID(tree)
    }

    /// Writes a commit object. Moves no reference. The message gets git's customary final newline.
    /// With `signer`, the commit carries its signature in the `gpgsig` header, as `git commit -S`
    /// writes it: libgit2 builds the commit's bytes, the signer signs exactly those bytes, and
    /// libgit2 writes the commit with the signature inserted (libgit2 signs nothing itself).
    public func createCommit(tree: GitOID, parents: [GitOID], message: String, author: GitSignature, committer: GitSignature,
                             signer: CommitSigner? = nil) throws -> GitOID {
        try withTree(tree) { treeObject in
            var parentObjects: [OpaquePointer?] = []
            defer { for parent in parentObjects { git_commit_free(parent) } }
            for parent in parents {
                var raw = parent.raw
                var commit: OpaquePointer?
                let code = git_commit_lookup(&commit, pointer, &raw)
                if code == notFoundCode { throw GitError.notFound("commit \(parent)") }
                try check(code, "read parent commit \(parent)")
                parentObjects.append(commit)
            }
            let text = message.hasSuffix("\n") ? message : message + "\n"
            var oid = git_oid()
            if let signer {
                var buffer = git_buf()
                defer { git_buf_dispose(&buffer) }
                try author.withRaw { author in
                    try committer.withRaw { committer in
                        try parentObjects.withUnsafeMutableBufferPointer { parents in
                            try check(git_commit_create_buffer(&buffer, pointer, author, committer, nil, text, treeObject,
                                                               parents.count, parents.baseAddress), "build commit")
                        }
                    }
                }
                let content = Data(bytes: buffer.ptr, count: buffer.size)
                let signature = try signer(content)
                try check(git_commit_create_with_signature(&oid, pointer, String(decoding: content, as: UTF8.self), signature, "gpgsig"), "write signed commit")
                noteWritten(oid)
                return GitOID(oid)
            }
            try author.withRaw { author in
                try committer.withRaw { committer in
                    try parentObjects.withUnsafeMutableBufferPointer { parents in
                        try check(git_commit_create(&oid, pointer, nil, author, committer, nil, text, treeObject,
                                                    parents.count, parents.baseAddress), "write commit")
                    }
                }
            }
            noteWritten(oid)
            return GitOID(oid)
        }
    }

    /// Compare-and-swap on a reference: points `ref` at `to` only if it currently points at
    /// `expected` (nil: only if it does not exist yet), else throws `.refMoved`. The update is logged
    /// in the reflog (and in HEAD's when HEAD points at `ref`).
    public func updateRef(_ ref: String, to: GitOID, expected: GitOID?, logMessage: String) throws {
        var target = to.raw
        var reference: OpaquePointer?
        let code: Int32
        if let expected {
            var current = expected.raw
            code = git_reference_create_matching(&reference, pointer, ref, &target, 1, &current, logMessage)
        } else {
            code = git_reference_create(&reference, pointer, ref, &target, 0, logMessage)
        }
        if code == okCode {
            git_reference_free(reference)
            return
        }
        let error = GitError.last(code, "update \(ref)")
        // EMODIFIED: it points elsewhere; EEXISTS: it exists but must not; ENOTFOUND: it vanished.
        if code == GIT_EMODIFIED.rawValue || code == GIT_EEXISTS.rawValue || (expected != nil && code == notFoundCode) {
            throw GitError.refMoved(expected: expected, actual: try referenceTarget(ref))
        }
        throw error
    }

    /// A commit written to the object database, not yet on any branch.
    public struct PreparedCommit: Sendable {
        public let commit: GitOID
        public let parent: GitOID?
        /// The reference HEAD points at ("refs/heads/main"), which `moveBranch` moves.
        public let branch: String
        /// The changed file paths, for the checkout that follows.
        public let paths: [String]
        let author: GitSignature
        let summary: String
    }

    /// The write behind every Folio change, in three steps that a caller can journal between:
    /// `prepareCommit` (checks, then the blobs, trees and commit object: a commit of
    /// `parent`'s tree with `changes` applied, authored and committed by `author`),
    /// `moveBranch` (compare-and-swap of HEAD's branch from `parent`) and `checkout(paths:from:to:)`
    /// for exactly the changed paths.
    ///
    /// Refuses before writing anything with `.refMoved` when the branch is not at `parent`, and with
    /// `.dirtyWorkingTree` when a changed path has local edits (working tree or index differ from
    /// `parent`, or an untracked file is in the way). Keys are file paths (see `writeTree`).
    public func prepareCommit(_ changes: [String: Data?], message: String, author: GitSignature, parent: GitOID?,
                              signer: CommitSigner? = nil) throws -> PreparedCommit {
        let paths = changes.keys.sorted(by: pathPrecedes)
        for path in paths { _ = try pathComponents(path) }
        let branch = try headReference() ?? "HEAD"
        let current = try referenceTarget(branch)
        guard current == parent else { throw GitError.refMoved(expected: parent, actual: current) }
        if !isBare {
            let dirty = try dirtyPaths(paths, comparedTo: parent)
            guard dirty.isEmpty else { throw GitError.dirtyWorkingTree(paths: dirty) }
        }
        let baseTree = try parent.map(treeID(ofCommit:))
        let tree = try writeTree(base: baseTree, changes: changes)
        let commit = try createCommit(tree: tree, parents: parent.map { [$0] } ?? [], message: message,
                                      author: author, committer: author, signer: signer)
        let summary = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return PreparedCommit(commit: commit, parent: parent, branch: branch, paths: paths, author: author, summary: summary)
    }

    /// Moves the branch to the prepared commit if it is still at its parent (`.refMoved` if not).
    public func moveBranch(_ prepared: PreparedCommit) throws {
        // The reflog entry names the acting identity rather than whatever user.name the machine has.
        try check(git_repository_set_ident(pointer, prepared.author.name, prepared.author.email), "set reflog identity")
        defer { git_repository_set_ident(pointer, nil, nil) }
        try updateRef(prepared.branch, to: prepared.commit, expected: prepared.parent,
                      logMessage: prepared.parent == nil ? "commit (initial): \(prepared.summary)" : "commit: \(prepared.summary)")
    }

    /// All three steps at once (tests, and writers with nothing to journal).
    public func commitChanges(_ changes: [String: Data?], message: String, author: GitSignature, parent: GitOID?,
                              signer: CommitSigner? = nil) throws -> GitOID {
        let prepared = try prepareCommit(changes, message: message, author: author, parent: parent, signer: signer)
        try moveBranch(prepared)
        if !isBare { try checkout(paths: prepared.paths, from: parent, to: prepared.commit) }
        return prepared.commit
    }
}

/// Signs a commit's bytes and returns the signature for its `gpgsig` header (an armored
/// SSHSIG for Folio).
public typealias CommitSigner = @Sendable (Data) throws -> String

extension GitRepository {
    /// A commit's signature and the bytes it signs (the commit without its `gpgsig` header);
    /// nil for an unsigned commit.
    public func commitSignature(_ id: GitOID) throws -> (signature: String, signedData: Data)? {
        var signature = git_buf(), signed = git_buf()
        defer { git_buf_dispose(&signature); git_buf_dispose(&signed) }
        var raw = id.raw
        let code = git_commit_extract_signature(&signature, &signed, pointer, &raw, nil)
        if code == notFoundCode { return nil }
        try check(code, "read the signature of commit \(id)")
        return (String(decoding: Data(bytes: signature.ptr, count: signature.size), as: UTF8.self), Data(bytes: signed.ptr, count: signed.size))
    }
}
