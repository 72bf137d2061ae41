import Foundation

// The one reader of JSON bytes in Folio. It walks a document's bytes once, in one of two
// ways over the same lexer:
//  - `value()` builds a `JSONValue` and, when the bytes are not an acceptable document, says
//    exactly why and where (a JSON pointer, a line and column): SPEC §8's bad input.
//  - `scan(_:)` checks the bytes against a compiled `Schema` and captures the fields a
//    caller asked for, without building a value (the index's rebuild, `DocumentScan`).
// The pre-checks every document gets first (size, UTF-8, conflict markers) are in
// `JSONValue.parse`.

/// Why the lexer stopped. `scan` only needs to know that it did; `value` turns it into a
/// sentence with a position.
enum JSONSyntaxProblem: Error {
    case unexpected(at: Int)
    case endOfInput
    case controlCharacter(at: Int)
    case badEscape(at: Int)
    case loneSurrogate(at: Int)
    case trailingComma(at: Int)
    case tooDeep
}

struct JSONReader {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0
    var depth = 0
    /// A string with escapes is decoded here (reused across strings).
    var scratch: [UInt8] = []
    /// Where `value()` is, for the pointer of a finding.
    var path: [PathStep] = []

    enum PathStep {
        case key(String)
        case index(Int)
    }

    init(_ p: UnsafePointer<UInt8>, count: Int) {
        self.p = p
        self.n = count
    }

    // MARK: Lexer

    @inline(__always) mutating func skipWhitespace() {
        while i < n {
            let b = p[i]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { i += 1 } else { return }
        }
    }

