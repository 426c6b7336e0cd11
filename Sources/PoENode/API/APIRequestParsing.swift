import Hummingbird
import NIOCore
import PoECrypto

/// Reading path parameters and bodies, each failure a clear 4xx.
enum APIRequestParsing {
    static func digest(_ context: some RequestContext, _ name: String, what: String) throws -> Digest {
        let text = try context.parameters.require(name)
        guard let digest = Digest(hex: text) else {
            throw APIError.badRequest("\(what) must be 64 hex digits, got \"\(text.prefix(80))\"")
        }
        return digest
    }

    static func publicKey(_ context: some RequestContext, _ name: String) throws -> PublicKey {
        let text = try context.parameters.require(name)
        do {
            return try PublicKey(hex: text)
        } catch {
            throw APIError.badRequest("key must be a 64-hex-digit public key: \(error)")
        }
    }

    /// The whole body, refused with 413 past `bytesMax` before more is buffered.
    static func body(_ request: Request, bytesMax: Int, what: String) async throws -> [UInt8] {
        do {
            var buffer = try await request.body.collect(upTo: bytesMax)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "\(what) is larger than \(bytesMax) bytes")
        }
    }
}
