import Foundation
import FolioModel

// A validating reader for committed documents, fast enough for a full rebuild.
//
// Measured on a 100,000-invoice repository (2.3 KB each), the model's own path
// (`DocumentCodec.decode`: JSONSerialization → JSONValue → Schema.check → JSONDecoder) costs
// about 190 µs per invoice, 19 s in all, against about 2 s for `git cat-file --batch` to hand
// the same bytes out. This reader walks the bytes once, checks them against the *same*
// `Schema` values (Schemas.invoice, Schemas.order), and captures only the fields the index
// stores.
//
// It is deliberately narrower than the model: anything it is not sure about (a float, an
// escaped key, a duplicate key, a conflict-marker-like line, a nested `any` value, a failed
// rule) makes it give up, and the caller then asks `DocumentCodec.decode`, which has the
// last word and the findings to report. So the reader can only ever be slower than the
// model, never more permissive; `DocumentReaderTests` checks both directions on mutated
// documents.

/// Where a captured value goes; each document kind numbers its own slots.
typealias Slot = Int16

protocol CaptureSink {
    mutating func string(_ slot: Slot, _ value: String)
    mutating func int(_ slot: Slot, _ value: Int64)
    /// An object field was present (not null), or an array element starts.
    mutating func mark(_ slot: Slot)
}

/// `FolioModel.Schema`, compiled for the byte reader: keys as bytes, bits for presence,
/// capture slots resolved from JSON-pointer-like patterns ("/lines/*/productId").
final class CompiledSchema: @unchecked Sendable {
    struct Field {
        let key: [UInt8]
        let type: CompiledType
        let bit: UInt64
        let required: Bool
        let capture: Slot
    }
    let fields: [Field]
    let requiredMask: UInt64

