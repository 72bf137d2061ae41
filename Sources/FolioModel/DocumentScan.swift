public import Foundation

// The schema walk of `JSONReader`: one pass over a document's bytes that checks them against a
// compiled `Schema` (the same values `Schema.check` reads) and captures the fields a caller
// asked for, without building a value. It is what lets `folio index rebuild` read 100,000
// invoices at about the speed git hands out their bytes.
//
// It is deliberately narrower than `JSONValue.parse` + `Schema.check`: anything it is not sure
// about (a float, an escaped key, a duplicate key, a line that may be a conflict marker, a
// nested `any` value, a failed rule) makes it answer nil, and the caller then asks
// `DocumentCodec`, which has the last word and the findings to report. So the scan can only
// be slower than the full check, never more permissive; `DocumentScanTests` holds the two to
// the same answers on mutated documents.

/// Where a captured value goes; each caller numbers its own slots.
public typealias Slot = Int16

/// The values a scan captured, in document order.
public struct Captures: Sendable {
    public enum Value: Sendable {
        case string(String)
        case int(Int64)
        /// An object field was present (not null), or an element of an array of objects
        /// starts (an element of an array of scalars is captured as its value).
        case mark
    }
    public var events: [(slot: Slot, value: Value)] = []
    /// The bytes are certainly the document's canonical form (SPEC §1, `CanonicalJSON`):
    /// false when they are not, or when the scan is not sure (an escaped string), which
    /// leaves the question to `DocumentCodec.isCanonical`.
    public internal(set) var isCanonical = false
    mutating func string(_ slot: Slot, _ value: String) { events.append((slot, .string(value))) }
    mutating func int(_ slot: Slot, _ value: Int64) { events.append((slot, .int(value))) }
    mutating func mark(_ slot: Slot) { events.append((slot, .mark)) }
}

/// `FolioModel.Schema`, compiled for the byte reader: keys as bytes, bits for presence,
/// capture slots resolved from JSON-pointer-like patterns ("/lines/*/productId").
public final class CompiledSchema: @unchecked Sendable {
    struct Field {
        let key: [UInt8]
        let type: CompiledType
        let bit: UInt64
        let required: Bool
        let capture: Slot
    }
    let fields: [Field]
    let requiredMask: UInt64

    public init(_ schema: Schema, path: String, captures: [String: Slot]) {
        var fields: [Field] = []
        var mask: UInt64 = 0
        let keys = schema.required.keys.map { ($0, true) } + schema.optional.keys.map { ($0, false) }
        precondition(keys.count <= 64, "schema with more than 64 fields")
        for (index, (key, required)) in keys.sorted(by: { $0.0 < $1.0 }).enumerated() {
            let bit = UInt64(1) << UInt64(index)
            if required { mask |= bit }
            let type = required ? schema.required[key]! : schema.optional[key]!
            let childPath = path + "/" + key
            fields.append(Field(key: Array(key.utf8), type: CompiledType(type, path: childPath, captures: captures), bit: bit,
                                required: required, capture: captures[childPath] ?? -1))
        }
        self.fields = fields
        self.requiredMask = mask
    }
}

indirect enum CompiledType {
    case any
    case string(maxLength: Int)
    case identifier, email, int, amount, positiveAmount, count, bool, date, timestamp, currency
    case decimal(min: ExactDecimal?, max: ExactDecimal?)
    case enumeration([[UInt8]], [String])
    case object(CompiledSchema)
    case array(CompiledType, maxCount: Int, elementCapture: Slot)
    case map(CompiledType)

    init(_ type: FieldType, path: String, captures: [String: Slot]) {
        switch type {
        case .any: self = .any
        case .string(let maxLength): self = .string(maxLength: maxLength)
        case .identifier: self = .identifier
        case .email: self = .email
        case .int: self = .int
        case .amount: self = .amount
        case .positiveAmount: self = .positiveAmount
        case .count: self = .count
        case .bool: self = .bool
        case .date: self = .date
        case .timestamp: self = .timestamp
        case .currency: self = .currency
        case .decimal(let min, let max): self = .decimal(min: min, max: max)
        case .enumeration(let values): self = .enumeration(values.map { Array($0.utf8) }, values)
        case .object(let schema): self = .object(CompiledSchema(schema, path: path, captures: captures))
        case .array(let element, let maxCount):
            self = .array(CompiledType(element, path: path + "/*", captures: captures), maxCount: maxCount, elementCapture: captures[path + "/*"] ?? -1)
        case .map(let element): self = .map(CompiledType(element, path: path + "/*", captures: captures))
        }
    }
}


public enum DocumentScan {
    /// The document schemas compiled without captures: a scan that only says "certainly valid".
    static let invoice = CompiledSchema(Schemas.invoice, path: "", captures: [:])
    static let order = CompiledSchema(Schemas.order, path: "", captures: [:])

