import Foundation
import Testing
@testable import FolioModel

@Suite("Currencies")
struct CurrencyTests {
    @Test("ISO 4217 minor-unit exponents: JPY 0, USD 2, KWD 3, CLF 4", arguments: [
        ("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4), ("ISK", 0), ("VED", 2),
    ])
    func exponents(code: String, exponent: Int) throws {
        let currency = try #require(Currency(code: code))
        #expect(currency.exponent == exponent)
        #expect(currency.description == code)
    }

    @Test("unknown, lower-case and metal codes are not currencies", arguments: ["XYZ", "usd", "", "US", "USDD", "XAU", "XDR"])
    func unknown(code: String) {
        #expect(Currency(code: code) == nil)
    }
}

@Suite("Exact decimals")
struct ExactDecimalTests {
    @Test("accepts plain decimal text and keeps its scale", arguments: [
        ("12", Int128(12), 0), ("-3", Int128(-3), 0), ("0.125", Int128(125), 3), ("7.5", Int128(75), 1),
        ("0", Int128(0), 0), ("-0.50", Int128(-50), 2), ("0.000000000001", Int128(1), 12),
        ("999999999999999999", Int128(999_999_999_999_999_999), 0),
    ])
    func parses(text: String, significand: Int128, scale: Int) throws {
        let d = try #require(ExactDecimal(text))
        #expect(d.significand == significand)
        #expect(d.scale == scale)
        #expect(d.description == text)
    }

    @Test("refuses exponents, signs, bare points, separators and more than 12 decimals", arguments: [
        "1e3", "1E3", "+1", ".5", "1.", "1,000", "1,5", "0.1234567890123", "", "-", "--1", "1.2.3", " 1", "1 ", "0x10",
        "١", "1_000", "NaN", "Infinity", "-.5",
    ])
    func refuses(text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test("rounds half away from zero", arguments: [
        (Int128(5), 1, Int64(1)), (Int128(-5), 1, Int64(-1)), (Int128(15), 1, Int64(2)), (Int128(-15), 1, Int64(-2)),
        (Int128(25), 1, Int64(3)), (Int128(-25), 1, Int64(-3)), (Int128(14), 1, Int64(1)), (Int128(-14), 1, Int64(-1)),
        (Int128(1499), 3, Int64(1)), (Int128(1500), 3, Int64(2)), (Int128(-1500), 3, Int64(-2)), (Int128(7), 0, Int64(7)),
        (Int128(49999999), 8, Int64(0)), (Int128(50000000), 8, Int64(1)),
    ])
    func rounding(significand: Int128, scale: Int, expected: Int64) {
        #expect(ExactDecimal(significand: significand, scale: scale).roundedHalfAwayFromZero() == expected)
    }

    @Test("rounding reports values that do not fit Int64 as nil")
    func roundingOverflow() {
        #expect(ExactDecimal(significand: Int128(Int64.max), scale: 0).roundedHalfAwayFromZero() == Int64.max)
        #expect(ExactDecimal(significand: Int128(Int64.max) + 1, scale: 0).roundedHalfAwayFromZero() == nil)
        #expect(ExactDecimal(significand: (Int128(Int64.max) + 1) * 10, scale: 1).roundedHalfAwayFromZero() == nil)
    }

    @Test("multiplication is exact: scales add")
    func multiply() throws {
        let p = try #require(ExactDecimal("1.5")) * #require(ExactDecimal("0.25"))
        #expect(p.significand == 375)
        #expect(p.scale == 3)
        #expect(p.description == "0.375")
    }
}

@Suite("Money in minor units")
struct MoneyTests {
    @Test("parseMajor turns major-unit text into minor units", arguments: [
        ("200.00", "USD", Int64(20000)), ("200", "USD", Int64(20000)), ("0.5", "USD", Int64(50)), ("5", "JPY", Int64(5)),
        ("1.234", "KWD", Int64(1234)), ("1.2", "KWD", Int64(1200)), ("-3.10", "USD", Int64(-310)), ("0", "JPY", Int64(0)),
        ("92233720368547758.07", "USD", Int64.max),
    ])
    func parseMajor(text: String, code: String, minor: Int64) throws {
        let currency = try #require(Currency(code: code))
        #expect(Money.parseMajor(text, currency: currency) == minor)
    }

    @Test("parseMajor refuses more decimals than the currency has, and non-decimals", arguments: [
        ("1.2345", "USD"), ("1.001", "USD"), ("5.5", "JPY"), ("1.2345", "KWD"), ("1e3", "USD"), ("+1", "USD"), ("1,000.00", "USD"),
        ("", "USD"), ("92233720368547758.08", "USD"), ("abc", "JPY"),
    ])
    func parseMajorRefuses(text: String, code: String) throws {
        let currency = try #require(Currency(code: code))
        #expect(Money.parseMajor(text, currency: currency) == nil)
    }

