public import Foundation
import Crypto

/// What went wrong with a key or a signature, in a sentence a user can act on.
public enum TrustError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedPublicKey(String)
    case malformedPrivateKey(String)
    case encryptedPrivateKey(String)
    case badSignature(String)
    case agent(String)

    public var description: String {
        switch self {
        case .malformedPublicKey(let why): "not an ssh-ed25519 public key: \(why)"
        case .malformedPrivateKey(let why): "not an OpenSSH ed25519 private key: \(why)"
        case .encryptedPrivateKey(let file):
            "\(file) is protected by a passphrase, which Folio does not ask for: load it into ssh-agent (`ssh-add \(file)`) and point user.signingKey at \(file).pub, or use a key without a passphrase"
        case .badSignature(let why): why
        case .agent(let why): "ssh-agent: \(why)"
        }
    }
}

/// An ssh-ed25519 public key, as `ssh-keygen` prints it: `ssh-ed25519 AAAAC3Nza… comment`.
public struct SSHPublicKey: Sendable, Hashable, CustomStringConvertible {
    public static let algorithm = "ssh-ed25519"
    /// The 32 bytes of the Ed25519 key.
    public let raw: Data

    public init(raw: Data) throws(TrustError) {
        guard raw.count == 32 else { throw .malformedPublicKey("an Ed25519 key has 32 bytes, not \(raw.count)") }
        self.raw = raw
    }

    /// `ssh-ed25519 BASE64 [comment]`; the comment is dropped.
    public init(parsing text: String) throws(TrustError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard fields.count >= 2 else { throw .malformedPublicKey("expected \"ssh-ed25519 AAAA…\"") }
        guard fields[0] == Self.algorithm else { throw .malformedPublicKey("the key type is \(fields[0]); Folio keys are ssh-ed25519") }
        guard let blob = Data(base64Encoded: String(fields[1])) else { throw .malformedPublicKey("its key data is not base64") }
        var reader = WireReader(blob)
        guard let type = reader.string(), String(decoding: type, as: UTF8.self) == Self.algorithm, let key = reader.string(), reader.atEnd else {
            throw .malformedPublicKey("its key data is not an ssh-ed25519 key blob")
        }
        try self.init(raw: key)
    }

    /// The key in SSH wire form (string "ssh-ed25519", string key).
    public var wire: Data {
        var w = WireWriter()
        w.string(Data(Self.algorithm.utf8))
        w.string(raw)
        return w.data
    }

    /// `ssh-ed25519 AAAA…`, the form parties.json and allowed-signers files hold.
    public var openSSH: String { "\(Self.algorithm) \(wire.base64EncodedString())" }
    public var description: String { openSSH }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    public var fingerprint: String {
        let digest = Data(SHA256.hash(data: wire)).base64EncodedString()
        return "SHA256:" + digest.replacingOccurrences(of: "=", with: "")
    }
}

/// An Ed25519 private key read from an unencrypted OpenSSH private-key file.
public struct SSHSigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey
    public let publicKey: SSHPublicKey

    public init(seed: Data) throws(TrustError) {
        do { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch { throw .malformedPrivateKey("its Ed25519 seed is not usable") }
        publicKey = try SSHPublicKey(raw: key.publicKey.rawRepresentation)
    }

    /// The contents of an `-----BEGIN OPENSSH PRIVATE KEY-----` file (`file` names it in errors).
    public init(openSSH text: String, file: String) throws(TrustError) {
        let body = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard body.first == "-----BEGIN OPENSSH PRIVATE KEY-----", let end = body.firstIndex(of: "-----END OPENSSH PRIVATE KEY-----"),
              let blob = Data(base64Encoded: body[1..<end].joined()) else {
            throw .malformedPrivateKey("\(file) is not an OpenSSH private key file")
        }
        let magic = Data("openssh-key-v1\0".utf8)
        guard blob.starts(with: magic) else { throw .malformedPrivateKey("\(file) does not start with openssh-key-v1") }
        var r = WireReader(blob.dropFirst(magic.count))
        guard let cipher = r.string(), let kdf = r.string(), r.string() != nil, let count = r.uint32(), count == 1, r.string() != nil, let section = r.string() else {
            throw .malformedPrivateKey("\(file) is truncated")
        }
        guard String(decoding: cipher, as: UTF8.self) == "none", String(decoding: kdf, as: UTF8.self) == "none" else { throw .encryptedPrivateKey(file) }
        var s = WireReader(section)
        guard let check1 = s.uint32(), let check2 = s.uint32(), check1 == check2 else { throw .malformedPrivateKey("\(file): its check bytes differ") }
        guard let type = s.string(), String(decoding: type, as: UTF8.self) == SSHPublicKey.algorithm else {
            throw .malformedPrivateKey("\(file) holds no ssh-ed25519 key (Folio keys are ssh-ed25519)")
        }
        guard s.string() != nil, let secret = s.string(), secret.count == 64 else { throw .malformedPrivateKey("\(file): its Ed25519 key is truncated") }
        try self.init(seed: Data(secret.prefix(32)))
    }

    /// An armored SSHSIG of `message` (git's SSH commit signatures: namespace "git", SHA-512).
    public func sign(_ message: Data, namespace: String = "git") throws -> String {
        let signature = try key.signature(for: SSHSig.signedData(message, namespace: namespace))
        var sig = WireWriter()
        sig.string(Data(SSHPublicKey.algorithm.utf8))
        sig.string(Data(signature))
        return SSHSig.assemble(publicKey: publicKey, namespace: namespace, signatureBlob: sig.data)
    }
}