    /// The captured fields of a document the schema certainly accepts, or nil (then the full
    /// check, `DocumentCodec`, decides and explains).
    public static func read(_ data: Data, schema: CompiledSchema) -> Captures? {
        guard data.count > 0, data.count <= JSONLimits.maxDocumentBytes else { return nil }
        return data.withUnsafeBytes { raw -> Captures? in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            guard !mayHaveConflictMarker(base, raw.count) else { return nil }
            var scan = SchemaScan(reader: JSONReader(base, count: raw.count))
            scan.reader.skipWhitespace()
            scan.layout(from: 0, .none)
            guard scan.object(schema) else { return nil }
            // Canonical form ends with one newline.
            if scan.reader.n - scan.reader.i != 1 || scan.reader.p[scan.reader.i] != 0x0A { scan.canonical = false }
            scan.reader.skipWhitespace()
            guard scan.reader.i == scan.reader.n else { return nil }
            scan.captures.isCanonical = scan.canonical
            return scan.captures
        }
    }

    /// Any line that starts with one of the marker characters sends the document to the
    /// full check, which knows the exact rule (`JSONValue.conflictMarkerLine`).
    private static func mayHaveConflictMarker(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        func isMarkerStart(_ b: UInt8) -> Bool { b == 0x3C || b == 0x3D || b == 0x3E || b == 0x7C }
        if isMarkerStart(p[0]) { return true }
        var k = 0
        while k < n - 1 {
            if p[k] == 0x0A && isMarkerStart(p[k + 1]) { return true }
            k += 1
        }
        return false
    }
}

/// The walk itself: the lexer's state plus what was captured.
struct SchemaScan {
    var reader: JSONReader
    var captures = Captures()
    /// Every byte met so far is where `CanonicalJSON` would put it.
    var canonical = true

    /// What canonical form puts between two tokens: nothing, one space (after a key's
    /// colon), or a new line indented two spaces per level.
    enum Layout {
        case none, space, line(indent: Int)
    }

    /// Whether the whitespace from `start` to here is `expected`; `canonical` remembers a miss.
    @inline(__always) mutating func layout(from start: Int, _ expected: Layout) {
        guard canonical else { return }
        let count = reader.i - start
        switch expected {
        case .none: if count != 0 { canonical = false }
        case .space: if count != 1 || reader.p[start] != 0x20 { canonical = false }
        case .line(let indent):
            guard count == 1 + 2 * indent, reader.p[start] == 0x0A else { canonical = false; return }
            for k in (start + 1)..<reader.i where reader.p[k] != 0x20 { canonical = false; return }
        }
    }

    /// Steps over whitespace that should be `expected`.
    @inline(__always) mutating func whitespace(_ expected: Layout) {
        let start = reader.i
        reader.skipWhitespace()
        layout(from: start, expected)
    }

    /// After a member or element: its comma, or the container's closing bracket on a line of
    /// its own. False when neither comes; `closed` says which did.
    @inline(__always) mutating func next(closing bracket: UInt8, closed: inout Bool) -> Bool {
        let start = reader.i
        reader.skipWhitespace()
        guard let b = reader.peek() else { return false }
        if b == 0x2C {
            layout(from: start, .none)
        } else if b == bracket {
            layout(from: start, .line(indent: reader.depth - 1))
            closed = true
        } else {
            return false
        }
        reader.i += 1
        return true
    }

    /// Canonical keys are in UTF-8 byte order, so each is after the one before.
    @inline(__always) mutating func keyOrder(_ key: JSONReader.Token, after previous: JSONReader.Token?) {
        guard canonical, let previous else { return }
        if key.escaped || previous.escaped { canonical = false; return }
        let common = min(key.count, previous.count)
        let order = memcmp(reader.p + previous.start, reader.p + key.start, common)
        if order > 0 || (order == 0 && previous.count >= key.count) { canonical = false }
    }

    /// An empty container is its two brackets; else its first member starts a new line.
    @inline(__always) mutating func open(closing bracket: UInt8) -> Bool {
        let start = reader.i
        reader.skipWhitespace()
        if reader.peek() == bracket {
            layout(from: start, .none)
            reader.i += 1
            return false
        }
        layout(from: start, .line(indent: reader.depth))
        return true
    }


