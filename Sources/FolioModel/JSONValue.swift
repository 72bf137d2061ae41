import Foundation

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
    public init(pointer: String = "", _ message: String) {
        self.pointer = pointer
        self.message = message
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
    public static func parse(_ data: Data) throws(JSONInputError) -> JSONValue {
        if data.count > JSONLimits.maxDocumentBytes {
            throw JSONInputError("file is \(data.count) bytes; documents are limited to \(JSONLimits.maxDocumentBytes) bytes")
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw JSONInputError("is not valid UTF-8 (at byte \(firstInvalidUTF8Offset(data) ?? 0))")
        }
        if let line = conflictMarkerLine(data) {
            throw JSONInputError("contains a merge conflict marker on line \(line); resolve the conflict (or run `folio resolve`) before using the file")
        }
        try checkDepth(data)
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw JSONInputError("is not valid JSON: \(describe(error))")
        }
        return try JSONValue(foundation: any, pointer: "")
    }

    /// Foundation's parser is several times faster than decoding through Codable; its
    /// numbers arrive as NSNumber, told apart by their objCType: "c" is a JSON boolean,
    /// integers are "i"/"q", anything with a fraction or exponent is "d".
    private init(foundation any: Any, pointer: @autoclosure () -> String) throws(JSONInputError) {
        switch any {
        case let s as String:
            self = .string(s)
        case let o as [String: Any]:
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(o.count)
            for (k, v) in o {
                out[k] = try JSONValue(foundation: v, pointer: pointer() + "/" + JSONPointer.escape(k))
            }
            self = .object(out)
        case let a as [Any]:
            var out: [JSONValue] = []
            out.reserveCapacity(a.count)
            for (i, element) in a.enumerated() {
                out.append(try JSONValue(foundation: element, pointer: pointer() + "/\(i)"))
            }
            self = .array(out)
        case let n as NSNumber:
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

    private static func describe(_ error: Error) -> String {
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
    static func conflictMarkerLine(_ data: Data) -> Int? {
        let markers: [[UInt8]] = [Array("<<<<<<< ".utf8), Array("=======".utf8), Array(">>>>>>> ".utf8), Array("|||||||".utf8)]
        var line = 1
        var lineStart = true
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            if lineStart {
                for m in markers where bytes.count - i >= m.count && Array(bytes[i..<(i + m.count)]) == m {
                    if m == markers[1] {
                        // "=======" must be the whole line to be a marker.
                        let end = i + m.count
                        if end == bytes.count || bytes[end] == 0x0A || bytes[end] == 0x0D { return line }
                    } else {
                        return line
                    }
                }
            }
            lineStart = bytes[i] == 0x0A
            if lineStart { line += 1 }
            i += 1
        }
        return nil
    }

    /// Foundation's parser recurses; a hostile file of a million brackets must be refused
    /// before it gets there. The same pass refuses trailing commas, which Foundation's
    /// JSONSerialization on Linux accepts although JSON does not.
    private static func checkDepth(_ data: Data) throws(JSONInputError) {
        var depth = 0
        var inString = false
        var escaped = false
        var last: UInt8 = 0   // the last byte outside strings that is not whitespace
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false; last = byte }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case 0x22: inString = true
            case 0x7B, 0x5B:
                depth += 1
                if depth > JSONLimits.maxDepth {
                    throw JSONInputError("is nested more than \(JSONLimits.maxDepth) levels deep")
                }
            case 0x7D, 0x5D:
                if last == 0x2C { throw JSONInputError("is not valid JSON: a comma before \"\(Character(Unicode.Scalar(byte)))\"; JSON allows no trailing commas") }
                depth -= 1
            default: break
            }
            last = byte
        }
    }
}

