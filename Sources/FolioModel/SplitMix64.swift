/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so that a seed gives
/// the same synthetic repository and the same random test histories on every machine and
/// Swift version (the system generator cannot be seeded).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n (0 when n < 1). The modulo bias is negligible for the small n used here.
    public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }

    /// True with the given percentage.
    public mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
}