    mutating func object(_ schema: CompiledSchema) -> Bool {
        guard reader.consume(0x7B), (try? reader.enter()) != nil else { return false }
        var seen: UInt64 = 0      // keys met (a second one is a duplicate)
        var present: UInt64 = 0   // keys met with a value other than null
        var hint = 0
        var previousKey: JSONReader.Token?
        if open(closing: 0x7D) {
            var first = true
            while true {
                if !first { whitespace(.line(indent: reader.depth)) }
                first = false
                guard let key = try? reader.stringToken(), !key.escaped else { return false }
                keyOrder(key, after: previousKey)
                previousKey = key
                // Fields are sorted as canonical documents sort their keys, so the next key is
                // usually a step or two after the last one: search from there, then wrap around.
                var found = -1
                let fields = schema.fields
                var index = hint
                for _ in 0..<fields.count {
                    if fields[index].key.count == key.count,
                       fields[index].key.withUnsafeBufferPointer({ memcmp($0.baseAddress!, reader.p + key.start, key.count) == 0 }) {
                        found = index
                        break
                    }
                    index = index + 1 == fields.count ? 0 : index + 1
                }
                guard found >= 0 else { return false }   // a key Folio does not know
                hint = found + 1 == fields.count ? 0 : found + 1
                let field = schema.fields[found]
                guard seen & field.bit == 0 else { return false }
                seen |= field.bit
                whitespace(.none)
                guard reader.consume(0x3A) else { return false }
                whitespace(.space)
                if reader.peek() == 0x6E {
                    // null: absent for an optional field, a finding for a required one.
                    guard !field.required, reader.literal("null") else { return false }
                } else {
                    present |= field.bit
                    if field.capture >= 0, case .object = field.type { captures.mark(field.capture) }
                    guard value(field.type, capture: field.capture) else { return false }
                }
                var closed = false
                guard next(closing: 0x7D, closed: &closed) else { return false }
                if closed { break }
            }
        }
        reader.depth -= 1
        return present & schema.requiredMask == schema.requiredMask
    }

    mutating func value(_ type: CompiledType, capture: Slot) -> Bool {
        reader.skipWhitespace()
        guard let first = reader.peek() else { return false }
        switch type {
        case .object(let schema):
            return object(schema)
        case .array(let element, let maxCount, let elementCapture):
            guard reader.consume(0x5B), (try? reader.enter()) != nil else { return false }
            var count = 0
            if open(closing: 0x5D) {
                while true {
                    if count > 0 { whitespace(.line(indent: reader.depth)) }
                    count += 1
                    if count > maxCount { return false }
                    // An object element is marked, then its fields captured; a scalar element
                    // is captured itself.
                    if case .object = element {
                        if elementCapture >= 0 { captures.mark(elementCapture) }
                        guard value(element, capture: -1) else { return false }
                    } else {
                        guard value(element, capture: elementCapture) else { return false }
                    }
                    var closed = false
                    guard next(closing: 0x5D, closed: &closed) else { return false }
                    if closed { break }
                }
            }
            reader.depth -= 1
            return true
        case .map(let element):
            guard reader.consume(0x7B), (try? reader.enter()) != nil else { return false }
            var keys = Set<String>()
            var previousKey: JSONReader.Token?
            if open(closing: 0x7D) {
                while true {
                    if previousKey != nil { whitespace(.line(indent: reader.depth)) }
                    guard let token = try? reader.stringToken(), let key = reader.validString(token), keys.insert(key).inserted else { return false }
                    keyOrder(token, after: previousKey)
                    previousKey = token
                    whitespace(.none)
                    guard reader.consume(0x3A) else { return false }
                    whitespace(.space)
                    // `Schema.check` refuses a null map member: the full check explains it.
                    guard reader.peek() != 0x6E, value(element, capture: -1) else { return false }
                    var closed = false
                    guard next(closing: 0x7D, closed: &closed) else { return false }
                    if closed { break }
                }
            }
            reader.depth -= 1
            return true
        case .any:
            // Only scalars here; nested values (conflict records) go to the model.
            if first == 0x22 {
                guard let t = try? reader.stringToken() else { return false }
                if t.escaped { canonical = false }
                return t.ascii || reader.validString(t) != nil
            }
            if first == 0x74 { return reader.literal("true") }
            if first == 0x66 { return reader.literal("false") }
            if first == 0x6E { return reader.literal("null") }
            guard let v = try? reader.number().integer, !isNegativeZero(v) else { return false }
            return true
        case .int, .amount, .positiveAmount, .count:
            guard first == 0x2D || (first >= 0x30 && first <= 0x39), let v = try? reader.number().integer, !isNegativeZero(v) else { return false }
            switch type {
            case .amount: if v < 0 || v > Schema.maxAmount { return false }
            case .positiveAmount: if v <= 0 || v > Schema.maxAmount { return false }
            case .count: if v < 0 || v > 1_000_000 { return false }
            default: break
            }
            if capture >= 0 { captures.int(capture, v) }
            return true
        case .bool:
            if first == 0x74 { return reader.literal("true") }
            return first == 0x66 && reader.literal("false")
        default:
            guard first == 0x22, let token = try? reader.stringToken() else { return false }
            if token.escaped { canonical = false }   // not sure: `CanonicalJSON.writeString` decides
            guard check(token, type) else { return false }
            if capture >= 0 {
                guard let s = reader.validString(token) else { return false }
                captures.string(capture, s)
            }
            return true
        }
    }