/// git's SSH signature format (OpenSSH PROTOCOL.sshsig).
public enum SSHSig {
    static let magic = Data("SSHSIG".utf8)
    static let hash = "sha512"

    static func signedData(_ message: Data, namespace: String) -> Data {
        var w = WireWriter()
        w.bytes(magic)
        w.string(Data(namespace.utf8))
        w.string(Data())
        w.string(Data(hash.utf8))
        w.string(Data(SHA512.hash(data: message)))
        return w.data
    }

    /// The armored SSHSIG around an SSH signature blob (string "ssh-ed25519", string sig).
    static func assemble(publicKey: SSHPublicKey, namespace: String, signatureBlob: Data) -> String {
        var w = WireWriter()
        w.bytes(magic)
        w.uint32(1)
        w.string(publicKey.wire)
        w.string(Data(namespace.utf8))
        w.string(Data())
        w.string(Data(hash.utf8))
        w.string(signatureBlob)
        return armor(w.data)
    }

    static func armor(_ blob: Data) -> String {
        let text = blob.base64EncodedString()
        var lines: [String] = []
        var i = text.startIndex
        while i < text.endIndex {
            let j = text.index(i, offsetBy: 70, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[i..<j]))
            i = j
        }
        return "-----BEGIN SSH SIGNATURE-----\n" + lines.joined(separator: "\n") + "\n-----END SSH SIGNATURE-----"
    }

    /// The key that made `armored` over `message`, if the signature is a valid SSHSIG in
    /// `namespace`; throws with the reason otherwise.
    public static func verify(_ armored: String, message: Data, namespace: String = "git") throws(TrustError) -> SSHPublicKey {
        let lines = armored.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.first == "-----BEGIN SSH SIGNATURE-----", let end = lines.firstIndex(of: "-----END SSH SIGNATURE-----"),
              let blob = Data(base64Encoded: lines[1..<end].joined()) else { throw .badSignature("the signature is not an SSH signature (SSHSIG)") }
        guard blob.starts(with: magic) else { throw .badSignature("the signature is not an SSH signature (SSHSIG)") }
        var r = WireReader(blob.dropFirst(magic.count))
        guard r.uint32() == 1, let keyBlob = r.string(), let ns = r.string(), r.string() != nil, let hashName = r.string(), let sigBlob = r.string() else {
            throw .badSignature("the SSH signature is truncated")
        }
        guard String(decoding: ns, as: UTF8.self) == namespace else { throw .badSignature("the signature is for namespace \"\(String(decoding: ns, as: UTF8.self))\", not \"\(namespace)\"") }
        guard String(decoding: hashName, as: UTF8.self) == hash else { throw .badSignature("the signature uses \(String(decoding: hashName, as: UTF8.self)); Folio checks sha512 signatures") }
        var k = WireReader(keyBlob)
        guard let type = k.string(), String(decoding: type, as: UTF8.self) == SSHPublicKey.algorithm, let raw = k.string() else {
            throw .badSignature("the signature was made with a key that is not ssh-ed25519")
        }
        let key = try SSHPublicKey(raw: raw)
        var s = WireReader(sigBlob)
        guard let sigType = s.string(), String(decoding: sigType, as: UTF8.self) == SSHPublicKey.algorithm, let signature = s.string() else {
            throw .badSignature("the signature is not an ssh-ed25519 signature")
        }
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.raw),
              publicKey.isValidSignature(signature, for: signedData(message, namespace: namespace)) else {
            throw .badSignature("the signature does not match the commit (made by \(key.fingerprint))")
        }
        return key
    }
}

/// SSH wire encoding: big-endian uint32 lengths before byte strings.
struct WireWriter {
    var data = Data()
    mutating func uint32(_ v: UInt32) { data.append(contentsOf: [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]) }
    mutating func string(_ s: Data) { uint32(UInt32(s.count)); data.append(s) }
    mutating func bytes(_ b: Data) { data.append(b) }
}

struct WireReader {
    var rest: Data
    init(_ data: Data) { rest = Data(data) }
    var atEnd: Bool { rest.isEmpty }
    mutating func byte() -> UInt8? {
        guard let b = rest.first else { return nil }
        rest = Data(rest.dropFirst())
        return b
    }
    mutating func uint32() -> UInt32? {
        guard rest.count >= 4 else { return nil }
        let b = Array(rest.prefix(4))
        rest = Data(rest.dropFirst(4))
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }
    mutating func string() -> Data? {
        guard let n = uint32(), rest.count >= Int(n) else { return nil }
        let s = Data(rest.prefix(Int(n)))
        rest = Data(rest.dropFirst(Int(n)))
        return s
    }
}

/// The hash a buyer's answer records of the content it answered.
public enum ContentHash {
    public static func sha256(_ data: Data) -> String {
        "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
