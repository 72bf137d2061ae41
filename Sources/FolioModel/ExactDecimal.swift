/// A decimal number held exactly as significand × 10^-scale. Quantities and tax rates
/// are strings in documents ("2.5", "7.5"); this is how they are multiplied without
/// ever touching binary floating point.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// Numeric order across scales ("2.5" < "2.50" is false both ways). Not `Comparable`:
    /// equality here keeps the scale, so 2.5 and 2.50 are different values of equal size.
    public static func isLess(_ a: ExactDecimal, than b: ExactDecimal) -> Bool {
        let scale = max(a.scale, b.scale)
        var x = a.significand, y = b.significand
        for _ in a.scale..<scale { x *= 10 }
        for _ in b.scale..<scale { y *= 10 }
        return x < y
    }

    /// Numeric equality across scales (2.5 and 2.50 are the same quantity).
    public static func isSame(_ a: ExactDecimal, as b: ExactDecimal) -> Bool { !isLess(a, than: b) && !isLess(b, than: a) }

    public let significand: Int128
    public let scale: Int

    public static let maxScale = 12

    public init(significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    public init(_ integer: Int64) { self.init(significand: Int128(integer), scale: 0) }

    /// Accepts "12", "-3", "0.125"; refuses exponents, "+", leading ".", thousands
    /// separators and more than 12 decimals, which no invoice needs.
    public init?(_ text: String) {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" { negative = true; digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard parts.count == 1 || !fraction.isEmpty, fraction.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard fraction.count <= ExactDecimal.maxScale, whole.count <= 18 else { return nil }
        var value: Int128 = 0
        for d in (whole + fraction).utf8 { value = value * 10 + Int128(d - 0x30) }
        self.significand = negative ? -value : value
        self.scale = fraction.count
    }

    public var isNegative: Bool { significand < 0 }
    public var isZero: Bool { significand == 0 }

    /// Sum at the larger scale (quantities have at most 12 decimals, far from Int128's limit).
    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        let scale = max(a.scale, b.scale)
        var x = a.significand, y = b.significand
        for _ in a.scale..<scale { x *= 10 }
        for _ in b.scale..<scale { y *= 10 }
        return ExactDecimal(significand: x + y, scale: scale)
    }

    public static prefix func - (a: ExactDecimal) -> ExactDecimal { ExactDecimal(significand: -a.significand, scale: a.scale) }

    public static func - (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal { a + (-b) }

    public static func * (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal {
        ExactDecimal(significand: a.significand * b.significand, scale: a.scale + b.scale)
    }

    /// Rounds to an integer, half away from zero (SPEC §1). Nil when it does not fit Int64.
    public func roundedHalfAwayFromZero() -> Int64? {
        var divisor: Int128 = 1
        for _ in 0..<scale { divisor *= 10 }
        let magnitude = significand.magnitude
        let q = magnitude / UInt128(divisor)
        let r = magnitude % UInt128(divisor)
        let rounded = r * 2 >= UInt128(divisor) && scale > 0 ? q + 1 : q
        guard rounded <= UInt128(Int64.max) else { return nil }
        return significand < 0 ? -Int64(rounded) : Int64(rounded)
    }

    /// The plain decimal text, without trailing zeros beyond the scale it was given.
    public var description: String {
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }
}

/// Amounts as stored: an integer count of minor units of a currency (SPEC §1).
public enum Money {
    /// "200.00" in USD → 20000; refuses more decimals than the currency has.
    public static func parseMajor(_ text: String, currency: Currency) -> Int64? {
        guard let d = ExactDecimal(text), d.scale <= currency.exponent else { return nil }
        var value = d.significand
        for _ in 0..<(currency.exponent - d.scale) { value *= 10 }
        guard value <= Int128(Int64.max), value >= Int128(Int64.min) else { return nil }
        return Int64(value)
    }

    /// 20000 in USD → "200.00"; 5 in JPY → "5"; 1234 in KWD → "1.234".
    public static func format(_ minor: Int64, currency: Currency) -> String {
        ExactDecimal(significand: Int128(minor), scale: currency.exponent).description
    }

    /// Seed 004 shows amounts as decimal strings with four decimals ("349.5000").
    public static func formatSeed004(_ minor: Int64, currency: Currency) -> String {
        var value = Int128(minor)
        for _ in 0..<max(0, 4 - currency.exponent) { value *= 10 }
        return ExactDecimal(significand: value, scale: max(4, currency.exponent)).description
    }
}