    @Test("format writes minor units in the major unit with the currency's decimals", arguments: [
        (Int64(20000), "USD", "200.00"), (Int64(5), "JPY", "5"), (Int64(1234), "KWD", "1.234"), (Int64(5), "USD", "0.05"),
        (Int64(-5), "USD", "-0.05"), (Int64(0), "USD", "0.00"), (Int64(-123456), "KWD", "-123.456"), (Int64(7), "KWD", "0.007"),
    ])
    func format(minor: Int64, code: String, text: String) throws {
        let currency = try #require(Currency(code: code))
        #expect(Money.format(minor, currency: currency) == text)
    }

    @Test("format and parseMajor round-trip", arguments: ["USD", "JPY", "KWD", "CLF"])
    func roundTrip(code: String) throws {
        let currency = try #require(Currency(code: code))
        for minor: Int64 in [0, 1, -1, 9, 10, 99, 100, 101, 12345, -98765, 1_000_000_007, Schema.maxAmount, -Schema.maxAmount] {
            let text = Money.format(minor, currency: currency)
            #expect(Money.parseMajor(text, currency: currency) == minor, "\(minor) \(code) → \(text)")
        }
    }

    @Test("seed 004 shows amounts with four decimals", arguments: [
        (Int64(34950), "USD", "349.5000"), (Int64(5), "JPY", "5.0000"), (Int64(1234), "KWD", "1.2340"), (Int64(12345), "CLF", "1.2345"),
    ])
    func seed004(minor: Int64, code: String, text: String) throws {
        #expect(Money.formatSeed004(minor, currency: try #require(Currency(code: code))) == text)
    }
}

@Suite("Line arithmetic and totals")
struct LineMathTests {
    // JPY: unitPrice in yen; the gross is rounded on the line.
    @Test("JPY lines round half away from zero to whole yen", arguments: [
        ("0.5", Int64(3), Int64(0), Int64(2)),     // 1.5 → 2
        ("0.5", Int64(5), Int64(0), Int64(3)),     // 2.5 → 3 (not banker's 2)
        ("0.5", Int64(1), Int64(0), Int64(1)),     // 0.5 → 1
        ("0.49", Int64(1), Int64(0), Int64(0)),    // 0.49 → 0
        ("1.25", Int64(10), Int64(0), Int64(13)),  // 12.5 → 13
        ("-0.5", Int64(3), Int64(0), Int64(-2)),   // -1.5 → -2
        ("-0.5", Int64(5), Int64(0), Int64(-3)),   // -2.5 → -3
        ("3", Int64(100), Int64(50), Int64(250)),  // discount is subtracted after rounding
    ])
    func jpyNet(quantity: String, unitPrice: Int64, discount: Int64, net: Int64) throws {
        let a = try LineMath.amounts(quantity: quantity, unitPrice: unitPrice, discount: discount, taxRate: "0", pointer: "/lines/0")
        #expect(a.net == net)
        #expect(a.tax == 0)
        #expect(a.total == net)
    }

    @Test("USD lines round to the cent, half away from zero", arguments: [
        ("0.125", Int64(100), Int64(13)),   // 12.5 cents → 13
        ("0.115", Int64(100), Int64(12)),   // 11.5 → 12
        ("0.105", Int64(100), Int64(11)),   // 10.5 → 11 (banker's would give 10)
        ("-0.125", Int64(100), Int64(-13)), // -12.5 → -13
        ("1.333", Int64(300), Int64(400)),  // 399.9 → 400
        ("2", Int64(4900), Int64(9800)),
    ])
    func usdNet(quantity: String, unitPrice: Int64, net: Int64) throws {
        #expect(try LineMath.amounts(quantity: quantity, unitPrice: unitPrice, discount: 0, taxRate: "0", pointer: "").net == net)
    }

    @Test("KWD lines round to the fils (3 decimals), half away from zero", arguments: [
        ("0.0005", Int64(1000), Int64(1)),   // 0.5 fils → 1
        ("0.0015", Int64(1000), Int64(2)),   // 1.5 → 2
        ("0.0025", Int64(1000), Int64(3)),   // 2.5 → 3
        ("-0.0025", Int64(1000), Int64(-3)), // -2.5 → -3
        ("1.0004", Int64(1000), Int64(1000)),
        ("3", Int64(1234), Int64(3702)),
    ])
    func kwdNet(quantity: String, unitPrice: Int64, net: Int64) throws {
        #expect(try LineMath.amounts(quantity: quantity, unitPrice: unitPrice, discount: 0, taxRate: "0", pointer: "").net == net)
    }

