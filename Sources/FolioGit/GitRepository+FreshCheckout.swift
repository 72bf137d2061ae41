import CLibgit2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GitRepository {
    /// `checkoutHead`'s fast path for a working tree that holds nothing of HEAD yet (a generated
    /// repository, a clone made without checkout): empty index, and none of the root tree's
    /// names present on disk. Then there is nothing to compare and nothing to overwrite, so every
    /// file is written straight from its blob, on every core, and the index is built from the
    /// stat data of the files just written. libgit2's checkout would diff the tree against the
    /// index and the working tree, then create the files one by one on a single thread.
    ///
    /// Does nothing and returns false when the situation is anything else, or when the tree holds
    /// what this path leaves to libgit2: symbolic links, submodules, names outside a plain
    /// character set (which libgit2 checks against its .git / NTFS / HFS protections).
    func checkoutIntoEmptyWorkingTree(commit: GitOID) throws -> Bool {
        // Inside bulkWrite the objects are still in memory, out of reach of the workers' odbs.
        guard bulkDepth == 0, let workdir else { return false }
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "open index")
        defer { git_index_free(index) }
        try check(git_index_read(index, 1), "read index")
        guard git_index_entrycount(index) == 0 else { return false }

        guard let plan = try plannedFiles(tree: treeID(ofCommit: commit)) else { return false }
        for name in plan.rootNames {
            var info = stat()
            guard lstat(workdir + "/" + name, &info) != 0, errno == ENOENT else { return false }
        }

        let stats = try writeFiles(plan, into: workdir)

        // The tree walk gave the files in index order (git sorts both by bytes, a folder's name
        // as if it ended in "/"), so every add appends.
        for (file, info) in zip(plan.files, stats) {
            var entry = git_index_entry()
            entry.ctime = git_index_time(seconds: Int32(truncatingIfNeeded: info.ctime.seconds), nanoseconds: info.ctime.nanoseconds)
            entry.mtime = git_index_time(seconds: Int32(truncatingIfNeeded: info.mtime.seconds), nanoseconds: info.mtime.nanoseconds)
            entry.dev = info.device
            entry.ino = info.inode
            entry.mode = file.executable ? GIT_FILEMODE_BLOB_EXECUTABLE.rawValue : GIT_FILEMODE_BLOB.rawValue
            entry.uid = info.uid
            entry.gid = info.gid
            entry.file_size = info.size
            entry.id = file.blob
            entry.flags = UInt16(min(file.path.utf8.count, 0xFFF))
            // Just written and stat'ed: no need to compare the contents again when the index is written.
            entry.flags_extended = UInt16(GIT_INDEX_ENTRY_UPTODATE.rawValue)
            try file.path.withCString { path in
                entry.path = path
                try check(git_index_add(index, &entry), "add \(file.path) to the index")
            }
        }
        try check(git_index_write(index), "write index")
        return true
    }

    struct PlannedFile {
        let path: String
        let blob: git_oid
        let executable: Bool
    }

    struct CheckoutPlan {
        /// Runs of files that sit directly in one folder, in index order: the folder's path ("" for
        /// the root) and the range of `files`. A folder holding only folders has no run; its
        /// subfolders' runs create it.
        var folders: [(path: String, files: Range<Int>)] = []
        /// Every file, in index order.
        var files: [PlannedFile] = []
        var rootNames: [String] = []
    }

    /// Walks the tree; nil when it holds anything the fast path does not handle.
    private func plannedFiles(tree root: GitOID) throws -> CheckoutPlan? {
        var plan = CheckoutPlan()
        func walk(_ id: GitOID, prefix: String) throws -> Bool {
            try withTree(id) { tree in
                // Descending into a subfolder where it stands keeps the files in index order ("a/x" < "a0").
                var startsRun = true
                for position in 0..<git_tree_entrycount(tree) {
                    guard let entry = git_tree_entry_byindex(tree, position) else { return false }
                    let name = String(cString: git_tree_entry_name(entry))
                    guard Self.isPlainName(name) else { return false }
                    if prefix.isEmpty { plan.rootNames.append(name) }
                    let path = prefix.isEmpty ? name : prefix + "/" + name
                    let mode = git_tree_entry_filemode(entry)
                    switch mode {
                    case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                        if startsRun {
                            plan.folders.append((prefix, plan.files.count..<plan.files.count))
                            startsRun = false
                        }
                        plan.files.append(PlannedFile(path: path, blob: git_tree_entry_id(entry).pointee,
                                                      executable: mode == GIT_FILEMODE_BLOB_EXECUTABLE))
                        let last = plan.folders.count - 1
                        plan.folders[last].files = plan.folders[last].files.lowerBound..<plan.files.count
                    case GIT_FILEMODE_TREE:
                        guard try walk(GitOID(git_tree_entry_id(entry)), prefix: path) else { return false }
                        startsRun = true
                    default:
                        return false // symbolic link or submodule
                    }
                }
                return true
            }
        }
        guard try walk(root, prefix: "") else { return nil }
        return plan
    }

    /// Letters, digits and `-_.+=@,`; not ".", "..", anything starting with ".git" but
    /// ".gitattributes" and ".gitignore", nor a name ending in "." (which Windows would drop).
    static func isPlainName(_ name: String) -> Bool {
        guard !name.isEmpty, name != ".", name != "..", !name.hasSuffix(".") else { return false }
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "="),
                 UInt8(ascii: "@"), UInt8(ascii: ","):
                continue
            default:
                return false
            }
        }
        let lowered = name.lowercased()
        if lowered.hasPrefix(".git") { return name == ".gitattributes" || name == ".gitignore" }
        return true
    }

    struct WrittenFile {
        var ctime = (seconds: 0, nanoseconds: UInt32(0))
        var mtime = (seconds: 0, nanoseconds: UInt32(0))
        var device: UInt32 = 0, inode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0, size: UInt32 = 0
    }

    /// Creates the folders and files of `plan` under `workdir` on every core; each worker reads
    /// blobs through an object database of its own. Returns each file's stat data, in plan order.
    private func writeFiles(_ plan: CheckoutPlan, into workdir: String) throws -> [WrittenFile] {
        let objects = try repositoryItemPath(GIT_REPOSITORY_ITEM_OBJECTS)
        var results = [WrittenFile](repeating: WrittenFile(), count: plan.files.count)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunkCount = max(1, min(plan.folders.count / 16, cores * 8))
        let workers = min(cores, chunkCount)
        var failures = [(any Error)?](repeating: nil, count: workers)
        results.withUnsafeMutableBufferPointer { buffer in
            failures.withUnsafeMutableBufferPointer { failed in
                nonisolated(unsafe) let out = buffer
                nonisolated(unsafe) let errors = failed
                // Each worker takes every `workers`-th chunk of folders: neighbours in the tree share
                // parents, and a folder whose parent another worker has not made yet is made here too.
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    do {
                        let reader = try BlobReader(objects: objects)
                        for chunk in stride(from: worker, to: chunkCount, by: workers) {
                            let lower = plan.folders.count * chunk / chunkCount
                            let upper = plan.folders.count * (chunk + 1) / chunkCount
                            for folder in plan.folders[lower..<upper] {
                                if !folder.path.isEmpty { try Self.makeFolder(workdir + "/" + folder.path) }
                                for position in folder.files {
                                    out[position] = try Self.writeFile(plan.files[position], workdir: workdir, reader: reader)
                                }
                            }
                        }
                    } catch {
                        errors[worker] = error
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        return results
    }

    /// mkdir -p, tolerating another worker making the same folder at the same time.
    private static func makeFolder(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        guard errno == ENOENT, let slash = path.lastIndex(of: "/") else { throw osError("create folder \(path)") }
        try makeFolder(String(path[..<slash]))
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw osError("create folder \(path)") }
    }

    private static func writeFile(_ file: PlannedFile, workdir: String, reader: BlobReader) throws -> WrittenFile {
        let full = workdir + "/" + file.path
        // Exclusive: whatever appeared in the meantime is not overwritten. Modes as libgit2 gives them.
        let fd = createExclusively(full, mode: file.executable ? 0o755 : 0o644)
        guard fd >= 0 else { throw osError("create \(full)") }
        defer { close(fd) }
        try reader.withBlob(file.blob, path: file.path) { data, size in
            var done = 0
            while done < size {
                let written = systemWrite(fd, data! + done, size - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw osError("write \(full)")
                }
                done += written
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw osError("stat \(full)") }
        var result = WrittenFile()
        #if canImport(Darwin)
        result.ctime = (Int(info.st_ctimespec.tv_sec), UInt32(info.st_ctimespec.tv_nsec))
        result.mtime = (Int(info.st_mtimespec.tv_sec), UInt32(info.st_mtimespec.tv_nsec))
        #else
        result.ctime = (Int(info.st_ctim.tv_sec), UInt32(info.st_ctim.tv_nsec))
        result.mtime = (Int(info.st_mtim.tv_sec), UInt32(info.st_mtim.tv_nsec))
        #endif
        result.device = UInt32(truncatingIfNeeded: info.st_dev)
        result.inode = UInt32(truncatingIfNeeded: info.st_ino)
        result.uid = UInt32(truncatingIfNeeded: info.st_uid)
        result.gid = UInt32(truncatingIfNeeded: info.st_gid)
        result.size = UInt32(truncatingIfNeeded: info.st_size)
        return result
    }
}

/// open(2) for a new file, out of reach of `GitRepository.open`.
private func createExclusively(_ path: String, mode: mode_t) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
}

/// Reads blobs for one checkout worker through an object database of its own, asking its
/// backends directly. That skips what `git_odb_read` adds for a one-time read of every blob: the
/// object cache, and re-hashing the content to check its id (libgit2's strict verification; git's
/// own checkout does not re-hash either, and zlib's checksum still catches a damaged pack).
final class BlobReader {
    private var odb: OpaquePointer?
    private var backends: [UnsafeMutablePointer<git_odb_backend>] = []

    init(objects: String) throws {
        try check(git_odb_open(&odb, objects), "open object database")
        for position in 0..<git_odb_num_backends(odb) {
            var backend: UnsafeMutablePointer<git_odb_backend>?
            if git_odb_get_backend(&backend, odb, position) == 0, let backend, backend.pointee.read != nil {
                backends.append(backend)
            }
        }
    }

    deinit { git_odb_free(odb) }

    func withBlob(_ id: git_oid, path: String, _ body: (UnsafeRawPointer?, Int) throws -> Void) throws {
        var id = id
        for backend in backends {
            var data: UnsafeMutableRawPointer?
            var length = 0
            var type = GIT_OBJECT_INVALID
            let code = backend.pointee.read!(&data, &length, &type, backend, &id)
            if code == notFoundCode { continue }
            try check(code, "read blob \(GitOID(id)) for \(path)")
            defer { git_odb_backend_data_free(backend, data) }
            guard type == GIT_OBJECT_BLOB else { throw GitError.notFound("blob \(GitOID(id)) for \(path)") }
            return try body(data, length)
        }
        // Not where the backends looked first: let libgit2 refresh, search and report.
        var object: OpaquePointer?
        try check(git_odb_read(&object, odb, &id), "read blob \(GitOID(id)) for \(path)")
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_BLOB else { throw GitError.notFound("blob \(GitOID(id)) for \(path)") }
        try body(git_odb_object_data(object), git_odb_object_size(object))
    }
}
