import CLibgit2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes objects as one version-2 pack with its version-2 index, whole (no deltas), deflating
/// them on every core.
///
/// Why not libgit2's packbuilder: for generated or imported documents it spent most of its time in
/// the delta search (a window of 10 candidates per object, not configurable in libgit2 1.5), then
/// the indexer inflated and hashed every object again to build the index. Here each object is
/// deflated once and the index is built from what is already known: ids, offsets and CRCs.
/// The price is size: documents that resemble each other delta well (a generated repository's packs
/// come out about 50% larger than the packbuilder's). `git repack -adf` or `git gc --aggressive`
/// recovers that whenever it matters (a plain `git gc` reuses the whole objects as they are).
enum PackWriter {
    /// One object to pack; `read` gives its type and bytes.
    struct Source: @unchecked Sendable {
        /// Returns the object's type and content in a buffer that `release` frees; nil if it vanished.
        let read: (git_oid) -> (type: git_object_t, data: UnsafeRawPointer?, length: Int)?
        let release: (UnsafeRawPointer?) -> Void
    }

    /// Deflates `ids` (all readable from `source`) in chunks spread over the cores; each chunk is
    /// a run of consecutive pack entries. `level` is a zlib level (-1 = zlib's default, 0...9).
    static func deflate(_ ids: [git_oid], from source: Source, level: Int32) throws -> [DeflatedChunk] {
        guard !ids.isEmpty else { return [] }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunkCount = max(1, min(ids.count / 64, cores * 8))
        var chunks = [Result<DeflatedChunk, any Error>?](repeating: nil, count: chunkCount)
        chunks.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            nonisolated(unsafe) let input = ids
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                let lower = input.count * chunk / chunkCount, upper = input.count * (chunk + 1) / chunkCount
                out[chunk] = Result { try DeflatedChunk(input[lower..<upper], from: source, level: level) }
            }
        }
        return try chunks.map { try $0!.get() }
    }

    /// Writes the entries of `deflated` (distinct objects), in order, as `folder`/pack-<checksum>.pack
    /// and its .idx. Returns the pack's checksum as hex.
    static func write(_ deflated: [DeflatedChunk], into folder: String) throws -> String {
        let count = deflated.reduce(0) { $0 + $1.entries.count }
        guard count > 0 else { throw GitError.invalidArgument("a pack needs at least one object") }
        guard count <= Int(UInt32.max) else { throw GitError.invalidArgument("too many objects for one pack") }

        // The pack: header, entries, then the SHA-1 of everything before it.
        let header = Bytes()
        header.append(contentsOf: Array("PACK".utf8))
        header.appendBigEndian(UInt32(2))
        header.appendBigEndian(UInt32(count))
        var packHash = SHA1()
        packHash.update(header.raw)
        var entries: [IndexEntry] = []
        entries.reserveCapacity(count)
        var offset = UInt64(header.count)
        for chunk in deflated {
            packHash.update(chunk.bytes.raw)
            for entry in chunk.entries {
                entries.append(IndexEntry(id: entry.id, offset: offset + entry.offset, crc: entry.crc))
            }
            offset += UInt64(chunk.bytes.count)
        }
        let packChecksum = packHash.finish()
        let name = packChecksum.map { String(format: "%02x", $0) }.joined()

        let packPath = folder + "/pack-" + name + ".pack"
        let indexPath = folder + "/pack-" + name + ".idx"
        // The same objects again make the same pack: it is there already, whole (its index comes last).
        if access(indexPath, F_OK) == 0 && access(packPath, F_OK) == 0 { return name }

        let index = indexBytes(&entries, packChecksum: packChecksum)
        let packTemp = try writeTemporary(in: folder, prefix: "tmp_pack_") { file in
            try file.put(header.raw)
            for chunk in deflated { try file.put(chunk.bytes.raw) }
            try packChecksum.withUnsafeBytes { try file.put($0) }
        }
        let indexTemp: String
        do {
            indexTemp = try writeTemporary(in: folder, prefix: "tmp_idx_") { file in try file.put(index.raw) }
        } catch {
            unlink(packTemp)
            throw error
        }
        // Pack first: whoever sees the index must find its pack.
        guard rename(packTemp, packPath) == 0 else {
            let error = osError("store pack \(packPath)")
            unlink(packTemp); unlink(indexTemp)
            throw error
        }
        guard rename(indexTemp, indexPath) == 0 else {
            let error = osError("store pack index \(indexPath)")
            unlink(indexTemp)
            throw error
        }
        // The renames themselves, before the caller moves a reference.
        let dir = open(folder, O_RDONLY | O_DIRECTORY)
        if dir >= 0 { _ = fsync(dir); close(dir) }
        return name
    }

    struct IndexEntry {
        var id: git_oid
        var offset: UInt64
        var crc: UInt32
    }

    /// Consecutive pack entries, deflated, with offsets relative to the chunk's start.
    final class DeflatedChunk {
        let bytes = Bytes()
        private(set) var entries: [IndexEntry] = []
        /// On the heap: zlib's state points back at its stream, which must therefore never move.
        private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

        init(level: Int32) throws {
            stream.initialize(to: z_stream())
            guard folio_deflate_init(stream, level, 15, 8) == Z_OK else {
                stream.deallocate()
                throw GitError.invalidArgument("cannot start zlib at level \(level)")
            }
        }

        deinit {
            deflateEnd(stream)
            stream.deallocate()
        }

        /// Deflates `ids`, read from `source`, into a new chunk.
        convenience init(_ ids: ArraySlice<git_oid>, from source: Source, level: Int32) throws {
            try self.init(level: level)
            entries.reserveCapacity(ids.count)
            for id in ids {
                guard let object = source.read(id) else {
                    throw GitError.notFound("object \(GitOID(id)) to pack")
                }
                defer { source.release(object.data) }
                try append(id, type: object.type, data: object.data, length: object.length)
            }
        }

        /// Adds one entry: its header (type and inflated size), then its deflated content.
        func append(_ id: git_oid, type: git_object_t, data: UnsafeRawPointer?, length: Int) throws {
            let start = bytes.count
            let code = packType(type)
            guard code != 0 else { throw GitError.invalidArgument("cannot pack object \(GitOID(id)) of type \(type)") }
            // 4 bits of size in the first byte after the type, then 7 per byte, low bits first.
            var size = UInt64(length)
            var byte = UInt8(code << 4) | UInt8(size & 0x0F)
            size >>= 4
            while size > 0 {
                bytes.append(byte | 0x80)
                byte = UInt8(size & 0x7F)
                size >>= 7
            }
            bytes.append(byte)
            try deflate(data, length)
            let crc = crc32_z(0, bytes.pointer(at: start), bytes.count - start)
            entries.append(IndexEntry(id: id, offset: UInt64(start), crc: UInt32(crc)))
        }

        private func deflate(_ data: UnsafeRawPointer?, _ length: Int) throws {
            defer { deflateReset(stream) }
            bytes.reserve(extra: Int(deflateBound(stream, uLong(length))))
            var remaining = length
            stream.pointee.next_in = UnsafeMutablePointer(mutating: data?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = 0
            // zlib counts in 32 bits: feed and drain at most 1 GiB per call.
            let step = 1 << 30
            while true {
                if stream.pointee.avail_in == 0 && remaining > 0 {
                    let take = min(remaining, step)
                    stream.pointee.avail_in = uInt(take)
                    remaining -= take
                }
                if bytes.capacity - bytes.count < 64 { bytes.reserve(extra: 1 << 16) }
                let room = min(bytes.capacity - bytes.count, step)
                var code: Int32 = Z_OK
                bytes.appendInPlace(room: room) { tail in
                    stream.pointee.next_out = tail
                    stream.pointee.avail_out = uInt(room)
                    code = CLibgit2.deflate(stream, remaining == 0 ? Z_FINISH : Z_NO_FLUSH)
                    return room - Int(stream.pointee.avail_out)
                }
                if code == Z_STREAM_END { return }
                guard code == Z_OK || code == Z_BUF_ERROR else {
                    throw GitError.invalidArgument("zlib failed to deflate an object (\(code))")
                }
            }
        }
    }

    /// Pack type numbers; 0 for what cannot be packed whole.
    static func packType(_ type: git_object_t) -> Int {
        switch type {
        case GIT_OBJECT_COMMIT: return 1
        case GIT_OBJECT_TREE: return 2
        case GIT_OBJECT_BLOB: return 3
        case GIT_OBJECT_TAG: return 4
        default: return 0
        }
    }

    /// Pack index version 2: fan-out table, sorted ids, CRC-32s, 31-bit offsets (with a table of
    /// 64-bit ones beyond 2 GiB), the pack's checksum and the index's own. Sorts `entries` by id.
    static func indexBytes(_ entries: inout [IndexEntry], packChecksum: [UInt8]) -> Bytes {
        entries.sort { a, b in
            withUnsafeBytes(of: a.id.id) { x in withUnsafeBytes(of: b.id.id) { y in memcmp(x.baseAddress!, y.baseAddress!, 20) < 0 } }
        }
        let out = Bytes()
        out.reserve(extra: 8 + 256 * 4 + entries.count * 28 + 40)
        out.append(contentsOf: [0xFF, 0x74, 0x4F, 0x63])
        out.appendBigEndian(UInt32(2))
        var fanout = [UInt32](repeating: 0, count: 256)
        for entry in entries { fanout[Int(entry.id.id.0)] += 1 }
        var running: UInt32 = 0
        for bucket in 0..<256 {
            running += fanout[bucket]
            out.appendBigEndian(running)
        }
        for entry in entries { withUnsafeBytes(of: entry.id.id) { out.append(contentsOf: $0) } }
        for entry in entries { out.appendBigEndian(entry.crc) }
        var large: [UInt64] = []
        for entry in entries {
            if entry.offset < 0x8000_0000 {
                out.appendBigEndian(UInt32(entry.offset))
            } else {
                out.appendBigEndian(UInt32(0x8000_0000) | UInt32(large.count))
                large.append(entry.offset)
            }
        }
        for offset in large { out.appendBigEndian(offset) }
        out.append(contentsOf: packChecksum)
        let own = SHA1.hash(out.raw)
        out.append(contentsOf: own)
        return out
    }

    /// Writes a read-only file under a unique temporary name in `folder` and returns its path.
    static func writeTemporary(in folder: String, prefix: String, _ body: (FileWriter) throws -> Void) throws -> String {
        var template = Array((folder + "/" + prefix + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw osError("create a temporary file in \(folder)") }
        let path = String(cString: template)
        do {
            try body(FileWriter(fd: fd, path: path))
            // Like git and libgit2: packs and their indexes are never written in place.
            guard fchmod(fd, 0o444) == 0 else { throw osError("make \(path) read-only") }
            // On disk before it is renamed into place, and so before any reference can point
            // into it: a power cut must not leave a branch on a truncated pack (git does the same).
            guard fsync(fd) == 0 else { throw osError("write \(path) to disk") }
            guard close(fd) == 0 else {
                let error = osError("write \(path)")
                unlink(path)
                throw error
            }
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        return path
    }

    struct FileWriter {
        let fd: Int32
        let path: String

        func put(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let written = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw osError("write \(path)")
                }
                done += written
            }
        }
    }
}

