import CLibgit2

/// SHA-1 of plain bytes, for the checksums inside pack, pack-index and index files that FolioGit
/// writes itself. libgit2 hashes objects, but its raw-bytes hash is not public API; Debian's
/// libgit2-dev depends on mbed TLS, whose SHA-1 this wraps. Not for security: git uses SHA-1
/// here only to detect corruption.
struct SHA1 {
    // mbedtls_sha1_context holds only counters and state words: copying it by value is safe.
    private var context = mbedtls_sha1_context()

    init() {
        mbedtls_sha1_init(&context)
        // Cannot fail for the software implementation; the status is kept for the API's sake.
        _ = mbedtls_sha1_starts_ret(&context)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = mbedtls_sha1_update_ret(&context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 20-byte digest; the hasher is spent afterwards.
    mutating func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        _ = mbedtls_sha1_finish_ret(&context, &digest)
        mbedtls_sha1_free(&context)
        return digest
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finish()
    }
}
