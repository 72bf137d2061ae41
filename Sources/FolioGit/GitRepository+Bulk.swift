import CLibgit2
import Foundation

extension GitRepository {
    /// Runs `body` with every object write (writeBlob, writeTree, createCommit, commitChanges) kept
    /// in memory, then stores them all as one packfile, built by libgit2's pack builder on every
    /// core, instead of one loose file each.
    ///
    /// For importing or generating many documents (`folio generate`): 100,000 loose objects cost
    /// 100,000 files and a directory scan on every later lookup. Memory holds everything written
    /// until `body` returns, so split very large imports into several calls (each adds one pack
    /// holding only the objects it wrote). Objects are packed even when `body` throws, because
    /// references it moved may already point at them. Nested calls join the outer one.
    public func bulkWrite<T>(_ body: () throws -> T) throws -> T {
        if bulkDepth > 0 {
            bulkDepth += 1
            defer { bulkDepth -= 1 }
            return try body()
        }

        var original: OpaquePointer?
        try check(git_repository_odb(&original, pointer), "open object database")
        defer { git_odb_free(original) }

        // libgit2 cannot remove a backend from an odb, so the mempack goes into an odb of its own
        // that also reads the repository's objects folder, swapped in only for the duration.
        var staging: OpaquePointer?
        try check(git_odb_new(&staging), "create staging object database")
        defer { git_odb_free(staging) }
        let objects = try repositoryItemPath(GIT_REPOSITORY_ITEM_OBJECTS)
        try check(git_odb_add_disk_alternate(staging, objects), "read the repository's objects")
        var mempack: UnsafeMutablePointer<git_odb_backend>?
        try check(git_mempack_new(&mempack), "create in-memory object store")
        let added = git_odb_add_backend(staging, mempack, 1000)
        if added < 0 {
            let error = GitError.last(added, "attach in-memory object store")
            mempack?.pointee.free?(mempack)
            throw error
        }
        try check(git_repository_set_odb(pointer, staging), "use staging object database")

        bulkDepth = 1
        bulkObjects = []
        let outcome = Result { try body() }
        bulkDepth = 0

        // The pack builder reads the objects out of the mempack, so it runs before the swap back.
        let packed = Result { try pack(bulkObjects, from: mempack!, into: objects + "pack") }
        bulkObjects = []
        // Restore even when packing failed: the staging odb must not outlive this call.
        git_repository_set_odb(pointer, original)
        _ = git_mempack_reset(mempack)
        try packed.get()
        try check(git_odb_refresh(original), "refresh object database")
        return try outcome.get()
    }

    func noteWritten(_ oid: git_oid) {
        if bulkDepth > 0 { bulkObjects.append(oid) }
    }

    /// Packs exactly the objects written during the bulk.
    ///
    /// Not `git_mempack_dump`: in libgit2 1.5 it packs the mempack's commits with their whole
    /// trees, so a blob no commit reaches is lost and a commit on top of a large existing tree
    /// packs that entire tree again.
    private func pack(_ written: [git_oid], from mempack: UnsafeMutablePointer<git_odb_backend>, into folder: String) throws {
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, pointer), "start a pack")
        defer { git_packbuilder_free(builder) }
        _ = git_packbuilder_set_threads(builder, 0)   // 0: one per core
        var seen = Set<ObjectKey>()
        seen.reserveCapacity(written.count)
        for var oid in written where seen.insert(ObjectKey(oid)).inserted {
            // Written before the bulk began: already on disk, never copied into the mempack.
            guard mempack.pointee.exists?(mempack, &oid) != 0 else { continue }
            try check(git_packbuilder_insert(builder, &oid, nil), "add an object to the pack")
        }
        guard git_packbuilder_object_count(builder) > 0 else { return }
        try check(git_packbuilder_write(builder, folder, 0, nil, nil), "write the pack")
    }

    func repositoryItemPath(_ item: git_repository_item_t) throws -> String {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(git_repository_item_path(&buffer, pointer, item), "locate repository item")
        return String(cString: buffer.ptr)
    }
}

/// A git_oid as a set member.
struct ObjectKey: Hashable {
    let high: UInt64, middle: UInt64, low: UInt32

    init(_ oid: git_oid) {
        (high, middle, low) = withUnsafeBytes(of: oid.id) { bytes in
            (bytes.loadUnaligned(as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        }
    }
}
