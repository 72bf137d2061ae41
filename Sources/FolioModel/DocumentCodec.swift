public import Foundation

/// A document that cannot be used, with every finding that says why.
public struct DocumentError: Error, Sendable, CustomStringConvertible {
    public var findings: [Finding]
    public init(_ findings: [Finding]) { self.findings = findings }
    public init(file: String, pointer: String = "", rule: String, _ message: String) {
        self.findings = [Finding(rule, file: file, pointer: pointer, message)]
    }
    public var description: String { findings.map(\.description).joined(separator: "\n") }
}

/// Bytes ⇄ typed documents, with the checks of SPEC §8 on the way in and canonical form on
/// the way out.
public enum DocumentCodec {
    public static func parse(_ data: Data, file: String) throws(DocumentError) -> JSONValue {
        do {
            return try JSONValue.parse(data)
        } catch {
            throw DocumentError(file: file, pointer: error.pointer, rule: error.rule, error.message)
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, json: JSONValue, schema: Schema, file: String) throws(DocumentError) -> T {
        let findings = schema.check(json, file: file)
        if !findings.isEmpty { throw DocumentError(findings) }
        return try typed(type, json, file: file)
    }

    /// The typed document, from the value the bytes were read into once. `Schema.check` has
    /// passed, so a failure here is a rule the schema does not spell out (an enum value).
    static func typed<T: Decodable>(_ type: T.Type, _ json: JSONValue, file: String) throws(DocumentError) -> T {
        do {
            return try JSONValueDecoder().decode(type, from: json)
        } catch let error as DecodingError {
            let (path, detail): ([any CodingKey], String) = switch error {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): (c.codingPath, c.debugDescription)
            case .keyNotFound(let key, let c): (c.codingPath + [key], c.debugDescription)
            @unknown default: ([], "\(error)")
            }
            // stringValue: a dictionary key "007" is "007" (its intValue would say 7).
            let pointer = path.map { "/" + JSONPointer.escape($0.stringValue) }.joined()
            throw DocumentError(file: file, pointer: pointer, rule: "schema/type", "does not match the \(type) schema: \(detail)")
        } catch {
            throw DocumentError(file: file, rule: "schema/type", "does not match the \(type) schema: \(error)")
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, data: Data, schema: Schema, file: String) throws(DocumentError) -> (T, JSONValue) {
        let json = try parse(data, file: file)
        return (try decode(type, json: json, schema: schema, file: file), json)
    }

    public static func encode<T: Encodable>(_ value: T) -> Data {
        Data(CanonicalJSON.bytes(JSONValue.encoding(value)))
    }

    public static func isCanonical(_ data: Data, _ json: JSONValue) -> Bool {
        let canonical = CanonicalJSON.bytes(json)
        guard canonical.count == data.count else { return false }
        return data.withUnsafeBytes { bytes in
            canonical.withUnsafeBytes { memcmp(bytes.baseAddress!, $0.baseAddress!, data.count) == 0 }
        }
    }
}