    @Test("a 7.5 % tax rate is a percentage of the net, rounded per line", arguments: [
        (Int64(1000), Int64(75)),   // 75.0
        (Int64(1001), Int64(75)),   // 75.075
        (Int64(1010), Int64(76)),   // 75.75
        (Int64(1500), Int64(113)),  // 112.5 → 113
        (Int64(2100), Int64(158)),  // 157.5 → 158
        (Int64(20), Int64(2)),      // 1.5 → 2
        (Int64(0), Int64(0)),
    ])
    func taxRate75(net: Int64, tax: Int64) throws {
        let a = try LineMath.amounts(quantity: "1", unitPrice: net, discount: 0, taxRate: "7.5", pointer: "")
        #expect(a.net == net)
        #expect(a.tax == tax)
        #expect(a.total == net + tax)
    }

    @Test("tax on a negative net rounds half away from zero too")
    func negativeTax() throws {
        // net = 100 − 150 = −50; 5 % of −50 = −2.5 → −3
        let a = try LineMath.amounts(quantity: "1", unitPrice: 100, discount: 150, taxRate: "5", pointer: "")
        #expect(a.net == -50)
        #expect(a.tax == -3)
        #expect(a.total == -53)
    }

    @Test("\"20\" is 20 % and \"0.5\" is half a percent")
    func percentages() throws {
        #expect(try LineMath.amounts(quantity: "1", unitPrice: 10000, discount: 0, taxRate: "20", pointer: "").tax == 2000)
        #expect(try LineMath.amounts(quantity: "1", unitPrice: 10000, discount: 0, taxRate: "0.5", pointer: "").tax == 50)
        #expect(try LineMath.amounts(quantity: "1", unitPrice: 10000, discount: 0, taxRate: "100", pointer: "").tax == 10000)
    }

    @Test("a bad quantity or rate names its field")
    func badDecimals() {
        #expect(arithmeticFailure { try LineMath.amounts(quantity: "1e3", unitPrice: 1, discount: 0, taxRate: "0", pointer: "/lines/4") }
            == .invalidDecimal(pointer: "/lines/4/quantity", value: "1e3"))
        #expect(arithmeticFailure { try LineMath.amounts(quantity: "1", unitPrice: 1, discount: 0, taxRate: "7,5", pointer: "/lines/1") }
            == .invalidDecimal(pointer: "/lines/1/taxRate", value: "7,5"))
        #expect(arithmeticFailure { try LineMath.costAmounts(amount: 1, taxRate: "x", pointer: "/costLines/0") }
            == .invalidDecimal(pointer: "/costLines/0/taxRate", value: "x"))
        #expect(ArithmeticError.invalidDecimal(pointer: "/lines/4/quantity", value: "1e3").description.contains("/lines/4/quantity"))
    }

    @Test("overflowing line amounts are detected, not wrapped")
    func lineOverflow() {
        #expect(arithmeticFailure { try LineMath.amounts(quantity: "2", unitPrice: Int64.max, discount: 0, taxRate: "0", pointer: "/lines/0") }
            == .overflow(pointer: "/lines/0"))
        #expect(arithmeticFailure { try LineMath.amounts(quantity: "1", unitPrice: Int64.max, discount: 0, taxRate: "20", pointer: "/lines/2") }
            == .overflow(pointer: "/lines/2"))
        #expect(arithmeticFailure { try LineMath.amounts(quantity: "1", unitPrice: 0, discount: Int64.min, taxRate: "0", pointer: "/lines/3") }
            == .overflow(pointer: "/lines/3"))
        #expect(arithmeticFailure { try LineMath.costAmounts(amount: Int64.max, taxRate: "1", pointer: "/costLines/0") }
            == .overflow(pointer: "/costLines/0"))
        #expect(ArithmeticError.overflow(pointer: "/lines/0").description == "/lines/0: the amount is too large to store")
    }

    @Test("cost lines without a rate carry no tax")
    func costLines() throws {
        let plain = try LineMath.costAmounts(amount: 995, taxRate: nil, pointer: "")
        #expect(plain.tax == 0 && plain.total == 995)
        let taxed = try LineMath.costAmounts(amount: 1010, taxRate: "7.5", pointer: "")
        #expect(taxed.tax == 76 && taxed.total == 1086)
    }
}

@Suite("Derived totals")
struct TotalsTests {
    @Test("line amounts and totals are sums of rounded lines (EN 16931)")
    func sumsOfLines() throws {
        let inv = try Fx.invoice()
        #expect(inv.lines.map(\.net) == [9800, 1500, 999])
        #expect(inv.lines.map(\.tax) == [1960, 113, 0])
        #expect(inv.lines.map(\.total) == [11760, 1613, 999])
        #expect(inv.totals == Totals(subtotal: 12299, discount: 0, tax: 2073, total: 14372, paid: 0, open: 14372))
        #expect(inv.paymentStatus == .open)
        #expect(inv.status == .draft)
    }