/// write(2), out of reach of the methods named `write`.
func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// Deflates the blobs of a bulk write on a background thread while the bulk is still producing
/// them, so that most of the pack is ready when the bulk ends. Used from one thread at a time
/// (the repository's); the deflating itself happens on a private serial queue.
final class BackgroundDeflater: @unchecked Sendable {
    private let queue = DispatchQueue(label: "FolioGit.bulk-deflate", qos: .userInitiated)
    private let chunk: PackWriter.DeflatedChunk
    /// The zlib level of this bulk's pack.
    let level: Int32
    /// Touched on `queue` only.
    private var failure: (any Error)?
    /// Touched on the submitting thread only.
    private var submitted = Set<ObjectKey>()

    init(level: Int32) throws {
        self.level = level
        chunk = try PackWriter.DeflatedChunk(level: level)
    }

    /// Queues object `id` for deflating; an id already queued is ignored.
    func submit(_ id: git_oid, type: git_object_t, content: Data) {
        guard submitted.insert(ObjectKey(id)).inserted else { return }
        queue.async { [self] in
            guard failure == nil else { return }
            do {
                try content.withUnsafeBytes { try chunk.append(id, type: type, data: $0.baseAddress, length: $0.count) }
            } catch {
                failure = error
            }
        }
    }

