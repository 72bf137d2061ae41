public import Foundation

/// A JSON document as Folio stores it: integers only, never binary floating point
/// (SPEC §1), so that equal documents always serialize to equal bytes.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var intValue: Int64? { if case .int(let i) = self { return i } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Why a byte sequence is not an acceptable Folio document. `pointer` is an RFC 6901
/// JSON Pointer into the document ("" when the problem is the whole file).
public struct JSONInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pointer: String
    public var message: String
    /// The finding's rule id (SPEC §7): "json/syntax" for the whole file, "json/number" for a
    /// value, unless the error names its own.
    public var rule: String
    public init(pointer: String = "", rule: String? = nil, _ message: String) {
        self.pointer = pointer
        self.message = message
        self.rule = rule ?? (pointer.isEmpty ? "json/syntax" : "json/number")
    }
    public var description: String { pointer.isEmpty ? message : "\(pointer): \(message)" }
}

public enum JSONLimits {
    /// Invoices are a few kilobytes; anything this large is a mistake or an attack.
    public static let maxDocumentBytes = 4 << 20
    public static let maxDepth = 32
}

extension JSONValue {
    /// Parses untrusted bytes with the checks of SPEC §8 done before Foundation sees them,
    /// so that each failure names what is wrong rather than a generic decoder message.
    /// `wholeFloats`, for request bodies (never documents, whose amounts are written one way
    /// only): numbers as I-JSON (RFC 7493) and JSON Schema see them. A whole number written
    /// with a fraction or exponent (`1.0`, `2e3`) is that integer; beyond ±2^53 a number is
    /// refused, as no JSON client can be trusted to hold it exactly.
    public static func parse(_ data: Data, wholeFloats: Bool = false) throws(JSONInputError) -> JSONValue {
        if data.count > JSONLimits.maxDocumentBytes {
            throw JSONInputError("file is \(data.count) bytes; documents are limited to \(JSONLimits.maxDocumentBytes) bytes")
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw JSONInputError("is not valid UTF-8 (at byte \(firstInvalidUTF8Offset(data) ?? 0))")
        }
        let refused: JSONInputError? = data.withUnsafeBytes { bytes in
            if let line = conflictMarkerLine(bytes) {
                return JSONInputError("contains a merge conflict marker on line \(line); resolve the conflict (or run `folio resolve`) before using the file")
            }
            do throws(JSONInputError) { try precheck(bytes) } catch { return error }
            return nil
        }
        if let refused { throw refused }
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw JSONInputError("is not valid JSON: \(describe(error))")
        }
        return try JSONValue(foundation: any, wholeFloats: wholeFloats, pointer: "")
    }

    /// Foundation's parser is several times faster than decoding through Codable; its
    /// numbers arrive as NSNumber, told apart by their objCType: "c" is a JSON boolean,
    /// integers are "i"/"q", anything with a fraction or exponent is "d".
    private init(foundation any: Any, wholeFloats: Bool, pointer: @autoclosure () -> String) throws(JSONInputError) {
        switch any {
        case let s as String:
            self = .string(s)
        case let o as [String: Any]:
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(o.count)
            for (k, v) in o {
                out[k] = try JSONValue(foundation: v, wholeFloats: wholeFloats, pointer: pointer() + "/" + JSONPointer.escape(k))
            }
            self = .object(out)
        case let a as [Any]:
            var out: [JSONValue] = []
            out.reserveCapacity(a.count)
            for (i, element) in a.enumerated() {
                out.append(try JSONValue(foundation: element, wholeFloats: wholeFloats, pointer: pointer() + "/\(i)"))
            }
            self = .array(out)
        case let n as NSNumber:
            if wholeFloats {
                let limit = 9_007_199_254_740_992.0
                let value = n.doubleValue
                let isInteger = !(n is NSDecimalNumber) && ![0x63, 0x42, 0x64, 0x66].contains(n.objCType.pointee)
                let beyond = isInteger ? (n.objCType.pointee == 0x51 ? n.uint64Value > 9_007_199_254_740_992 : n.int64Value.magnitude > 9_007_199_254_740_992) : abs(value) > limit
                guard !beyond else { throw JSONInputError(pointer: pointer(), "is a number beyond ±2^53, which JSON clients cannot hold exactly (\(n))") }
                if n is NSDecimalNumber || n.objCType.pointee == 0x64 || n.objCType.pointee == 0x66 {
                    guard value.rounded() == value else { throw JSONInputError(pointer: pointer(), "is a number with a fraction (\(n)); amounts are integer minor units, and quantities and rates are decimal strings such as \"2.5\"") }
                    self = .int(Int64(value)); return
                }
            }
            if n is NSDecimalNumber {
                // Foundation hands Int64.min over as a decimal; it is still an Int64.
                if n.stringValue == String(Int64.min) { self = .int(.min); return }
                throw JSONInputError(pointer: pointer(), "is a number too large to store (\(n))")
            }
            switch n.objCType.pointee {
            case 0x63, 0x42:  // 'c', 'B'
                self = .bool(n.boolValue)
            case 0x64, 0x66:  // 'd', 'f'
                throw JSONInputError(pointer: pointer(), "is a number with a fraction or exponent (\(n)); amounts are integer minor units, and quantities and rates are decimal strings such as \"2.5\"")
            case 0x51:        // 'Q'
                guard n.uint64Value <= UInt64(Int64.max) else { throw JSONInputError(pointer: pointer(), "is a number too large to store (\(n))") }
                self = .int(n.int64Value)
            default:
                self = .int(n.int64Value)
            }
        case is NSNull:
            self = .null
        default:
            throw JSONInputError(pointer: pointer(), "has an unsupported JSON value")
        }
    }

    private static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        return (ns.userInfo["NSDebugDescription"] as? String) ?? ns.localizedDescription
    }

    static func firstInvalidUTF8Offset(_ data: Data) -> Int? {
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Lines that a textual merge leaves behind. They are checked before parsing because
    /// a marker inside a string would otherwise parse as valid JSON and be committed.
    /// The line of the first conflict marker a text merge left in `data`, if any.
    public static func conflictMarkerLine(_ data: Data) -> Int? {
        data.withUnsafeBytes { conflictMarkerLine($0) }
    }

    static func conflictMarkerLine(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let n = bytes.count
        func at(_ i: Int, _ marker: StaticString) -> Bool {
            let m = marker.utf8Start, count = marker.utf8CodeUnitCount
            guard n - i >= count else { return false }
            for k in 0..<count where bytes[i + k] != m[k] { return false }
            return true
        }
        var line = 1
        var i = 0
        while i < n {
            switch bytes[i] {
            case 0x3C: if at(i, "<<<<<<< ") { return line }
            case 0x3E: if at(i, ">>>>>>> ") { return line }
            case 0x7C: if at(i, "|||||||") { return line }
            case 0x3D:
                // "=======" must be the whole line to be a marker.
                if at(i, "=======") {
                    let end = i + 7
                    if end == n || bytes[end] == 0x0A || bytes[end] == 0x0D { return line }
                }
            default: break
            }
            // On to the next line start.
            while i < n && bytes[i] != 0x0A { i += 1 }
            i += 1
            line += 1
        }
        return nil
    }

    /// What Foundation's parser would let through, refused in one pass over the bytes before
    /// it gets them: nesting deeper than the limit (it recurses, so a file of a million
    /// brackets must not reach it), trailing commas (JSONSerialization on Linux accepts them
    /// although JSON does not), and a key given twice in one object (it keeps one of the
    /// values and drops the other without a word).
    private static func precheck(_ bytes: UnsafeRawBufferPointer) throws(JSONInputError) {
        struct Frame {
            var isObject: Bool
            var keys: Set<String> = []
            var key: String?
            var index = 0
        }
        var stack: [Frame] = []
        func pointer() -> String {
            stack.map { $0.isObject ? "/" + JSONPointer.escape($0.key ?? "") : "/\($0.index)" }.joined()
        }
        var last: UInt8 = 0   // the last byte outside strings that is not whitespace
        let n = bytes.count
        var i = 0
        while i < n {
            let byte = bytes[i]
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                i += 1
                continue
            case 0x22:
                let start = i + 1
                var escaped = false
                i += 1
                while i < n {
                    let b = bytes[i]
                    if b == 0x5C { escaped = true; i += 2; continue }
                    if b == 0x22 { break }
                    i += 1
                }
                if stack.last?.isObject == true && (last == 0x7B || last == 0x2C) {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<min(i, n)])
                    let key = escaped ? unescapedKey(raw) : String(decoding: raw, as: UTF8.self)
                    stack[stack.count - 1].key = key
                    if !stack[stack.count - 1].keys.insert(key).inserted {
                        throw JSONInputError(pointer: pointer(), rule: "json/duplicate-key", "is given twice in one object; keep one (a parser would silently drop the other's value)")
                    }
                }
            case 0x7B, 0x5B:
                stack.append(Frame(isObject: byte == 0x7B))
                if stack.count > JSONLimits.maxDepth {
                    throw JSONInputError("is nested more than \(JSONLimits.maxDepth) levels deep")
                }
            case 0x7D, 0x5D:
                if last == 0x2C { throw JSONInputError("is not valid JSON: a comma before \"\(Character(Unicode.Scalar(byte)))\"; JSON allows no trailing commas") }
                if !stack.isEmpty { stack.removeLast() }
            case 0x2C:
                if let top = stack.last, !top.isObject { stack[stack.count - 1].index += 1 }
            default: break
            }
            last = byte
            i += 1
        }
    }

    /// A key with escapes, as the parser will see it; Foundation decodes it, as it will the document.
    private static func unescapedKey(_ raw: UnsafeRawBufferPointer) -> String {
        let quoted = Data([0x22]) + Data(raw) + Data([0x22])
        return (try? JSONSerialization.jsonObject(with: quoted, options: [.fragmentsAllowed])) as? String
            ?? String(decoding: raw, as: UTF8.self)
    }
}

