/// Encodes Folio's Codable documents straight into a JSONValue. Going through
/// Foundation's JSONEncoder and parsing its output back cost four times as much, and every
/// document write and `folio generate` pays it.
struct JSONValueEncoder {
    func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let v = value as? JSONValue { return v }
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        return root.resolved()
    }

    /// A value under construction; containers fill it in place so nested containers can be
    /// handed out before their parent is finished.
    final class Node {
        enum Kind { case empty, value(JSONValue), object([String: Node]), array([Node]) }
        var kind: Kind = .empty

        func resolved() -> JSONValue {
            switch kind {
            case .empty: return .object([:])
            case .value(let v): return v
            case .object(let members): return .object(members.mapValues { $0.resolved() })
            case .array(let items): return .array(items.map { $0.resolved() })
            }
        }

        func asObject() {
            if case .object = kind { return }
            kind = .object([:])
        }
        func asArray() {
            if case .array = kind { return }
            kind = .array([])
        }
        func set(_ key: String, _ child: Node) {
            asObject()
            if case .object(var m) = kind { kind = .empty; m[key] = child; kind = .object(m) }
        }
        func append(_ child: Node) {
            asArray()
            if case .array(var a) = kind { kind = .empty; a.append(child); kind = .array(a) }
        }
        var count: Int { if case .array(let a) = kind { return a.count }; return 0 }
    }

    static func primitive<T: Encodable>(_ value: T, _ path: [any CodingKey]) throws -> JSONValue? {
        switch value {
        case let v as JSONValue: return v
        case let v as String: return .string(v)
        case let v as Bool: return .bool(v)
        case let v as Int64: return .int(v)
        case let v as Int: return .int(Int64(v))
        case let v as Int32: return .int(Int64(v))
        case let v as UInt32: return .int(Int64(v))
        case is Double, is Float:
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "Folio documents hold no binary floating point"))
        default: return nil
        }
    }

    static func encode<T: Encodable>(_ value: T, into node: Node, path: [any CodingKey]) throws {
        if let p = try primitive(value, path) { node.kind = .value(p); return }
        try value.encode(to: NodeEncoder(node: node, codingPath: path))
    }

    struct NodeEncoder: Encoder {
        let node: Node
        var codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.asObject()
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }
        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.asArray()
            return Unkeyed(node: node, codingPath: codingPath)
        }
        func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { let c = Node(); c.kind = .value(.null); node.set(key.stringValue, c) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let child = Node()
            try JSONValueEncoder.encode(value, into: child, path: codingPath + [key])
            node.set(key.stringValue, child)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = Node()
            child.asObject()
            node.set(key.stringValue, child)
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = Node()
            child.asArray()
            node.set(key.stringValue, child)
            return Unkeyed(node: child, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = Node()
            node.set(key.stringValue, child)
            return NodeEncoder(node: child, codingPath: codingPath + [key])
        }
    }

    struct IndexKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ i: Int) { stringValue = String(i); intValue = i }
        init?(stringValue: String) { self.stringValue = stringValue; intValue = Int(stringValue) }
        init?(intValue: Int) { self.init(intValue) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        var count: Int { node.count }

        mutating func encodeNil() throws { let c = Node(); c.kind = .value(.null); node.append(c) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            let child = Node()
            try JSONValueEncoder.encode(value, into: child, path: codingPath + [IndexKey(count)])
            node.append(child)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = Node()
            child.asObject()
            let path = codingPath + [IndexKey(count)]
            node.append(child)
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: path))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = Node()
            child.asArray()
            let path = codingPath + [IndexKey(count)]
            node.append(child)
            return Unkeyed(node: child, codingPath: path)
        }
        mutating func superEncoder() -> any Encoder {
            let child = Node()
            let path = codingPath + [IndexKey(count)]
            node.append(child)
            return NodeEncoder(node: child, codingPath: path)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey]
        mutating func encodeNil() throws { node.kind = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try JSONValueEncoder.encode(value, into: node, path: codingPath) }
    }
}
