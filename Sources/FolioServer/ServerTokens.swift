import Crypto
import Foundation
public import FolioRepo

/// The tokens `folio serve` accepts (SPEC §11: every request is a party): the party's email
/// and an HMAC-SHA256 of it under a secret that never leaves this clone
/// (`.git/folio/server-secret`, made on first use, readable by its owner only). A token
/// names a party; whether that party may see or do something is decided per request from
/// `parties.json`, so removing a party from it revokes its tokens.
public struct ServerTokens: Sendable {
    private let secret: SymmetricKey

    public init(repo: FolioRepository) throws {
        let path = repo.privatePath("server-secret")
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            secret = SymmetricKey(data: data)
            return
        }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw FolioError.io("cannot write \(path)")
            }
        }
        secret = key
    }

    public func issue(for email: String) -> String {
        let name = Data(email.lowercased().utf8)
        return "folio1." + Self.base64URL(name) + "." + Self.base64URL(Data(HMAC<SHA256>.authenticationCode(for: name, using: secret)))
    }

    /// The party a token names, or nil when it was not issued here.
    public func email(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "folio1", let name = Self.data(base64URL: parts[1]), let mac = Self.data(base64URL: parts[2]),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: name, using: secret) else { return nil }
        return String(data: name, encoding: .utf8)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
