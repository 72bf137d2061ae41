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
        let raw: RawJSON
        do {
            raw = try JSONDecoder().decode(RawJSON.self, from: data)
        } catch {
            throw JSONInputError("is not valid JSON: \(describe(error))")
        }
        return try raw.validated(pointer: "")
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
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
    /// before it gets there.
    private static func checkDepth(_ data: Data) throws(JSONInputError) {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                continue
            }
            switch byte {
            case 0x22: inString = true
            case 0x7B, 0x5B:
                depth += 1
                if depth > JSONLimits.maxDepth {
                    throw JSONInputError("is nested more than \(JSONLimits.maxDepth) levels deep")
                }
            case 0x7D, 0x5D: depth -= 1
            default: break
            }
        }
    }
}

/// What Foundation's decoder hands us, before Folio's rules (no fractions) are applied.
private indirect enum RawJSON: Decodable {
    case value(JSONValue)
    case fraction(String)
    case array([RawJSON])
    case object([String: RawJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .value(.null); return }
        if let b = try? c.decode(Bool.self) { self = .value(.bool(b)); return }
        if let i = try? c.decode(Int64.self) { self = .value(.int(i)); return }
        if let s = try? c.decode(String.self) { self = .value(.string(s)); return }
        if let o = try? c.decode([String: RawJSON].self) { self = .object(o); return }
        if let a = try? c.decode([RawJSON].self) { self = .array(a); return }
        if let d = try? c.decode(Double.self) { self = .fraction("\(d)"); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "unsupported JSON value")
    }

    func validated(pointer: String) throws(JSONInputError) -> JSONValue {
        switch self {
        case .value(let v):
            return v
        case .fraction(let text):
            throw JSONInputError(pointer: pointer, "is a number with a fraction or out of range (\(text)); amounts are integer minor units, and quantities and rates are decimal strings such as \"2.5\"")
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() { out.append(try item.validated(pointer: pointer + "/\(i)")) }
            return .array(out)
        case .object(let members):
            var out: [String: JSONValue] = [:]
            out.reserveCapacity(members.count)
            for (k, v) in members { out[k] = try v.validated(pointer: pointer + "/" + JSONPointer.escape(k)) }
            return .object(out)
        }
    }
}