    func contains(_ id: git_oid) -> Bool { submitted.contains(ObjectKey(id)) }

    /// Waits for everything queued: the chunk then holds the submitted objects, in submission order.
    func finish() throws -> PackWriter.DeflatedChunk {
        try queue.sync {
            if let failure { throw failure }
            return chunk
        }
    }
}

/// A failed system call, reported the way libgit2 reports its own (class GIT_ERROR_OS).
func osError(_ operation: String) -> GitError {
    let message = String(cString: strerror(errno))
    return .libgit2(operation: operation, code: -1, errorClass: Int32(GIT_ERROR_OS.rawValue), message: message)
}

/// A growable byte buffer on the C heap: deflate writes straight into it. A class, so that copies
/// of the structures holding one never share storage by accident.
final class Bytes {
    private var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    private(set) var count = 0

    init() {}
    deinit { free(base) }

    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func reserve(extra: Int) {
        guard count + extra > capacity else { return }
        let wanted = max(count + extra, capacity * 2, 4096)
        guard let grown = realloc(base, wanted) else { fatalError("out of memory (\(wanted) bytes)") }
        base = grown
        capacity = wanted
    }

    func append(_ byte: UInt8) {
        reserve(extra: 1)
        base!.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(extra: bytes.count)
        (base! + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(contentsOf: $0) }
    }

    func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    func pointer(at offset: Int) -> UnsafeMutablePointer<Bytef> {
        (base! + offset).assumingMemoryBound(to: Bytef.self)
    }

    /// Lets `body` write up to `room` bytes after the end (reserve them first); it returns how many it wrote.
    func appendInPlace(room: Int, _ body: (UnsafeMutablePointer<Bytef>) -> Int) {
        precondition(count + room <= capacity)
        let written = body(pointer(at: count))
        precondition(written <= room)
        count += written
    }
}
