import CLibgit2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only object-database backend that answers from another odb (the repository's own),
/// used under the mempack during `bulkWrite`.
///
/// Why not simply attach the objects folder as a disk alternate: before every write, libgit2 asks
/// each backend whether the object exists, and on a miss (every new object) refreshes all backends,
/// which for the pack backend means re-reading the pack folder. That is ~8 system calls per object,
/// most of the cost of writing 100,000 objects. This backend has no `refresh` and no `freshen`, and
/// checks existence without a refresh, so a new object costs one `stat` of its loose path.
enum ForwardingBackend {
    /// Where the target odb pointer sits, after the `git_odb_backend` libgit2 sees.
    private static let targetOffset = (MemoryLayout<git_odb_backend>.size + MemoryLayout<OpaquePointer>.alignment - 1)
        / MemoryLayout<OpaquePointer>.alignment * MemoryLayout<OpaquePointer>.alignment

    private static func target(_ backend: UnsafeMutablePointer<git_odb_backend>?) -> OpaquePointer {
        UnsafeRawPointer(backend!).load(fromByteOffset: targetOffset, as: OpaquePointer.self)
    }

    /// A new backend that holds its own reference to `odb`; the odb it is added to frees it.
    static func make(forwardingTo odb: OpaquePointer, repository: OpaquePointer) throws -> UnsafeMutablePointer<git_odb_backend> {
        // Our own reference, so the target outlives the backend whatever order things are freed in.
        var reference: OpaquePointer?
        try check(git_repository_odb(&reference, repository), "open object database")
        precondition(reference == odb, "the forwarding target must be the repository's current odb")

        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: targetOffset + MemoryLayout<OpaquePointer>.size,
            alignment: max(MemoryLayout<git_odb_backend>.alignment, MemoryLayout<OpaquePointer>.alignment))
        let backend = raw.bindMemory(to: git_odb_backend.self, capacity: 1)
        backend.initialize(to: git_odb_backend())
        _ = git_odb_init_backend(backend, UInt32(GIT_ODB_BACKEND_VERSION))
        raw.storeBytes(of: reference!, toByteOffset: targetOffset, as: OpaquePointer.self)

        backend.pointee.read = { data, length, type, backend, id in
            var object: OpaquePointer?
            let code = git_odb_read(&object, ForwardingBackend.target(backend), id)
            guard code == 0 else { return code }
            defer { git_odb_object_free(object) }
            return ForwardingBackend.copy(object!, to: backend!, data: data, length: length, type: type)
        }
        backend.pointee.read_prefix = { fullID, data, length, type, backend, shortID, shortLength in
            var object: OpaquePointer?
            let code = git_odb_read_prefix(&object, ForwardingBackend.target(backend), shortID, shortLength)
            guard code == 0 else { return code }
            defer { git_odb_object_free(object) }
            fullID?.pointee = git_odb_object_id(object).pointee
            return ForwardingBackend.copy(object!, to: backend!, data: data, length: length, type: type)
        }
        backend.pointee.read_header = { length, type, backend, id in
            git_odb_read_header(length, type, ForwardingBackend.target(backend), id)
        }
        backend.pointee.exists = { backend, id in
            git_odb_exists_ext(ForwardingBackend.target(backend), id, GIT_ODB_LOOKUP_NO_REFRESH.rawValue)
        }
        backend.pointee.exists_prefix = { fullID, backend, shortID, shortLength in
            git_odb_exists_prefix(fullID, ForwardingBackend.target(backend), shortID, shortLength)
        }
        backend.pointee.free = { backend in
            git_odb_free(ForwardingBackend.target(backend))
            backend?.deinitialize(count: 1)
            UnsafeMutableRawPointer(backend)?.deallocate()
        }
        return backend
    }

    /// Hands libgit2 a copy of the object's bytes in a buffer it will free itself.
    private static func copy(_ object: OpaquePointer, to backend: UnsafeMutablePointer<git_odb_backend>,
                             data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, length: UnsafeMutablePointer<Int>?,
                             type: UnsafeMutablePointer<git_object_t>?) -> Int32 {
        let size = git_odb_object_size(object)
        guard let buffer = git_odb_backend_data_alloc(backend, max(size, 1)) else { return -1 }
        if size > 0 { memcpy(buffer, git_odb_object_data(object), size) }
        data?.pointee = buffer
        length?.pointee = size
        type?.pointee = git_odb_object_type(object)
        return 0
    }
}