    init(_ schema: Schema, path: String, captures: [String: Slot]) {
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

/// One pass over a document's bytes: JSON syntax, the pre-checks of `JSONValue.parse`
/// (size, UTF-8, depth, conflict markers, integers only) and the schema's rules, with the
/// captured values handed to `sink`. Returns false as soon as anything is not certainly
/// valid.
struct DocumentReader<Sink: CaptureSink> {
    private let p: UnsafePointer<UInt8>
    private let n: Int
    private var i = 0
    private var depth = 0
    private var scratch: [UInt8] = []
    var sink: Sink

    static func read(_ data: Data, schema: CompiledSchema, sink: Sink) -> Sink? {
        guard data.count > 0, data.count <= JSONLimits.maxDocumentBytes else { return nil }
        return data.withUnsafeBytes { raw -> Sink? in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            guard !DocumentReader.mayHaveConflictMarker(base, raw.count) else { return nil }
            var reader = DocumentReader(p: base, n: raw.count, sink: sink)
            reader.skipWhitespace()
            guard reader.object(schema) else { return nil }
            reader.skipWhitespace()
            guard reader.i == reader.n else { return nil }
            return reader.sink
        }
    }

    private init(p: UnsafePointer<UInt8>, n: Int, sink: Sink) {
        self.p = p; self.n = n; self.sink = sink
    }

    /// Any line that starts with one of the marker characters sends the document to the
    /// model, which knows the exact rule (`JSONValue.conflictMarkerLine`).
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

    // MARK: Syntax

    @inline(__always) private mutating func skipWhitespace() {
        while i < n {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    @inline(__always) private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < n, p[i] == byte else { return false }
        i += 1
        return true
    }

    @inline(__always) private func peek() -> UInt8? { i < n ? p[i] : nil }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard n - i >= count else { return false }
        let bytes = text.utf8Start
        for k in 0..<count where p[i + k] != bytes[k] { return false }
        i += count
        return true
    }

    private mutating func enter() -> Bool {
        depth += 1
        return depth <= JSONLimits.maxDepth
    }

    /// A string token: its decoded bytes are `p[start..<start+count]` when it had no escape,
    /// else `scratch`.
    private struct Token {
        var start: Int
        var count: Int
        var escaped: Bool
        var ascii: Bool
    }

    private mutating func stringToken() -> Token? {
        guard i < n, p[i] == 0x22 else { return nil }
        i += 1
        let start = i
        var ascii = true
        while i < n {
            let b = p[i]
            if b == 0x22 {
                let token = Token(start: start, count: i - start, escaped: false, ascii: ascii)
                i += 1
                return token
            }
            if b == 0x5C { return escapedString(from: start) }
            if b < 0x20 { return nil }
            if b >= 0x80 { ascii = false }
            i += 1
        }
        return nil
    }

    private mutating func escapedString(from start: Int) -> Token? {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
        var ascii = !scratch.contains { $0 >= 0x80 }
        while i < n {
            let b = p[i]
            if b == 0x22 {
                i += 1
                return Token(start: 0, count: scratch.count, escaped: true, ascii: ascii)
            }
            if b < 0x20 { return nil }
            if b != 0x5C {
                if b >= 0x80 { ascii = false }
                scratch.append(b)
                i += 1
                continue
            }
            guard i + 1 < n else { return nil }
            let e = p[i + 1]
            i += 2
            switch e {
            case 0x22: scratch.append(0x22)
            case 0x5C: scratch.append(0x5C)
            case 0x2F: scratch.append(0x2F)
            case 0x62: scratch.append(0x08)
            case 0x66: scratch.append(0x0C)
            case 0x6E: scratch.append(0x0A)
            case 0x72: scratch.append(0x0D)
            case 0x74: scratch.append(0x09)
            case 0x75:
                guard var scalar = hex4() else { return nil }
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A surrogate pair, or nothing: lone surrogates go to the model.
                    guard literal("\\u"), let low = hex4(), low >= 0xDC00 && low < 0xE000 else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    return nil
                }
                guard scalar != 0, let u = Unicode.Scalar(scalar) else { return nil }
                if scalar >= 0x80 { ascii = false }
                scratch.append(contentsOf: UTF8.encode(u)!)
            default:
                return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard n - i >= 4 else { return nil }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private func withBytes<R>(_ t: Token, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if t.escaped { return scratch.withUnsafeBufferPointer(body) }
        return body(UnsafeBufferPointer(start: p + t.start, count: t.count))
    }

    /// The token as a String; nil when its bytes are not UTF-8 (the model refuses the file).
    private func string(_ t: Token) -> String? {
        if t.escaped {
            return scratch.withUnsafeBufferPointer { t.ascii ? String(decoding: $0, as: UTF8.self) : String(validating: $0, as: UTF8.self) }
        }
        let buffer = UnsafeBufferPointer(start: p + t.start, count: t.count)
        return t.ascii ? String(decoding: buffer, as: UTF8.self) : String(validating: buffer, as: UTF8.self)
    }

    /// An integer as JSONValue.parse accepts it; fractions, exponents, "-0" and values
    /// beyond Int64 go to the model.
    private mutating func integer() -> Int64? {
        var negative = false
        if i < n && p[i] == 0x2D { negative = true; i += 1 }
        guard i < n, p[i] >= 0x30 && p[i] <= 0x39 else { return nil }
        if p[i] == 0x30 {
            i += 1
            if negative { return nil }
            if i < n && (p[i] >= 0x30 && p[i] <= 0x39 || p[i] == 0x2E || p[i] == 0x65 || p[i] == 0x45) { return nil }
            return 0
        }
        var v: Int64 = 0
        while i < n, p[i] >= 0x30 && p[i] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(p[i] - 0x30))
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        if i < n && (p[i] == 0x2E || p[i] == 0x65 || p[i] == 0x45) { return nil }
        return negative ? -v : v
    }

    // MARK: Schema

    private mutating func object(_ schema: CompiledSchema) -> Bool {
        guard consume(0x7B), enter() else { return false }
        var seen: UInt64 = 0      // keys met (a second one is a duplicate)
        var present: UInt64 = 0   // keys met with a value other than null
        var hint = 0
        skipWhitespace()
        if peek() == 0x7D {
            i += 1
        } else {
            while true {
                skipWhitespace()
                guard let key = stringToken(), !key.escaped else { return false }
                // Fields are sorted as canonical documents sort their keys, so the next key is
                // usually a step or two after the last one: search from there, then wrap around.
                var found = -1
                let fields = schema.fields
                var index = hint
                for _ in 0..<fields.count {
                    if fields[index].key.count == key.count,
                       fields[index].key.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p + key.start, key.count) == 0 }) {
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
                guard consume(0x3A) else { return false }
                skipWhitespace()
                if peek() == 0x6E {
                    // null: absent for an optional field, a finding for a required one.
                    guard !field.required, literal("null") else { return false }
                } else {
                    present |= field.bit
                    if field.capture >= 0, case .object = field.type { sink.mark(field.capture) }
                    guard value(field.type, capture: field.capture) else { return false }
                }
                guard consume(0x2C) else {
                    guard consume(0x7D) else { return false }
                    break
                }
            }
        }
        depth -= 1
        return present & schema.requiredMask == schema.requiredMask
    }

    private mutating func value(_ type: CompiledType, capture: Slot) -> Bool {
        skipWhitespace()
        guard let first = peek() else { return false }
        switch type {
        case .object(let schema):
            return object(schema)
        case .array(let element, let maxCount, let elementCapture):
            guard consume(0x5B), enter() else { return false }
            var count = 0
            skipWhitespace()
            if peek() == 0x5D {
                i += 1
            } else {
                while true {
                    count += 1
                    if count > maxCount { return false }
                    if elementCapture >= 0 { sink.mark(elementCapture) }
                    guard value(element, capture: -1) else { return false }
                    guard consume(0x2C) else {
                        guard consume(0x5D) else { return false }
                        break
                    }
                }
            }
            depth -= 1
            return true
        case .map(let element):
            guard consume(0x7B), enter() else { return false }
            var keys = Set<String>()
            skipWhitespace()
            if peek() == 0x7D {
                i += 1
            } else {
                while true {
                    skipWhitespace()
                    guard let token = stringToken(), let key = string(token), keys.insert(key).inserted else { return false }
                    guard consume(0x3A) else { return false }
                    skipWhitespace()
                    // The model checks a map member only when it is not null.
                    if peek() == 0x6E { guard literal("null") else { return false } } else {
                        guard value(element, capture: -1) else { return false }
                    }
                    guard consume(0x2C) else {
                        guard consume(0x7D) else { return false }
                        break
                    }
                }
            }
            depth -= 1
            return true
        case .any:
            // Only scalars here; nested values (conflict records) go to the model.
            if first == 0x22 { guard let t = stringToken() else { return false }; return t.ascii || string(t) != nil }
            if first == 0x74 { return literal("true") }
            if first == 0x66 { return literal("false") }
            if first == 0x6E { return literal("null") }
            return integer() != nil
        case .int, .amount, .positiveAmount, .count:
            guard first == 0x2D || (first >= 0x30 && first <= 0x39), let v = integer() else { return false }
            switch type {
            case .amount: if v < 0 || v > Schema.maxAmount { return false }
            case .positiveAmount: if v <= 0 || v > Schema.maxAmount { return false }
            case .count: if v < 0 || v > 1_000_000 { return false }
            default: break
            }
            if capture >= 0 { sink.int(capture, v) }
            return true
        case .bool:
            if first == 0x74 { return literal("true") }
            return first == 0x66 && literal("false")
        default:
            guard first == 0x22, let token = stringToken() else { return false }
            guard check(token, type) else { return false }
            if capture >= 0 {
                guard let s = string(token) else { return false }
                sink.string(capture, s)
            }
            return true
        }
    }

    /// The string rules of `Schema.check`, on bytes where that is exact (ASCII without a
    /// carriage return, whose characters are its bytes), else on the String itself.
    private func check(_ t: Token, _ type: CompiledType) -> Bool {
        withBytes(t) { check(t, $0, type) }
    }

    private func check(_ t: Token, _ b: UnsafeBufferPointer<UInt8>, _ type: CompiledType) -> Bool {
        let plain = t.ascii && !(t.escaped && b.contains(0x0D))
        switch type {
        case .string(let maxLength):
            if plain { return b.count <= maxLength }
            guard let s = string(t) else { return false }
            return s.count <= maxLength
        case .identifier:
            if plain { return Self.isIdentifier(b) }
            guard let s = string(t) else { return false }
            return DocumentPaths.validateID(s) == nil
        case .email:
            if plain { return Self.looksLikeEmail(b) }
            guard let s = string(t) else { return false }
            return Schema.looksLikeEmailPublic(s)
        case .date:
            return Self.isDate(b)
        case .timestamp:
            return Self.isTimestamp(b)
        case .currency:
            guard let s = string(t) else { return false }
            return Currency(code: s) != nil
        case .decimal(let min, let max):
            guard let d = Self.decimal(b) else { return false }
            if let min, ExactDecimal.isLess(d, than: min) { return false }
            if let max, ExactDecimal.isLess(max, than: d) { return false }
            return true
        case .enumeration(let allowed, let names):
            if plain { return allowed.contains { $0.count == b.count && $0.elementsEqual(b) } }
            guard let s = string(t) else { return false }
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

}