    @inline(__always) mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < n, p[i] == byte else { return false }
        i += 1
        return true
    }

    @inline(__always) func peek() -> UInt8? { i < n ? p[i] : nil }

    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard n - i >= count else { return false }
        let bytes = text.utf8Start
        for k in 0..<count where p[i + k] != bytes[k] { return false }
        i += count
        return true
    }

    mutating func enter() throws(JSONSyntaxProblem) {
        depth += 1
        if depth > JSONLimits.maxDepth { throw .tooDeep }
    }

    /// A string token: its decoded bytes are `p[start..<start+count]` when it had no escape,
    /// else `scratch`.
    struct Token {
        var start: Int
        var count: Int
        var escaped: Bool
        var ascii: Bool
    }

    mutating func stringToken() throws(JSONSyntaxProblem) -> Token {
        guard i < n else { throw .endOfInput }
        guard p[i] == 0x22 else { throw .unexpected(at: i) }
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
            if b == 0x5C { return try escapedString(from: start) }
            if b < 0x20 { throw .controlCharacter(at: i) }
            if b >= 0x80 { ascii = false }
            i += 1
        }
        throw .endOfInput
    }

    private mutating func escapedString(from start: Int) throws(JSONSyntaxProblem) -> Token {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: p + start, count: i - start))
        var ascii = !scratch.contains { $0 >= 0x80 }
        while i < n {
            let b = p[i]
            if b == 0x22 {
                i += 1
                return Token(start: 0, count: scratch.count, escaped: true, ascii: ascii)
            }
            if b < 0x20 { throw .controlCharacter(at: i) }
            if b != 0x5C {
                if b >= 0x80 { ascii = false }
                scratch.append(b)
                i += 1
                continue
            }
            guard i + 1 < n else { throw .endOfInput }
            let escape = i
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
                guard var scalar = hex4() else { throw .badEscape(at: escape) }
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard literal("\\u"), let low = hex4(), low >= 0xDC00 && low < 0xE000 else { throw .loneSurrogate(at: escape) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw .loneSurrogate(at: escape)
                }
                guard let u = Unicode.Scalar(scalar) else { throw .badEscape(at: escape) }
                if scalar >= 0x80 { ascii = false }
                scratch.append(contentsOf: UTF8.encode(u)!)
            default:
                throw .badEscape(at: escape)
            }
        }
        throw .endOfInput
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

    func withBytes<R>(_ t: Token, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if t.escaped { return scratch.withUnsafeBufferPointer(body) }
        return body(UnsafeBufferPointer(start: p + t.start, count: t.count))
    }

    /// The token as a String. The bytes were checked as UTF-8 before reading began, and an
    /// escape only ever adds whole scalars.
    func string(_ t: Token) -> String {
        withBytes(t) { String(decoding: $0, as: UTF8.self) }
    }

    /// The token as a String when its bytes are UTF-8 (the scan, unlike `value()`, reads
    /// bytes nobody checked first).
    func validString(_ t: Token) -> String? {
        withBytes(t) { t.ascii ? String(decoding: $0, as: UTF8.self) : String(validating: $0, as: UTF8.self) }
    }

    /// A number as written: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    struct NumberToken {
        var start: Int
        var end: Int
        /// Nil when the number has a fraction or exponent, or is beyond Int64.
        var integer: Int64?
        var isInteger: Bool
    }

    mutating func number() throws(JSONSyntaxProblem) -> NumberToken {
        let start = i
        var negative = false
        if i < n && p[i] == 0x2D { negative = true; i += 1 }
        guard i < n else { throw .endOfInput }
        guard p[i] >= 0x30 && p[i] <= 0x39 else { throw .unexpected(at: i) }
        var magnitude: UInt64 = 0
        var overflow = false
        if p[i] == 0x30 {
            i += 1
            if i < n && p[i] >= 0x30 && p[i] <= 0x39 { throw .unexpected(at: i) }   // a leading zero
        } else {
            while i < n, p[i] >= 0x30 && p[i] <= 0x39 {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(p[i] - 0x30))
                overflow = overflow || o1 || o2
                magnitude = s
                i += 1
            }
        }
        var isInteger = true
        if i < n && p[i] == 0x2E {
            isInteger = false
            i += 1
            guard i < n, p[i] >= 0x30 && p[i] <= 0x39 else { throw i < n ? .unexpected(at: i) : .endOfInput }
            while i < n, p[i] >= 0x30 && p[i] <= 0x39 { i += 1 }
        }
        if i < n && (p[i] == 0x65 || p[i] == 0x45) {
            isInteger = false
            i += 1
            if i < n && (p[i] == 0x2B || p[i] == 0x2D) { i += 1 }
            guard i < n, p[i] >= 0x30 && p[i] <= 0x39 else { throw i < n ? .unexpected(at: i) : .endOfInput }
            while i < n, p[i] >= 0x30 && p[i] <= 0x39 { i += 1 }
        }
        var integer: Int64?
        if isInteger && !overflow {
            if negative {
                if magnitude <= UInt64(Int64.max) { integer = -Int64(magnitude) } else if magnitude == UInt64(Int64.max) + 1 { integer = .min }
            } else if magnitude <= UInt64(Int64.max) {
                integer = Int64(magnitude)
            }
        }
        return NumberToken(start: start, end: i, integer: integer, isInteger: isInteger)
    }

    func text(_ t: NumberToken) -> String {
        String(decoding: UnsafeBufferPointer(start: p + t.start, count: t.end - t.start), as: UTF8.self)
    }

    // MARK: Values

    /// The whole input as one JSON value, or the reason it is not an acceptable document.
    static func value(_ bytes: UnsafeRawBufferPointer, wholeFloats: Bool) throws(JSONInputError) -> JSONValue {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw JSONInputError("is not valid JSON: the file is empty")
        }
        var reader = JSONReader(base, count: bytes.count)
        do {
            reader.skipWhitespace()
            guard reader.i < reader.n else { throw JSONSyntaxProblem.endOfInput }
            let value = try reader.value(wholeFloats: wholeFloats)
            reader.skipWhitespace()
            if reader.i < reader.n { throw JSONSyntaxProblem.unexpected(at: reader.i) }
            return value
        } catch let problem as JSONSyntaxProblem {
            throw reader.explain(problem)
        } catch let error as JSONInputError {
            throw error
        } catch {
            throw JSONInputError("is not valid JSON")
        }
    }

    private mutating func value(wholeFloats: Bool) throws -> JSONValue {
        skipWhitespace()
        guard let first = peek() else { throw JSONSyntaxProblem.endOfInput }
        switch first {
        case 0x7B:
            i += 1
            try enter()
            var members: [String: JSONValue] = [:]
            if consume(0x7D) { depth -= 1; return .object(members) }
            path.append(.index(0))
            while true {
                skipWhitespace()
                // The token first: a call's `self` is read before its arguments are evaluated.
                let token = try stringToken()
                let key = string(token)
                path[path.count - 1] = .key(key)
                guard consume(0x3A) else { throw i < n ? JSONSyntaxProblem.unexpected(at: i) : .endOfInput }
                let member = try value(wholeFloats: wholeFloats)
                if members.updateValue(member, forKey: key) != nil {
                    throw JSONInputError(pointer: pointer, rule: "json/duplicate-key", "is given twice in one object; keep one (a parser would silently drop the other's value)")
                }
                if consume(0x2C) {
                    skipWhitespace()
                    if peek() == 0x7D { throw JSONSyntaxProblem.trailingComma(at: i) }
                    continue
                }
                guard consume(0x7D) else { throw i < n ? JSONSyntaxProblem.unexpected(at: i) : .endOfInput }
                break
            }
            path.removeLast()
            depth -= 1
            return .object(members)
        case 0x5B:
            i += 1
            try enter()
            var elements: [JSONValue] = []
            if consume(0x5D) { depth -= 1; return .array(elements) }
            path.append(.index(0))
            while true {
                path[path.count - 1] = .index(elements.count)
                elements.append(try value(wholeFloats: wholeFloats))
                if consume(0x2C) {
                    skipWhitespace()
                    if peek() == 0x5D { throw JSONSyntaxProblem.trailingComma(at: i) }
                    continue
                }
                guard consume(0x5D) else { throw i < n ? JSONSyntaxProblem.unexpected(at: i) : .endOfInput }
                break
            }
            path.removeLast()
            depth -= 1
            return .array(elements)
        case 0x22:
            let token = try stringToken()
            return .string(string(token))
        case 0x74:
            guard literal("true") else { throw JSONSyntaxProblem.unexpected(at: i) }
            return .bool(true)
        case 0x66:
            guard literal("false") else { throw JSONSyntaxProblem.unexpected(at: i) }
            return .bool(false)
        case 0x6E:
            guard literal("null") else { throw JSONSyntaxProblem.unexpected(at: i) }
            return .null
        default:
            let token = try number()
            return try integer(token, wholeFloats: wholeFloats)
        }
    }

    /// Documents hold integers only (SPEC §1). Request bodies (`wholeFloats`) read numbers as
    /// I-JSON (RFC 7493) does: a whole number written `1.0` or `2e3` is that integer, and
    /// nothing beyond ±2^53 is trusted.
    private func integer(_ token: NumberToken, wholeFloats: Bool) throws(JSONInputError) -> JSONValue {
        let written = text(token)
        if wholeFloats {
            // Decided on the digits, never through a Double, which would round 2^53 + 1 down
            // to 2^53 and 1.0000000000000000001 to 1.
            let exact = Self.exactValue(written)
            let limit: UInt64 = 9_007_199_254_740_992
            guard let magnitude = exact.wholePart, magnitude < limit || (magnitude == limit && exact.whole) else {
                throw JSONInputError(pointer: pointer, "is a number beyond ±2^53, which JSON clients cannot hold exactly (\(written))")
            }
            guard exact.whole else {
                throw JSONInputError(pointer: pointer, "is a number with a fraction (\(written)); amounts are integer minor units, and quantities and rates are decimal strings such as \"2.5\"")
            }
            return .int(exact.negative ? -Int64(magnitude) : Int64(magnitude))
        }
        if let integer = token.integer { return .int(integer) }
        if token.isInteger { throw JSONInputError(pointer: pointer, "is a number too large to store (\(written))") }
        let shown = Double(written).map { "\($0)" } ?? written
        throw JSONInputError(pointer: pointer, "is a number with a fraction or exponent (\(shown)); amounts are integer minor units, and quantities and rates are decimal strings such as \"2.5\"")
    }

    /// A JSON number's exact value: its sign, whether it is whole, and its whole part (nil when
    /// that does not fit in a UInt64). `written` is a number the lexer accepted.
    static func exactValue(_ written: String) -> (negative: Bool, whole: Bool, wholePart: UInt64?) {
        var text = Substring(written)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Beyond a few hundred the answer is "zero" or "too large" either way; capped so the
            // arithmetic below cannot overflow.
            let written = text[text.index(after: e)...]
            exponent = max(-10_000, min(10_000, Int(written) ?? (written.hasPrefix("-") ? -10_000 : 10_000)))
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? parts[1] : ""
        // The significant digits, times ten to `power`.
        var digits = Array((parts[0] + fraction).drop { $0 == "0" })
        var power = exponent - fraction.count
        while power < 0, digits.last == "0" { digits.removeLast(); power += 1 }
        let whole = power >= 0 || digits.isEmpty
        // The whole part: the digits left of the point.
        let kept = power >= 0 ? digits : Array(digits.dropLast(min(digits.count, -power)))
        var value: UInt64 = 0
        for d in kept + Array(repeating: Character("0"), count: max(0, power)) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d.asciiValue! - 0x30))
            if o1 || o2 { return (negative, whole, nil) }
            value = a
        }
        return (negative, whole, value)
    }

    var pointer: String {
        path.map { step in
            switch step {
            case .key(let key): "/" + JSONPointer.escape(key)
            case .index(let index): "/\(index)"
            }
        }.joined()
    }

    /// A sentence for a syntax problem, with the line and column a person finds it at.
    func explain(_ problem: JSONSyntaxProblem) -> JSONInputError {
        func at(_ offset: Int) -> String {
            var line = 1, lineStart = 0
            for k in 0..<min(offset, n) where p[k] == 0x0A { line += 1; lineStart = k + 1 }
            return "line \(line), column \(offset - lineStart + 1)"
        }
        func shown(_ offset: Int) -> String {
            let b = p[offset]
            return b >= 0x20 && b < 0x7F ? "\"\(Character(Unicode.Scalar(b)))\"" : String(format: "byte 0x%02X", b)
        }
        switch problem {
        case .tooDeep:
            return JSONInputError("is nested more than \(JSONLimits.maxDepth) levels deep")
        case .endOfInput:
            return JSONInputError("is not valid JSON: the file ends in the middle of a value (\(at(n)))")
        case .unexpected(let offset):
            return JSONInputError("is not valid JSON: unexpected \(shown(offset)) at \(at(offset))")
        case .controlCharacter(let offset):
            return JSONInputError("is not valid JSON: a control character (\(shown(offset))) inside a string at \(at(offset)); write it as an escape such as \\n")
        case .badEscape(let offset):
            return JSONInputError("is not valid JSON: an invalid escape at \(at(offset))")
        case .loneSurrogate(let offset):
            return JSONInputError("is not valid JSON: an escaped UTF-16 surrogate without its pair at \(at(offset))")
        case .trailingComma(let offset):
            return JSONInputError("is not valid JSON: a comma before \(shown(offset)) at \(at(offset)); JSON allows no trailing commas")
        }
    }
}