    @Test("per-line rounding differs from rounding the sum, and the sum of lines wins")
    func perLineRounding() throws {
        // Three lines of 0.5 yen tax each: per line 1 + 1 + 1 = 3, whereas the exact sum 1.5 would round to 2.
        var inv = try Fx.invoice()
        inv.currency = "JPY"
        for i in inv.lines.indices { inv.lines[i].quantity = "1"; inv.lines[i].unitPrice = 10; inv.lines[i].taxRate = "5" }
        let d = try inv.derived()
        #expect(d.lines.map(\.tax) == [1, 1, 1])
        #expect(d.totals?.tax == 3)
        #expect(d.totals?.total == 33)
    }

    @Test("discounts are inside the nets and summed separately; cost lines add to the subtotal")
    func discountAndCosts() throws {
        var inv = try Fx.invoice()
        inv.lines[0].discount = 800       // 9800 − 800 = 9000, tax 1800
        inv.lines[2].discount = 99        // 999 − 99 = 900, tax 0
        inv.costLines = [CostLine(id: "freight", description: "Freight", amount: 1000, taxRate: "20"),
                         CostLine(id: "fee", description: "Handling", amount: 250)]
        let d = try inv.derived()
        #expect(d.lines.map(\.net) == [9000, 1500, 900])
        #expect(d.costLines?.map(\.tax) == [200, 0])
        #expect(d.costLines?.map(\.total) == [1200, 250])
        let t = try #require(d.totals)
        #expect(t.discount == 899)
        #expect(t.subtotal == 9000 + 1500 + 900 + 1000 + 250)
        #expect(t.tax == 1800 + 113 + 0 + 200)
        #expect(t.total == t.subtotal + t.tax)
        #expect(t.open == t.total)
    }

    @Test("derived values in the input are never trusted")
    func recomputed() throws {
        var inv = try Fx.invoice()
        inv.lines[0].net = 1
        inv.lines[0].total = 2
        inv.totals = Totals(subtotal: 1, discount: 1, tax: 1, total: 1, paid: 1, open: 1)
        inv.status = .accepted
        inv.paymentStatus = .paid
        let d = try inv.derived()
        #expect(d == (try Fx.invoice()))
    }

    @Test("paymentStatus follows paid and open", arguments: [
        ([Int64](), PaymentStatus.open, Int64(14372)),
        ([Int64(1000)], PaymentStatus.partiallyPaid, Int64(13372)),
        ([Int64(14371)], PaymentStatus.partiallyPaid, Int64(1)),
        ([Int64(10000), Int64(4372)], PaymentStatus.paid, Int64(0)),
        ([Int64(20000)], PaymentStatus.paid, Int64(-5628)),   // overpayment is paid, with a negative open balance
    ])
    func paymentStatus(amounts: [Int64], status: PaymentStatus, open: Int64) throws {
        var inv = try Fx.invoice()
        inv.payments = amounts.enumerated().map { Fx.payment("p\($0.offset)", $0.element, minute: 10 + $0.offset) }
        let d = try inv.derived()
        #expect(d.paymentStatus == status)
        #expect(d.totals?.paid == amounts.reduce(0, +))
        #expect(d.totals?.open == open)
    }

    @Test("payments and events are kept ordered by (at, id)")
    func ordering() throws {
        var inv = try Fx.pending()
        inv.payments = [Fx.payment("b", 1, minute: 9), Fx.payment("a", 1, minute: 9), Fx.payment("c", 1, minute: 8)]
        inv.events.insert(Fx.event(.changesRequested, 1, minute: 0, id: "zz"), at: 0)
        let d = try inv.derived()
        #expect(d.payments.map(\.id) == ["c", "a", "b"])
        #expect(d.events.map(\.id) == ["zz", "ev-send-1"])
    }

    @Test("a sum that overflows Int64 is reported with the total's pointer")
    func sumOverflow() throws {
        var inv = try Fx.invoice()
        for i in inv.lines.indices { inv.lines[i].quantity = "1"; inv.lines[i].taxRate = "0"; inv.lines[i].unitPrice = Int64.max / 2 }
        #expect(arithmeticFailure { try inv.derived() } == .overflow(pointer: "/totals/subtotal"))
    }

    @Test("an overflowing line is reported with the line's pointer")
    func lineOverflow() throws {
        var inv = try Fx.invoice()
        inv.lines[1].unitPrice = Int64.max
        inv.lines[1].quantity = "3"
        #expect(arithmeticFailure { try inv.derived() } == .overflow(pointer: "/lines/1"))
    }

    @Test("overflowing payments are reported with the paid total's pointer")
    func paidOverflow() throws {
        var inv = try Fx.invoice()
        inv.payments = [Fx.payment("p1", Int64.max), Fx.payment("p2", Int64.max)]
        #expect(arithmeticFailure { try inv.derived() } == .overflow(pointer: "/totals/paid"))
    }
}
