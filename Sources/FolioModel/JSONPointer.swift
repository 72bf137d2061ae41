import Foundation

/// RFC 6901 JSON Pointer. "" is the whole document; "/" is the member named "" (a
/// classic bug is to treat it as the root).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public let tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    public init(parsing text: String) throws(JSONInputError) {
        if text.isEmpty { self.tokens = []; return }
        guard text.hasPrefix("/") else {
            throw JSONInputError(pointer: text, "is not a JSON Pointer: it must be empty or start with \"/\" (e.g. /note or /lines/0/quantity)")
        }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var it = raw.makeIterator()
            while let c = it.next() {
                if c == "~" {
                    switch it.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw JSONInputError(pointer: text, "has a \"~\" not followed by 0 or 1 (RFC 6901 escapes ~ as ~0 and / as ~1)")
                    }
                } else {
                    token.append(c)
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    public static func escape(_ token: String) -> String {
        token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public var description: String { tokens.map { "/" + JSONPointer.escape($0) }.joined() }

    public func appending(_ token: String) -> JSONPointer { JSONPointer(tokens: tokens + [token]) }
    public func appending(_ index: Int) -> JSONPointer { appending(String(index)) }

    public func get(_ doc: JSONValue) -> JSONValue? {
        var current = doc
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let i = Self.arrayIndex(token), i < items.count else { return nil }
                current = items[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Replaces (or adds) the value at this pointer. An object member may be new; an array
    /// index must exist, or be "-" / the count to append, as in RFC 6902's "add".
    public func set(_ value: JSONValue, in doc: JSONValue) throws(JSONInputError) -> JSONValue {
        try Self.set(value, tokens: tokens[...], in: doc, path: "")
    }

    private static func set(_ value: JSONValue, tokens: ArraySlice<String>, in doc: JSONValue, path: String) throws(JSONInputError) -> JSONValue {
        guard let token = tokens.first else { return value }
        let here = path + "/" + escape(token)
        switch doc {
        case .object(var members):
            var child = members[token]
            // `/extraFields/-` on an invoice without extra fields yet: the list starts here.
            if child == nil && tokens.count == 2 && tokens.last == "-" { child = .array([]) }
            if child == nil && tokens.count > 1 {
                throw JSONInputError(pointer: here, "does not exist")
            }
            members[token] = try set(value, tokens: tokens.dropFirst(), in: child ?? .null, path: here)
            return .object(members)
        case .array(var items):
            let index = token == "-" ? items.count : arrayIndex(token)
            guard let i = index, i <= items.count else {
                throw JSONInputError(pointer: here, "is not an index of the array (it has \(items.count) items)")
            }
            if i == items.count {
                guard tokens.count == 1 else { throw JSONInputError(pointer: here, "does not exist") }
                items.append(value)
            } else {
                items[i] = try set(value, tokens: tokens.dropFirst(), in: items[i], path: here)
            }
            return .array(items)
        default:
            throw JSONInputError(pointer: path, "is \(doc.typeName), not an object or array, so \(here) cannot be set")
        }
    }

    /// Removes the value at this pointer (a missing one is not an error).
    public func remove(in doc: JSONValue) -> JSONValue {
        Self.remove(tokens: tokens[...], in: doc)
    }

    private static func remove(tokens: ArraySlice<String>, in doc: JSONValue) -> JSONValue {
        guard let token = tokens.first else { return doc }
        switch doc {
        case .object(var members):
            if tokens.count == 1 { members.removeValue(forKey: token) }
            else if let child = members[token] { members[token] = remove(tokens: tokens.dropFirst(), in: child) }
            return .object(members)
        case .array(var items):
            guard let i = arrayIndex(token), i < items.count else { return doc }
            if tokens.count == 1 { items.remove(at: i) } else { items[i] = remove(tokens: tokens.dropFirst(), in: items[i]) }
            return .array(items)
        default:
            return doc
        }
    }

    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy(\.isASCII), token.allSatisfy(\.isNumber) else { return nil }
        if token.count > 1 && token.hasPrefix("0") { return nil }
        return Int(token)
    }
}

/// RFC 7396 JSON Merge Patch: objects merge recursively, `null` deletes, anything else
/// (arrays included) replaces.
public enum MergePatch {
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result: [String: JSONValue]
        if case .object(let members) = target { result = members } else { result = [:] }
        for (key, value) in patchMembers {
            if value == .null {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}
