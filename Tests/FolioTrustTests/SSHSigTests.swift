import Foundation
import Testing
import FolioTestSupport
@testable import FolioTrust

/// Keys and signatures held to OpenSSH itself: `ssh-keygen` makes the keys, verifies what
/// Folio signs, and signs what Folio verifies.
@Suite("SSH keys and SSHSIG signatures, against ssh-keygen")
struct SSHSigTests {
    struct Key {
        let dir: TempDir
        var privatePath: String { dir.file("id") }
        var publicText: String { (try? String(contentsOfFile: dir.file("id.pub"), encoding: .utf8)) ?? "" }

        init() throws {
            dir = TempDir("folio-key")
            let r = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "ann@seller.example", "-f", dir.file("id")])
            try #require(r.code == 0, "\(r.stderr)")
        }

        func signingKey() throws -> SSHSigningKey {
            try SSHSigningKey(openSSH: String(contentsOfFile: privatePath, encoding: .utf8), file: privatePath)
        }
    }

    @Test("a private key file gives the public key ssh-keygen printed, and its fingerprint")
    func readsKeys() throws {
        let key = try Key()
        let signing = try key.signingKey()
        let printed = try SSHPublicKey(parsing: key.publicText)
        #expect(signing.publicKey == printed)
        #expect(key.publicText.hasPrefix(signing.publicKey.openSSH + " "))
        let listed = try Tool.run("/usr/bin/ssh-keygen", ["-l", "-f", key.dir.file("id.pub")]).stdout
        #expect(listed.contains(signing.publicKey.fingerprint), "\(listed)")
    }

    @Test("ssh-keygen -Y verify accepts what Folio signs, and refuses it for another message")
    func opensshVerifiesFolio() throws {
        let key = try Key()
        let message = Data("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Ann\n\nhello\n".utf8)
        let armored = try key.signingKey().sign(message)
        try armored.write(toFile: key.dir.file("msg.sig"), atomically: true, encoding: .utf8)
        try "ann@seller.example \(key.publicText)".write(toFile: key.dir.file("allowed"), atomically: true, encoding: .utf8)
        func verify(_ data: Data) throws -> RunResult {
            try Tool.run("/usr/bin/ssh-keygen", ["-Y", "verify", "-f", key.dir.file("allowed"), "-I", "ann@seller.example", "-n", "git", "-s", key.dir.file("msg.sig")], stdin: data)
        }
        let good = try verify(message)
        #expect(good.code == 0, "\(good.stdout) \(good.stderr)")
        #expect(try verify(message + Data("x".utf8)).code != 0)
        #expect(try SSHSig.verify(armored, message: message) == key.signingKey().publicKey)
    }

    @Test("Folio verifies what ssh-keygen -Y sign makes; a changed message or namespace is refused")
    func folioVerifiesOpenSSH() throws {
        let key = try Key()
        let message = Data("a commit's bytes\n".utf8)
        try message.write(to: URL(fileURLWithPath: key.dir.file("msg")))
        let r = try Tool.run("/usr/bin/ssh-keygen", ["-Y", "sign", "-f", key.privatePath, "-n", "git", key.dir.file("msg")])
        try #require(r.code == 0, "\(r.stderr)")
        let armored = try String(contentsOfFile: key.dir.file("msg.sig"), encoding: .utf8)
        #expect(try SSHSig.verify(armored, message: message) == SSHPublicKey(parsing: key.publicText))
        #expect(throws: TrustError.self) { try SSHSig.verify(armored, message: Data("another\n".utf8)) }
        #expect(throws: TrustError.self) { try SSHSig.verify(armored, message: message, namespace: "file") }
    }

    @Test("bad keys are refused with a sentence: another type, garbage, a passphrase")
    func badKeys() throws {
        #expect(throws: TrustError.self) { try SSHPublicKey(parsing: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ x") }
        #expect(throws: TrustError.self) { try SSHPublicKey(parsing: "ssh-ed25519 !!!") }
        let dir = TempDir("folio-key")
        _ = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-f", dir.file("locked")])
        let text = try String(contentsOfFile: dir.file("locked"), encoding: .utf8)
        #expect(throws: TrustError.encryptedPrivateKey(dir.file("locked"))) { try SSHSigningKey(openSSH: text, file: dir.file("locked")) }
    }
}

@Suite("ssh-agent signs for Folio")
struct SSHAgentTests {
    @Test("a passphrase-protected key held by ssh-agent signs; ssh-keygen verifies it")
    func agentSigns() throws {
        let dir = TempDir("folio-key")
        let r = try Tool.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret", "-C", "ann@seller.example", "-f", dir.file("id")])
        try #require(r.code == 0)
        let agent = try SSHAgentProcess()
        try agent.add(dir.file("id"), passphrase: "secret")
        let keys = try SSHAgentKey.keys(socket: agent.socket)
        let expected = try SSHPublicKey(parsing: String(contentsOfFile: dir.file("id.pub"), encoding: .utf8))
        #expect(keys.map(\.publicKey) == [expected])
        let message = Data("commit bytes\n".utf8)
        let armored = try #require(keys.first).sign(message, namespace: "git")
        #expect(try SSHSig.verify(armored, message: message) == expected)
        try armored.write(toFile: dir.file("m.sig"), atomically: true, encoding: .utf8)
        try "ann@seller.example \(expected.openSSH)\n".write(toFile: dir.file("allowed"), atomically: true, encoding: .utf8)
        let verify = try Tool.run("/usr/bin/ssh-keygen", ["-Y", "verify", "-f", dir.file("allowed"), "-I", "ann@seller.example", "-n", "git", "-s", dir.file("m.sig")], stdin: message)
        #expect(verify.code == 0, "\(verify.stderr)")
    }
}
