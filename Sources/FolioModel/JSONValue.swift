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
    /// Parses untrusted bytes with the checks of SPEC §8 (size, UTF-8, conflict markers, then
    /// `JSONReader`'s one pass), so that each failure names what is wrong and where.
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
        let read: Result<JSONValue, JSONInputError> = data.withUnsafeBytes { bytes in
            if let line = conflictMarkerLine(bytes) {
                return .failure(JSONInputError("contains a merge conflict marker on line \(line); resolve the conflict (or run `folio resolve`) before using the file"))
            }
            do throws(JSONInputError) { return .success(try JSONReader.value(bytes, wholeFloats: wholeFloats)) } catch { return .failure(error) }
        }
        return try read.get()
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
}
