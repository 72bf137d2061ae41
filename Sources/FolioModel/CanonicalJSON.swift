/// Folio's one byte form of a document (SPEC §1): UTF-8, keys sorted by their UTF-8
/// bytes, two-space indent, `"key": value`, one trailing newline. Replicas that agree on
/// a document therefore agree on its blob id, and git trees compare by hash.
public enum CanonicalJSON {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var stream = Stream()
        stream.value(value)
        return stream.bytes + [0x0A]
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Compact single-line form, for command output where one line per record reads better.
    public static func compact(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        writeCompact(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted(by: utf8Precedes)
    }

    /// Byte order of the UTF-8 forms, over contiguous storage (the generic UTF8View walk
    /// was a tenth of printing a `folio list` page).
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<min(x.count, y.count) where x[i] != y[i] { return x[i] < y[i] }
                return x.count < y.count
            }
        }
    }

    private static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCompact(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in sortedKeys(members).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCompact(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: &out)
        }
    }

    static func writeScalar(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array: out.append(contentsOf: "[]".utf8)
        case .object: out.append(contentsOf: "{}".utf8)
        }
    }

    static func newline(_ indent: Int, _ out: inout [UInt8]) {
        out.append(0x0A)
        for _ in 0..<(indent * 2) { out.append(0x20) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        let plain = s.withUTF8 { bytes in
            // The common case, nothing to escape: one copy.
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain {
            out.append(0x22)
            return
        }
        for byte in s.utf8 {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// Canonical bytes written as they come: `bytes(_:)` streams a JSONValue through it, and
    /// output whose members the caller already has in key order (a `folio list` page) skips
    /// building and sorting dictionaries. The caller names keys in UTF-8 byte order;
    /// a debug build checks it.
    public struct Stream {
        public private(set) var bytes: [UInt8] = []
        /// Per open container: whether it holds a member yet, and (objects) its last key.
        private var open: [(hasMembers: Bool, lastKey: String?)] = []

        public init(capacity: Int = 2048) { bytes.reserveCapacity(capacity) }

        public var string: String { String(decoding: bytes + [0x0A], as: UTF8.self) }

        public mutating func beginObject() { bytes.append(UInt8(ascii: "{")); open.append((false, nil)) }
        public mutating func beginArray() { bytes.append(UInt8(ascii: "[")); open.append((false, nil)) }
        public mutating func endObject() { close(UInt8(ascii: "}")) }
        public mutating func endArray() { close(UInt8(ascii: "]")) }

        /// The next member of the open object; its value follows.
        public mutating func key(_ key: String) {
            assert(open.last!.lastKey.map { CanonicalJSON.utf8Precedes($0, key) } ?? true, "key \(key) out of order")
            separate()
            open[open.count - 1].lastKey = key
            CanonicalJSON.writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            bytes.append(UInt8(ascii: " "))
        }

        /// The next element of the open array; its value follows.
        public mutating func element() { separate() }

        /// A whole value: objects with their keys sorted (the one place the layout of
        /// `bytes(_:)` is decided is this Stream).
        public mutating func value(_ v: JSONValue) {
            switch v {
            case .array(let items):
                beginArray()
                for item in items { element(); value(item) }
                endArray()
            case .object(let members):
                beginObject()
                for k in CanonicalJSON.sortedKeys(members) { key(k); value(members[k]!) }
                endObject()
            default:
                CanonicalJSON.writeScalar(v, into: &bytes)
            }
        }

        public mutating func string(_ s: String) { CanonicalJSON.writeString(s, into: &bytes) }
        public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
        public mutating func int(_ i: Int64) { bytes.append(contentsOf: String(i).utf8) }
        public mutating func null() { bytes.append(contentsOf: "null".utf8) }

        private mutating func separate() {
            if open[open.count - 1].hasMembers { bytes.append(UInt8(ascii: ",")) }
            open[open.count - 1].hasMembers = true
            CanonicalJSON.newline(open.count, &bytes)
        }

        private mutating func close(_ bracket: UInt8) {
            if open.removeLast().hasMembers { CanonicalJSON.newline(open.count, &bytes) }
            bytes.append(bracket)
        }
    }
}