    /// The string rules of `Schema.check`, on bytes where that is exact (ASCII without a
    /// carriage return, whose characters are its bytes), else on the String itself.
    func check(_ t: JSONReader.Token, _ type: CompiledType) -> Bool {
        reader.withBytes(t) { check(t, $0, type) }
    }

    func check(_ t: JSONReader.Token, _ b: UnsafeBufferPointer<UInt8>, _ type: CompiledType) -> Bool {
        let plain = t.ascii && !(t.escaped && b.contains(0x0D))
        switch type {
        case .string(let maxLength):
            if plain { return b.count <= maxLength }
            guard let s = reader.validString(t) else { return false }
            return s.count <= maxLength
        case .identifier:
            if plain { return Self.isIdentifier(b) }
            guard let s = reader.validString(t) else { return false }
            return DocumentPaths.validateID(s) == nil
        case .email:
            if plain { return Self.looksLikeEmail(b) }
            guard let s = reader.validString(t) else { return false }
            return Schema.looksLikeEmailPublic(s)
        case .date:
            return Self.isDate(b)
        case .timestamp:
            return Self.isTimestamp(b)
        case .currency:
            guard let s = reader.validString(t) else { return false }
            return Currency(code: s) != nil
        case .decimal(let min, let max):
            guard let d = Self.decimal(b) else { return false }
            if let min, ExactDecimal.isLess(d, than: min) { return false }
            if let max, ExactDecimal.isLess(max, than: d) { return false }
            return true
        case .enumeration(let allowed, let names):
            if plain { return allowed.contains { $0.count == b.count && $0.elementsEqual(b) } }
            guard let s = reader.validString(t) else { return false }
            return names.contains(s)
        default:
            return false
        }
    }

    /// DocumentPaths.validateID for ASCII: 1-100 bytes of A-Z a-z 0-9 - _ ., starting with a
    /// letter or digit, without "..".
    static func isIdentifier(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !b.isEmpty, b.count <= 100 else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        guard alnum(b[0]) else { return false }
        var previousDot = false
        for c in b {
            let dot = c == 0x2E
            guard alnum(c) || c == 0x2D || c == 0x5F || dot else { return false }
            if dot && previousDot { return false }
            previousDot = dot
        }
        return true
    }

    /// Schema.looksLikeEmail for ASCII: one "@", a non-empty local part, a "." after the
    /// "@", no space, at most 254 characters.
    static func looksLikeEmail(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard b.count <= 254, !b.contains(0x20) else { return false }
        guard let at = b.firstIndex(of: 0x40), at > 0 else { return false }
        let domain = b[(at + 1)...]
        return !domain.contains(0x40) && domain.contains(0x2E)
    }

    /// The model's own rules, on the same bytes.
    static func isDate(_ u: UnsafeBufferPointer<UInt8>) -> Bool { Dates.parseDate(utf8: u) != nil }
    static func isTimestamp(_ u: UnsafeBufferPointer<UInt8>) -> Bool { Dates.isValidTimestamp(utf8: u) }

    /// ExactDecimal.init?(String): "-"? digits ("." digits)?, at most 18 whole digits and 12
    /// decimals. Any other byte (including every non-ASCII one) fails there too.
    static func decimal(_ u: UnsafeBufferPointer<UInt8>) -> ExactDecimal? {
        var k = 0
        var negative = false
        if k < u.count && u[k] == 0x2D { negative = true; k += 1 }
        var whole = 0, fraction = 0, dots = 0
        var value: Int128 = 0
        while k < u.count {
            let c = u[k]
            if c == 0x2E {
                dots += 1
                if dots > 1 { return nil }
            } else if c >= 0x30 && c <= 0x39 {
                if dots == 0 { whole += 1 } else { fraction += 1 }
                if whole > 18 || fraction > ExactDecimal.maxScale { return nil }
                value = value * 10 + Int128(c - 0x30)
            } else {
                return nil
            }
            k += 1
        }
        guard whole > 0, dots == 0 || fraction > 0 else { return nil }
        return ExactDecimal(significand: negative ? -value : value, scale: fraction)
    }

    /// "-0" is an integer to `JSONValue.parse`; the scan leaves such oddities to it.
    private func isNegativeZero(_ v: Int64) -> Bool {
        v == 0 && reader.p[reader.i - 1] == 0x30 && reader.i >= 2 && reader.p[reader.i - 2] == 0x2D
    }
}
