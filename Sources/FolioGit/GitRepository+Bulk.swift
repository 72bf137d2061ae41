import CLibgit2

extension GitRepository {
    /// Runs `body` with every object write (writeBlob, writeTree, createCommit, commitChanges) kept
    /// in memory, then stores them all as one packfile instead of one loose file each.
    ///
    /// For importing or generating many documents: 100,000 loose objects cost 100,000 files and a
    /// directory scan on every later lookup. Memory holds everything written until `body` returns,
    /// so split very large imports into several calls (each adds one pack holding only the objects
    /// it wrote). Objects are flushed even when `body` throws, because references it moved may
    /// already point at them. Nested calls join the outer one.
    public func bulkWrite<T>(_ body: () throws -> T) throws -> T {
        if bulkDepth > 0 {
            bulkDepth += 1
            defer { bulkDepth -= 1 }
            return try body()
        }

        var original: OpaquePointer?
        try check(git_repository_odb(&original, pointer), "open object database")
        defer { git_odb_free(original) }

        // libgit2 cannot remove a backend from an odb, so the mempack goes into a separate odb that
        // reads through to the repository's objects and is swapped in only for the duration.
        var staging: OpaquePointer?
        try check(git_odb_new(&staging), "create staging object database")
        defer { git_odb_free(staging) }
        let forwarding = try ForwardingBackend.make(forwardingTo: original!, repository: pointer)
        let attached = git_odb_add_alternate(staging, forwarding, 1)
        if attached < 0 {
            let error = GitError.last(attached, "attach the repository's objects")
            forwarding.pointee.free?(forwarding)
            throw error
        }
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

        // Packing reads the objects through the repository, so it must happen before the swap back.
        let flushed = Result { try flush(mempack!, into: original!) }
        bulkObjects = []
        // Restore even when flushing failed: the staging odb must not outlive this call.
        git_repository_set_odb(pointer, original)
        _ = git_mempack_reset(mempack)
        try flushed.get()
        try check(git_odb_refresh(original), "refresh object database")
        return try outcome.get()
    }

    func noteWritten(_ oid: git_oid) {
        if bulkDepth > 0 { bulkObjects.append(oid) }
    }

    /// Packs the objects written during the bulk into the repository's pack folder.
    ///
    /// Not `git_mempack_dump`: in libgit2 1.5 it packs only the mempack's commits plus their whole
    /// trees, so loose blobs and trees are lost and every commit on top of a large existing tree
    /// re-packs that entire tree. Feeding the packbuilder the ids written here packs exactly the new objects.
    private func flush(_ mempack: UnsafeMutablePointer<git_odb_backend>, into odb: OpaquePointer) throws {
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, pointer), "start pack")
        defer { git_packbuilder_free(builder) }
        // 0 = one delta-search thread per CPU.
        _ = git_packbuilder_set_threads(builder, 0)
        for var oid in bulkObjects {
            // An object that already existed on disk was never copied into memory: not ours to pack.
            // (Asking the mempack is a hash lookup; asking the disk odb rescans the pack folder on every miss.)
            guard mempack.pointee.exists?(mempack, &oid) != 0 else { continue }
            try check(git_packbuilder_insert(builder, &oid, nil), "add object to pack")
        }
        guard git_packbuilder_object_count(builder) > 0 else { return }

        var pack = git_buf()
        defer { git_buf_dispose(&pack) }
        try check(git_packbuilder_write_buf(&pack, builder), "build pack")
        var writer: UnsafeMutablePointer<git_odb_writepack>?
        try check(git_odb_write_pack(&writer, odb, nil, nil), "open pack writer")
        defer { writer?.pointee.free?(writer) }
        guard let append = writer?.pointee.append, let commit = writer?.pointee.commit else {
            throw GitError.invalidArgument("the object database cannot store packs")
        }
        var progress = git_indexer_progress()
        try check(append(writer, pack.ptr, pack.size, &progress), "write pack")
        try check(commit(writer, &progress), "index pack")
    }

    func repositoryItemPath(_ item: git_repository_item_t) throws -> String {
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        try check(git_repository_item_path(&buffer, pointer, item), "locate repository item")
        return String(cString: buffer.ptr)
    }
}
