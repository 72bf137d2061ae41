public import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Something that signs as one ssh-ed25519 key: a private key file, or a key held by ssh-agent.
public protocol SSHSigner: Sendable {
    var publicKey: SSHPublicKey { get }
    /// An armored SSHSIG of `message` in `namespace`.
    func sign(_ message: Data, namespace: String) throws -> String
}

extension SSHSigningKey: SSHSigner {}

/// ssh-agent, as git reaches it (SSH_AUTH_SOCK): the agent holds the private key and signs
/// what it is handed, so a passphrase-protected key works without Folio ever seeing it.
/// The protocol is the agent's own (draft-miller-ssh-agent): REQUEST_IDENTITIES, SIGN_REQUEST.
public struct SSHAgentKey: SSHSigner {
    public let publicKey: SSHPublicKey
    let socket: String

    /// The agent's ssh-ed25519 keys.
    public static func keys(socket: String) throws(TrustError) -> [SSHAgentKey] {
        var reply = WireReader(try request(socket: socket, Data([11])))          // SSH2_AGENTC_REQUEST_IDENTITIES
        guard let type = reply.byte(), type == 12, let count = reply.uint32() else { throw .agent("the agent did not list its keys") }
        var keys: [SSHAgentKey] = []
        for _ in 0..<count {
            guard let blob = reply.string(), reply.string() != nil else { throw .agent("the agent's key list is truncated") }
            var k = WireReader(blob)
            guard let algorithm = k.string(), String(decoding: algorithm, as: UTF8.self) == SSHPublicKey.algorithm, let raw = k.string(),
                  let key = try? SSHPublicKey(raw: raw) else { continue }
            keys.append(SSHAgentKey(publicKey: key, socket: socket))
        }
        return keys
    }

    public func sign(_ message: Data, namespace: String = "git") throws -> String {
        var w = WireWriter()
        w.bytes(Data([13]))                                                        // SSH2_AGENTC_SIGN_REQUEST
        w.string(publicKey.wire)
        w.string(SSHSig.signedData(message, namespace: namespace))
        w.uint32(0)
        var reply = WireReader(try Self.request(socket: socket, w.data))
        guard let type = reply.byte(), type == 14, let signature = reply.string() else {
            throw TrustError.agent("the agent refused to sign with \(publicKey.fingerprint)")
        }
        return SSHSig.assemble(publicKey: publicKey, namespace: namespace, signatureBlob: signature)
    }

    /// One request and its reply, each framed by a uint32 length.
    static func request(socket path: String, _ body: Data) throws(TrustError) -> Data {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .agent("cannot open a socket to ssh-agent") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .agent("SSH_AUTH_SOCK is too long a path") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw .agent("cannot reach ssh-agent at \(path)") }
        var framed = WireWriter()
        framed.string(body)
        try writeAll(fd, framed.data)
        let header = try readExactly(fd, 4)
        let length = Int(UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3]))
        guard length <= 256 * 1024 else { throw .agent("the agent's reply is too long") }
        return try readExactly(fd, length)
    }

    static func writeAll(_ fd: Int32, _ data: Data) throws(TrustError) {
        do { _ = try FileDescriptor(rawValue: fd).writeAll(data) } catch { throw .agent("the connection to ssh-agent broke") }
    }

    static func readExactly(_ fd: Int32, _ count: Int) throws(TrustError) -> Data {
        var out = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n: Int
            do { n = try out.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: UnsafeMutableRawBufferPointer(rebasing: $0[offset...])) } } catch {
                throw .agent("the connection to ssh-agent broke")
            }
            guard n > 0 else { throw .agent("ssh-agent closed the connection") }
            offset += n
        }
        return Data(out)
    }
}
